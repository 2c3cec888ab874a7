"""Selling and renewing memberships."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils.formats import date_format

from club import clock
from members import locks, timeline
from members.models import Member, MemberEvent
from memberships import ledger, renewal_timing, statuses
from memberships.models import LedgerEntry, Membership, Payment, Plan

# How far ahead a sale may start: far enough for "from the first of next month" or "after my
# holiday", not so far that a mistyped year is paid today and reads "member since 2099".
MAX_DAYS_AHEAD = 90


@transaction.atomic
def sell(
    member: Member,
    plan: Plan,
    *,
    start: dt.date,
    method: str | None,
    price_paid: Decimal | None = None,
    renewed_from: Membership | None = None,
    sold_by=None,
    stripe_payment_intent_id: str = "",
    automatic: bool = False,
) -> Membership:
    """Start a membership of `plan` on `start`, record its payment and, for a pack, its visits.
    An online payment names its Stripe PaymentIntent, unique among payments: the same payment
    recorded twice is an IntegrityError, and nothing is sold. Auto-renew is the plan's.

    `automatic` (a renewal made by memberships.autorenew, `method` None): nothing was paid, so
    it is sold unpaid (past_due, no payment: the desk takes it through memberships.dues); its
    start follows what it renews even when that day has passed.

    Raises ValidationError (on `start` or `plan`) when it would start before the club's today
    or, unless it renews `renewed_from` (renew() bounds those), after latest_start(); when its
    dates overlap another membership of the member that was not cancelled; when it is a trial
    for someone who already had a trial or a paid membership; or when the plan is another
    club's, unless the member has had it (`_check_club`).
    """
    if (method is None) != automatic:
        raise ValueError("A sale is paid by a method; only an automatic renewal is not (None).")
    if not automatic:
        _check_start(member, start, chosen=renewed_from is None)
    # Two desks selling to one member queue here; the second one's check sees the first's sale.
    locks.member(member.pk)
    _check_club(member, plan)
    end = start + dt.timedelta(days=plan.duration_days - 1)
    _check_fits(member, plan, start=start, end=end)
    price = plan.price if price_paid is None else price_paid
    is_first_paid = (
        plan.kind != Plan.Kind.TRIAL and not member.memberships.paid().not_cancelled().exists()
    )
    membership = Membership.objects.create(
        member=member,
        plan=plan,
        start=start,
        end=end,
        price_paid=price,
        visits_left=0 if plan.is_pack else None,
        renewed_from=renewed_from,
        status=Membership.Status.PAST_DUE if automatic else Membership.Status.ACTIVE,
        auto_renew=plan.auto_renew,
    )
    if plan.is_pack:
        ledger.credit(
            membership,
            visits=plan.visits_included,
            kind=LedgerEntry.Kind.PURCHASE,
            reason=f"Bought {plan.name}",
            created_by=sold_by,
        )
    if not automatic:
        Payment.objects.create(
            member=member,
            membership=membership,
            amount=price,
            currency=member.home_club.currency,
            method=method,
            status=Payment.Status.SUCCEEDED,
            recorded_by=sold_by,
            stripe_payment_intent_id=stripe_payment_intent_id,
            at=clock.now(),
        )
    if automatic:
        kind = MemberEvent.Kind.MEMBERSHIP_AUTO_RENEWED
    elif renewed_from:
        kind = MemberEvent.Kind.MEMBERSHIP_RENEWED
    else:
        kind = MemberEvent.Kind.MEMBERSHIP_STARTED
    timeline.record(
        member,
        kind,
        actor=sold_by,
        membership=membership.pk,
        plan=plan.name,
        start=membership.start,
        end=membership.end,
        price=price,
        first=is_first_paid,
        # How the sale's payment came (an automatic renewal is charged later, on its own line).
        **({"renewed_from": renewed_from.pk} if automatic else {"method": method}),
    )
    # The card should read "Member" at once, not after the next quarter-hourly refresh.
    statuses.refresh_member_statuses(member.home_club, member_ids=[member.pk])
    return membership


@transaction.atomic
def renew(
    current: Membership,
    *,
    plan: Plan | None = None,
    method: str | None,
    sold_by=None,
    price_paid: Decimal | None = None,
    stripe_payment_intent_id: str = "",
    automatic: bool = False,
) -> Membership:
    """Renew: a new membership starting the day after the current one ends when bought early,
    or today when the current one no longer admits (it has ended, or it is a pack with no
    visits left), as renewal_start() says. It is linked by renewed_from (the renewal
    chain) when it starts within the club's renewal grace days of that end, as the analytics
    count a renewal (`renewal_timing.renews`); later it is a rejoin, sold unlinked.

    Raises ValidationError when the current membership was already renewed, when the renewal
    would start more than MAX_DAYS_AHEAD days from today (`too_early_to_renew`: Sell's limit;
    an annual ending in a year is not renewed, and paid for, now), or when the renewal would
    overlap another membership of the member (as sell() does).

    `automatic` (memberships.autorenew, `method` None): the renewal of a membership that
    ended, unpaid, always starting the day after the end and linked, as sell() says.
    """
    # The member first, as a check-in locks them before it spends the pack: selling updates
    # the member's status, and locking the pack first could deadlock against a scan.
    locks.member(current.member_id)
    # The lock freezes take (freezes.freeze), and the end read under it: a renewal sold while
    # a freeze moves the end starts after the new end, or is committed in time for the
    # freeze to find it and move it along. The balance too: a scan that spent the last visit
    # a moment ago makes this a renewal starting today.
    current.end, current.visits_left = (
        Membership.objects.select_for_update().values_list("end", "visits_left").get(pk=current.pk)
    )
    if Membership.objects.filter(renewed_from=current).exists():
        # Two desks renewing at once: the second one finds the first's renewal here. The
        # one-to-one renewed_from link is the backstop for code that skips the lock.
        raise ValidationError("This membership was already renewed.")
    club = current.member.home_club
    today = clock.today(club)
    if not automatic and (too_early := too_early_to_renew(current, today=today)):
        raise ValidationError(too_early)
    # A rolling membership runs on without a gap: the member owes the days the task was late.
    start = current.end + dt.timedelta(days=1) if automatic else renewal_start(current, today=today)
    return sell(
        current.member,
        plan or current.plan,
        start=start,
        method=method,
        renewed_from=current if automatic or renews(current, start) else None,
        sold_by=sold_by,
        price_paid=price_paid,
        stripe_payment_intent_id=stripe_payment_intent_id,
        automatic=automatic,
    )


def _check_club(member: Member, plan: Plan) -> None:
    """A club sells its own plans. A chain-wide plan is valid at every club but sold by the
    club that owns it, at its manager's price, on its Plans page; a member who has had the
    plan (a renewal, a rejoin, an automatic renewal) keeps it, whichever club they are of."""
    if plan.club_id == member.home_club_id:
        return
    if member.memberships.not_cancelled().filter(plan=plan).exists():
        return
    club = member.home_club.name
    raise ValidationError(
        {"plan": f"{plan.name} is {plan.club.name}'s plan: {club} sells {club}'s own plans."}
    )


def renews(current: Membership, start: dt.date) -> bool:
    """Whether a membership starting on `start` renews `current` (within the club's grace
    days of its end), or is a rejoin after a gap, unlinked (renewal_timing.renews)."""
    grace = current.member.home_club.renewal_grace_days
    return renewal_timing.renews((start - current.end).days, grace)


def renewal_start(current: Membership, *, today: dt.date) -> dt.date:
    """Where a renewal of `current` starts: the day after it ends, or today once it no longer
    admits. An empty pack's renewal queued behind its end date would leave the member who just
    paid turned away at the door until then."""
    if is_used_up(current):
        return today
    return max(current.end + dt.timedelta(days=1), today)


def too_early_to_renew(current: Membership, *, today: dt.date) -> str:
    """Why a renewal of `current` cannot be sold today — it would start more than
    MAX_DAYS_AHEAD days from today, further than Sell may start one — or "" when it can. The
    desk's Renew, the portal's online renewal (which offers none before) and renew() itself
    ask it; an automatic renewal follows a membership that has ended, so is never ahead.
    A pack is renewed when its visits run low, however long it stays valid: no limit."""
    if current.plan.is_pack:
        return ""
    start = renewal_start(current, today=today)
    if start <= today + dt.timedelta(days=MAX_DAYS_AHEAD):
        return ""
    opens = start - dt.timedelta(days=MAX_DAYS_AHEAD)
    return (
        f"Renewal opens on {date_format(opens)}: {MAX_DAYS_AHEAD} days before it would start "
        f"on {date_format(start)}, the day after this {current.plan} ends."
    )


def following(current: Membership) -> Membership | None:
    """The paid membership that follows `current` (its renewal, a rejoin or a plan sold on its
    own to start later), the one a renewal of it would clash with; None while it is the latest.
    The desk's Renew asks first, so a form opened again after the sale sells nothing."""
    return (
        Membership.objects.filter(member_id=current.member_id, start__gt=current.start)
        .not_cancelled()
        .paid()
        .select_related("plan")
        .order_by("start", "pk")
        .first()
    )


