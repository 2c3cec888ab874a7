"""Erasing a member's personal data: the right to erasure (GDPR article 17), beside the export.

Erasure anonymises in place; it never deletes the member's row. Memberships, visits, payments,
touchpoints and stage history keep pointing at it, so renewal analytics, revenue and uplift of
past periods do not change, but nothing that identifies the person is left: the name becomes
"Erased member #<id>", contact details, birth date, card, photo (the file too), notes and
interests are cleared, consent is withdrawn, the portal login is deleted.

Each app erases its own rows (`eraser`) and says what stops an erasure (`refusal`), as it
registers its export sections, since members may not import the apps above it: once every app
is loaded the registry is complete. Every model with a foreign key to Member is either
covered by an eraser or declared kept as it is (`keep`, with why); a test holds a model added
later to that, so it is decided rather than forgotten.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from django.apps import apps
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import models, transaction
from django.db.models.functions import Cast
from django.urls import reverse
from wagtail import hooks
from wagtail.models import ModelLogEntry

from club import clock, roles
from members import locks, staff_tasks, timeline
from members.models import Channel, ConsentLog, Member, MemberEvent, Task

ERASED_NAME = "Erased member"
CONSENT_SOURCE = "erasure"

# A member's own request (GDPR article 12(3): answered within a month) is a task for the
# managers of their club, due then.
REQUEST_DUE = dt.timedelta(days=30)
REQUEST_TITLE = "Erase personal data: requested by the member"
# Where a request task's details link to: `fn(member) -> path` of the erase action on the
# member card, which is the front desk's (checkin, above this app) and registers it here.
ERASE_LINK_HOOK = "erasure_admin_path"

Eraser = Callable[[Member], None]


@dataclass(frozen=True)
class Refusal:
    """Why a member cannot be erased yet; `code` lets a screen link to where it is fixed."""

    code: str
    message: str


Check = Callable[[Member, dt.date], Refusal | None]


class ErasureRefused(Exception):
    """Something must be ended first (a membership in force, classes to come); nothing changed."""

    def __init__(self, refusals: list[Refusal]):
        super().__init__(" ".join(refusal.message for refusal in refusals))
        self.refusals = refusals


_ERASERS: dict[str, Eraser] = {}
_CHECKS: dict[str, Check] = {}
# model label → the eraser that covers it, or why it is kept as it is.
_COVERED: dict[str, str] = {}
_KEPT: dict[str, str] = {}


def eraser(name: str, *, covers: tuple[type[models.Model], ...]):
    """Register `fn(member)` as the eraser `name`, which removes the personal data in the rows
    of `covers` (the models with a foreign key to Member it answers for)."""

    def register(fn: Eraser) -> Eraser:
        if name in _ERASERS:
            raise ValueError(f"Eraser {name!r} is registered twice")
        _ERASERS[name] = fn
        for model in covers:
            _COVERED[model._meta.label] = name
        return fn

    return register


def keep(model: type[models.Model], *, why: str) -> None:
    """Declare `model`'s rows about a member kept as they are on erasure, and why: they hold
    nothing that identifies the person (dates, statuses, amounts)."""
    _KEPT[model._meta.label] = why


def refusal(name: str):
    """Register `fn(member, today) -> Refusal | None`: what must end before erasure."""

    def register(fn: Check) -> Check:
        if name in _CHECKS:
            raise ValueError(f"Erasure check {name!r} is registered twice")
        _CHECKS[name] = fn
        return fn

    return register


def coverage() -> dict[str, str]:
    """Every model label the registry answers for: its eraser's name or "kept: why"."""
    return {**{label: f"kept: {why}" for label, why in _KEPT.items()}, **_COVERED}


def refusals(member: Member) -> list[Refusal]:
    """What stops the member's erasure today, in check name order; empty when it may go."""
    today = clock.today(member.home_club)
    found = (_CHECKS[name](member, today) for name in sorted(_CHECKS))
    return [refused for refused in found if refused is not None]


