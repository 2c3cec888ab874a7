"""Automatic renewal: rolling memberships that renew by themselves when they end, unpaid until
the member pays at the desk (memberships.dues) — or, with Stripe on and a card the member saved
paying online, charged to that card after the renewal commits (memberships/stripe/offsession.py)
— and the member's or the desk's switch for it.

A membership carries its own `auto_renew`, taken from its plan at sale (sales.sell). Which
memberships renew is one query (`due`); each renewal then goes through sales.renew, so a time
plan's dates and a pack's visits follow the same rules as a renewal sold at the desk.
"""

from __future__ import annotations

import datetime as dt
import logging

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Exists, IntegerField, OuterRef
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Cast
from django.utils.formats import date_format

from club import clock
from club.models import Club
from members import timeline
from members.models import Member, MemberEvent, Task
from memberships import sales
from memberships.models import Membership, MembershipQuerySet
from memberships.stripe import offsession

logger = logging.getLogger(__name__)

# Where a switch was flipped, in the timeline's words.
PORTAL = "portal"
DESK = "desk"
timeline.label_codes(
    [MemberEvent.Kind.AUTO_RENEW_CHANGED],
    "source",
    {PORTAL: "In the member portal", DESK: "At the desk"},
)


def due(club: Club, *, today: dt.date) -> MembershipQuerySet:
    """The club's memberships to renew now: renewing automatically (auto-renew on, paid, of a
    plan still sold), ended before `today` but within the club's renewal grace days (at least
    one: the task runs hourly, a lapse older than that is a rejoin, not a debt), that no later
    paid membership follows (its renewal, or one sold on its own), of a member neither erased
    nor waiting for an erasure they asked for."""
    since = today - dt.timedelta(days=max(club.renewal_grace_days, 1))
    erasure_asked = (
        MemberEvent.objects.filter(
            member=OuterRef("member"), kind=MemberEvent.Kind.ERASURE_REQUESTED
        )
        .annotate(task_id=Cast(KeyTextTransform("task", "data"), IntegerField()))
        .filter(Exists(Task.objects.open().filter(pk=OuterRef("task_id"))))
    )
    return (
        Membership.objects.filter(member__home_club=club, end__lt=today, end__gte=since)
        .renewing_automatically()
        .not_renewed()
        .filter(member__erased_at__isnull=True)
        .exclude(Exists(erasure_asked))
    )


def renew_due(club: Club, *, limit: int) -> tuple[int, int]:
    """Renew up to `limit` of the club's due memberships, oldest end first; return (tried,
    renewed). Each renewal is its own transaction through sales.renew: unpaid, starting the
    day after the end, linked by renewed_from; a member's saved card is charged for it after
    that commits (offsession.queue_charge).

    Two runs at once both pick a membership: the second waits on the member's lock in
    sales.renew and finds the renewal made, and the one-to-one renewed_from is the backstop
    (IntegrityError) for anything that skips the lock. Either way it is skipped, not retried.
    """
    today = clock.today(club)
    pks = list(due(club, today=today).order_by("end", "pk").values_list("pk", flat=True)[:limit])
    renewed = 0
    chosen = Membership.objects.filter(pk__in=pks).select_related("member__home_club", "plan")
    for membership in chosen.order_by("end", "pk"):
        try:
            with transaction.atomic():
                renewal = sales.renew(membership, method=None, automatic=True)
                # With a saved card, charged after this commit, never inside it.
                offsession.queue_charge(renewal)
        except (ValidationError, IntegrityError) as error:
            # Renewed meanwhile, or a sale since then clashes: nothing to do, nothing lost.
            logger.info("Membership %s not renewed automatically: %s", membership.pk, error)
        else:
            renewed += 1
    return len(pks), renewed


def set_auto_renew(membership: Membership, *, on: bool, actor=None, source: str) -> bool:
    """Switch automatic renewal of the membership on or off and write `auto_renew_changed` on
    the member's timeline; return whether it changed. A second click changes and records
    nothing (a conditional UPDATE, counted).

    Raises ValidationError when the membership no longer runs (cancelled, or ended before the
    club's today) or, switching on, when its plan does not renew automatically or is no longer
    sold (Membership.may_renew_automatically).
    """
    member: Member = membership.member
    today = clock.today(member.home_club)
    if membership.status == Membership.Status.CANCELLED or membership.end < today:
        raise ValidationError(
            f"{membership.plan} ended {date_format(membership.end)}: there is nothing to renew."
        )
    if on and not membership.may_renew_automatically:
        raise ValidationError(f"{membership.plan} does not renew automatically.")
    with transaction.atomic():
        changed = (
            Membership.objects.filter(pk=membership.pk).exclude(auto_renew=on).update(auto_renew=on)
        )
        if changed:
            timeline.record(
                member,
                MemberEvent.Kind.AUTO_RENEW_CHANGED,
                actor=actor,
                membership=membership.pk,
                plan=membership.plan.name,
                auto_renew=on,
                source=source,
            )
    membership.auto_renew = on
    return bool(changed)