def is_used_up(membership: Membership) -> bool:
    """A visit pack with no visits left: it admits nobody however long its dates run, so a
    membership sold beside it does not clash with it (_check_fits), and check-in and the
    desk's card pass over it to the one that admits."""
    return membership.plan.is_pack and not membership.visits_left


def latest_start(member: Member, *, today: dt.date) -> dt.date:
    """The last day a membership sold to `member` today may start, on a date staff choose:
    MAX_DAYS_AHEAD days from today, or the day after the member's membership in force ends when
    that is later (a second plan sold to follow an annual). A membership queued behind the one
    in force does not count: a chosen date two years ahead is a typo, not a plan."""
    in_force_end = (
        member.memberships.not_cancelled()
        .filter(start__lte=today, end__gte=today)
        .aggregate(end=Max("end"))["end"]
    )
    ahead = today + dt.timedelta(days=MAX_DAYS_AHEAD)
    return max(ahead, in_force_end + dt.timedelta(days=1)) if in_force_end else ahead


def first_membership(member: Member) -> Membership | None:
    """The membership that rules out a trial: the member's first that was not cancelled, or
    None for someone new to the club, who may still take one. sell() applies it; the desk's
    Sell form offers trial plans only to those it lets through."""
    return member.memberships.not_cancelled().select_related("plan").order_by("start", "pk").first()