def erase(member: Member, *, by, reason: str) -> bool:
    """Erase the member's personal data in every app, in one transaction under the member's
    row lock (so a check-in or a sale cannot race it), and note it on the timeline with who
    did it. Returns False, changing nothing, when the member was already erased.

    Raises ErasureRefused, changing nothing, while a membership is in force or starts later or
    classes are booked ahead; ValueError without a reason.
    """
    reason = reason.strip()
    if not reason:
        raise ValueError("Give the reason for the erasure (e.g. the member's request and date).")
    with transaction.atomic():
        locks.member(member.pk)
        member.refresh_from_db()
        if member.is_erased:
            return False
        if refused := refusals(member):
            raise ErasureRefused(refused)
        # The member's own request is answered: done, not cancelled with their other tasks.
        staff_tasks.close(open_requests(member), by=by)
        photo = member.photo.name if member.photo else ""
        for name in sorted(_ERASERS):
            _ERASERS[name](member)
        member.refresh_from_db()
        timeline.record(member, MemberEvent.Kind.DATA_ERASED, actor=by, reason=reason)
        if photo:
            # The file goes only once the erasure is committed: a rollback keeps both.
            storage = member.photo.storage
            transaction.on_commit(lambda: storage.delete(photo))
    return True


# --- the member's own request ----------------------------------------------------------


@dataclass(frozen=True)
class Request:
    """A member's open request to be erased: the managers' task, and whether this call opened
    it (False: they had asked before and it is still open)."""

    task: Task
    is_new: bool

    @property
    def asked_at(self) -> dt.datetime:
        return self.task.created_at


def open_requests(member: Member) -> models.QuerySet[Task]:
    """The member's erasure requests still open: the tasks their `erasure_requested` events
    opened."""
    asked = member.events.filter(kind=MemberEvent.Kind.ERASURE_REQUESTED).values_list(
        "data__task", flat=True
    )
    return member.tasks.open().filter(pk__in=[pk for pk in asked if pk is not None])


def open_request(member: Member) -> Request | None:
    """The member's open erasure request, the first they made; None when there is none."""
    task = open_requests(member).order_by("created_at", "pk").first()
    return None if task is None else Request(task=task, is_new=False)


def request(member: Member) -> Request:
    """The member asks for their personal data to be erased (from the portal): open a task for
    the managers of their club, due in a month, and note it on the timeline. Asking again
    while a request is open returns that one and changes nothing; under the member's row lock,
    so two requests at once open one task.

    Nothing is erased here, even when nothing stops it: a manager erases (`erase`), which closes
    the request as done. What stops an erasure today is written into the task for the manager.
    """
    with transaction.atomic():
        locks.member(member.pk)
        if (asked := open_request(member)) is not None:
            return asked
        refused = refusals(member)
        task = staff_tasks.open_task(
            member,
            title=REQUEST_TITLE,
            due_within=REQUEST_DUE,
            assigned_role=roles.MANAGER,
            escalate_when_late=True,
            details=_request_details(member, refused),
        )
        timeline.record(member, MemberEvent.Kind.ERASURE_REQUESTED, task=task.pk)
    return Request(task=task, is_new=True)


def _request_details(member: Member, refused: list[Refusal]) -> str:
    asked = clock.now().astimezone(clock.zone(member.home_club))
    lines = [
        f"{member.full_name} asked in the portal on {asked:%-d %b %Y} for their personal data "
        "to be erased (GDPR article 17). Answer within a month.",
    ]
    if refused:
        lines.append("Erasure is refused for now: " + " ".join(r.message for r in refused))
        lines.append("Contact them about it.")
    paths = [path_for(member) for path_for in hooks.get_hooks(ERASE_LINK_HOOK)]
    path = paths[0] if paths else reverse("members:edit", args=[member.pk])
    lines.append(f"Erase on the member card: {settings.SITE_URL.rstrip('/')}{path}")
    return "\n".join(lines)


# --- members' own rows ---------------------------------------------------------------------

# Timeline events that are nothing but what someone said or typed: deleted.
PERSONAL_TEXT_EVENTS = frozenset(
    {MemberEvent.Kind.NOTE, MemberEvent.Kind.CALL_LOGGED, MemberEvent.Kind.MESSAGE_REPLY}
)
# What other events keep of their data: ids, codes, dates, counts and amounts. Free text (a
# message's text, a task's title, a freeze's or an override's reason as typed, a phone number)
# goes, and so does a key added later until someone puts it here.
KEPT_EVENT_DATA = frozenset(
    {
        "attempt",
        "auto_renew",
        "booking",
        "campaign",
        "cancelled",
        "channel",
        "class_name",
        "club",
        "days",
        "end",
        "first",
        "freeze",
        "granted",
        "imported",
        "late_cancel",
        "left_waitlists",
        "membership",
        "new_end",
        "outcome",
        "plan",
        "price",
        "renewals_moved",
        "renewed_from",
        "rule",
        "session",
        "start",
        "status",
        "task",
        "touchpoint",
        "trial_booking",
        "until",
        "variant",
        "visit",
        "visited_at",
        "visits_left",
        "waitlist_position",
        "was_waitlisted",
    }
)
# Kept only as a code its app registered words for (a check-in's denial reason), never as
# typed text.
CODED_EVENT_DATA = ("reason", "denied_reason", "source")