def _check_start(member: Member, start: dt.date, *, chosen: bool) -> None:
    """A sale starts on the club's today or later, and a date staff chose (`chosen`: not a
    renewal's, which follows what it renews) by latest_start(). Started in the past it could be
    over before it was sold, and still use up the member's one trial; started years ahead it is
    a typo that was paid for today. Dates of a membership sold earlier are corrected on its
    edit screen, which does not go through here."""
    today = clock.today(member.home_club)
    if start < today:
        raise ValidationError(
            {
                "start": f"{date_format(start)} has passed: a membership sold now starts today "
                f"({date_format(today)}) or later. To correct the dates of one already sold, "
                "edit that membership."
            }
        )
    if not chosen:
        return
    latest = latest_start(member, today=today)
    if start > latest:
        by = (
            f"within {MAX_DAYS_AHEAD} days, by {date_format(latest)}"
            if latest == today + dt.timedelta(days=MAX_DAYS_AHEAD)
            else f"by {date_format(latest)}, the day after the membership in force ends"
        )
        raise ValidationError(
            {"start": f"{date_format(start)} is too far ahead: a membership sold now starts {by}."}
        )


def _check_fits(member: Member, plan: Plan, *, start: dt.date, end: dt.date) -> None:
    """One membership at a time: a sale may not overlap another that still counts (the card
    and the check-in would pick one and hide the other), and a trial is for newcomers only. A
    pack with no visits left no longer counts: its renewal starts today, beside it."""
    name = member.first_name or "This member"
    if plan.kind == Plan.Kind.TRIAL and (had := first_membership(member)) is not None:
        raise ValidationError(
            {
                "plan": f"{name} already had {had.plan} (from {date_format(had.start)}): "
                "a trial is for someone new to the club."
            }
        )
    counted = [
        m
        for m in member.memberships.not_cancelled().select_related("plan").order_by("start")
        if not is_used_up(m)
    ]
    clash = next((m for m in counted if m.start <= end and m.end >= start), None)
    if clash is None:
        return
    # The first day nothing runs any more; a gap between two memberships may be too short.
    last = max((m for m in counted if m.end >= start), key=lambda m: m.end)
    when = (
        f"until {date_format(clash.end)}"
        if clash.start <= start
        else f"from {date_format(clash.start)} to {date_format(clash.end)}"
    )
    instead = (
        "renew it instead, or start"
        if clash == last and clash.plan.kind != Plan.Kind.TRIAL
        else "start"
    )
    raise ValidationError(
        {
            "start": f"{name} has {clash.plan} {when}: {instead} on "
            f"{date_format(last.end + dt.timedelta(days=1))}."
        }
    )