@eraser("members", covers=(ConsentLog, MemberEvent, Task))
def _erase_member(member: Member) -> None:
    now = clock.now()
    granted = [channel for channel in Channel if member.has_consent(channel)]
    ConsentLog.objects.bulk_create(
        ConsentLog(member=member, channel=channel, granted=False, source=CONSENT_SOURCE, at=now)
        for channel in granted
    )
    # The consent log keeps the fact and the date; the wording they were shown goes with them.
    member.consent_log.update(wording="")
    member.events.filter(kind__in=PERSONAL_TEXT_EVENTS).delete()
    changed = []
    for event in member.events.exclude(data={}).only("pk", "kind", "data"):
        kept = _kept_data(event)
        if kept != event.data:
            event.data = kept
            changed.append(event)
    MemberEvent.objects.bulk_update(changed, ["data"], batch_size=500)
    member.tasks.update(title=f"Task about {ERASED_NAME.lower()} #{member.pk}", details="")
    member.tasks.open().update(status=Task.Status.CANCELLED, done_at=now)
    user = member.user
    Member.objects.filter(pk=member.pk).update(
        first_name=ERASED_NAME,
        last_name=f"#{member.pk}",
        search_name="",
        email="",
        phone="",
        birth_date=None,
        photo="",
        card_token=None,
        interests=[],
        notes="",
        sms_consent=False,
        email_consent=False,
        user=None,
        calendar_token=None,
        # The saved card's Stripe ids and what identified it (memberships/stripe/saved_cards.py).
        stripe_customer_id="",
        stripe_payment_method_id="",
        card_brand="",
        card_last4="",
        erased_at=now,
        updated_at=now,
    )
    if user is not None:
        # Its sessions and sign-in links stop working with it: both name the user.
        user.delete()
    _erase_log_entries(member)


def _erase_log_entries(member: Member) -> None:
    """Wagtail's audit log keeps each logged row's name as it was (`label`: "Anna Smit",
    "Monthly for Anna Smit (…)") and what some actions changed (`data`), for the member's
    record and for every row pointing at it. One update per logged model."""
    logged = set(ModelLogEntry.objects.values_list("content_type_id", flat=True).distinct())
    if not logged:
        return
    entries = ModelLogEntry.objects.filter
    member_type = ContentType.objects.get_for_model(Member)
    entries(content_type=member_type, object_id=str(member.pk)).update(
        label=f"{ERASED_NAME} #{member.pk}", data={}
    )
    for model, field in _rows_of_members():
        content_type = ContentType.objects.get_for_model(model)
        if content_type.pk not in logged:
            continue
        # object_id is text: compare with the rows' keys as text (PostgreSQL compares no
        # varchar with an integer).
        keys = (
            model._base_manager.filter(**{field: member})
            .annotate(key=Cast("pk", models.CharField()))
            .values("key")
        )
        name = model._meta.verbose_name
        entries(content_type=content_type, object_id__in=keys).update(
            label=f"{name[:1].upper()}{name[1:]} of {ERASED_NAME.lower()} #{member.pk}", data={}
        )


def _rows_of_members() -> list[tuple[type[models.Model], str]]:
    """Every model with a foreign key to Member, and that key's name (the models the erasure
    registry answers for)."""
    return [
        (model, field.name)
        for model in apps.get_models()
        for field in model._meta.get_fields()
        if field.is_relation and field.concrete and field.related_model is Member
    ]


def _kept_data(event: MemberEvent) -> dict:
    kept = {key: value for key, value in event.data.items() if key in KEPT_EVENT_DATA}
    for key in CODED_EVENT_DATA:
        value = event.data.get(key)
        if value is not None and timeline.is_registered_code(event.kind, key, value):
            kept[key] = value
    return kept
