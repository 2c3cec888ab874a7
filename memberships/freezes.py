"""Freezing a membership: access pauses and the end date moves by the freeze's length.

The member's memberships queued behind a membership (back to back after its end, renewals
linked by renewed_from or plans sold on their own to start the day after) move with its end, so
they never overlap it: a freeze pushes them later, ending a freeze early or cancelling one that
has not started pulls them back by the days given back.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils.formats import date_format

from club import clock
from club.display import FULL_DATE
from members import locks, timeline
from members.models import MemberEvent
from memberships.models import Freeze, Membership

ONE_DAY = dt.timedelta(days=1)


@transaction.atomic
def freeze(
    membership: Membership, *, start: dt.date, end: dt.date, reason: str = "", created_by=None
) -> Freeze:
    """Freeze a membership from start to end (both included) and push its end date back,
    and the memberships queued behind it with it.

    Raises ValidationError when it starts before the club's today (past_start_error), the
    dates are reversed, the freeze is longer than the club allows (Club.max_freeze_days) or
    would take the membership's freezes together past that figure, its dates fall outside the
    membership,
    overlap another freeze of it, or would push the membership into a later one that was not
    queued behind it (or a queued one away from its own freeze).
    """
    # The member first, as a check-in does, so a scan waits for the freeze and reads it; then
    # the membership, so two desks cannot add overlapping freezes at once.
    locks.member(membership.member_id)
    locked = Membership.objects.select_for_update().get(pk=membership.pk)
    club = membership.member.home_club
    if (past := past_start_error(start, today=clock.today(club))) is not None:
        raise ValidationError({"start": past})
    if end < start:
        raise ValidationError({"end": "A freeze cannot end before it starts."})
    if (days := (end - start).days + 1) > club.max_freeze_days:
        raise ValidationError(
            {
                "end": f"A freeze at {club} lasts at most {club.max_freeze_days} days; "
                f"this one is {days}."
            }
        )
    # The same figure caps the days of all its freezes together: back-to-back freezes of 90
    # days each would otherwise pause a membership for ever.
    used = sum(frozen.days for frozen in locked.freezes.only("start", "end"))
    if used + days > club.max_freeze_days:
        left = max(club.max_freeze_days - used, 0)
        raise ValidationError(
            {
                "end": f"Freezes of one membership at {club} total at most "
                f"{club.max_freeze_days} days: {used} used, {left} left; this one is {days}."
            }
        )
    if start < locked.start or start > locked.end:
        raise ValidationError({"start": "A freeze must start while the membership runs."})
    if locked.freezes.filter(start__lte=end, end__gte=start).exists():
        raise ValidationError({"start": "This freeze overlaps another freeze of the membership."})

    moved = _move_queued(locked, days=days)
    new_freeze = Freeze.objects.create(
        membership=locked,
        start=start,
        end=end,
        reason=reason,
        created_by=created_by,
        created_at=clock.now(),
    )
    locked.end += dt.timedelta(days=new_freeze.days)
    locked.save(update_fields=["end"])
    membership.end = locked.end
    timeline.record(
        locked.member,
        MemberEvent.Kind.MEMBERSHIP_FROZEN,
        actor=created_by,
        membership=locked.pk,
        start=start,
        end=end,
        reason=reason,
        new_end=locked.end,
        renewals_moved=moved,
    )
    return new_freeze


def past_start_error(start: dt.date, *, today: dt.date) -> str | None:
    """Why a freeze may not start on `start`, or None: days already gone by were days the
    member could come in (and may have), so freezing them would add free days to the end."""
    if start >= today:
        return None
    return (
        f"A freeze starts today or later; {date_format(start)} has passed. "
        f"Start it on {date_format(today)} or later."
    )


@dataclass(frozen=True)
class Unfrozen:
    """What unfreeze() did: the freeze as it now stands (deleted when ended on its first day),
    and the `membership_unfrozen` event that ended it; None only when no freeze of the member
    was ever ended."""

    freeze: Freeze
    event: MemberEvent | None


@transaction.atomic
def unfreeze(frozen: Freeze, *, on: dt.date, by=None) -> Unfrozen:
    """End a freeze early: the member is back from `on`, and the unused days come off the end
    (and off the queued memberships'). Returns the freeze as it now stands and the
    `membership_unfrozen` event that says so, for the desk's "Check in now"."""
    # The member first, as in freeze(): a scan waits for the freeze to end and is let in.
    member_id = _lock_member_of(frozen)
    locked = Freeze.objects.select_for_update().select_related("membership").filter(pk=frozen.pk)
    if (current := locked.first()) is None:
        # Ended on its first day by a second desk a moment ago: its days are back already.
        return Unfrozen(freeze=frozen, event=_latest_unfrozen(member_id))
    frozen = current
    if not frozen.start <= on <= frozen.end + ONE_DAY:
        raise ValidationError({"on": "A freeze can only be ended while it runs."})
    unused_days = (frozen.end - on).days + 1
    if unused_days <= 0:
        return Unfrozen(freeze=frozen, event=_latest_unfrozen(member_id))
    membership = Membership.objects.select_for_update().get(pk=frozen.membership_id)
    event = _give_back(membership, unused_days, by=by, on=on)
    if on == frozen.start:
        frozen.delete()
    else:
        frozen.end = on - ONE_DAY
        frozen.save(update_fields=["end"])
    return Unfrozen(freeze=frozen, event=event)


def _latest_unfrozen(member_id: int) -> MemberEvent | None:
    """When this call changed nothing, the member's latest unfreeze: a second desk's, which
    ended the freeze a moment before."""
    return (
        MemberEvent.objects.filter(member_id=member_id, kind=MemberEvent.Kind.MEMBERSHIP_UNFROZEN)
        .order_by("-at", "-pk")
        .first()
    )


@transaction.atomic
def cancel(frozen: Freeze, *, by=None) -> None:
    """Cancel a freeze that has not started: it is removed and all its days come off the end
    (and off the queued memberships'). A freeze already cancelled is left alone, so a second
    click, or a second desk, changes nothing.

    Raises ValidationError when the freeze has started (end it early instead) or is over.
    """
    # The member first, as in freeze(): a sale waits, so the next membership it sells is
    # either seen here and moved back, or sold against the end given back.
    _lock_member_of(frozen)
    frozen = Freeze.objects.select_for_update().filter(pk=frozen.pk).first()
    if frozen is None:
        return
    membership = (
        Membership.objects.select_for_update(of=("self",))
        .select_related("member__home_club")
        .get(pk=frozen.membership_id)
    )
    today = clock.today(membership.member.home_club)
    if frozen.end < today:
        raise ValidationError("This freeze is over: it can no longer be cancelled.")
    if frozen.start <= today:
        raise ValidationError("This freeze has started: end it early instead of cancelling it.")
    _give_back(membership, frozen.days, by=by, cancelled=True, start=frozen.start, end=frozen.end)
    frozen.delete()


def _give_back(membership: Membership, days: int, *, by, **event) -> MemberEvent:
    """Take `days` of a freeze off the membership's end and its queued memberships (ending
    it early, cancelling it), and write `membership_unfrozen` with `event`, under the locks
    the caller holds; return that event."""
    moved = _move_queued(membership, days=-days)
    membership.end -= dt.timedelta(days=days)
    membership.save(update_fields=["end"])
    return timeline.record(
        membership.member,
        MemberEvent.Kind.MEMBERSHIP_UNFROZEN,
        actor=by,
        membership=membership.pk,
        new_end=membership.end,
        renewals_moved=moved,
        **event,
    )


def _move_queued(membership: Membership, *, days: int) -> list[int]:
    """Move the memberships queued behind `membership` by `days` (earlier when negative), in
    the caller's transaction, which holds the member's lock, and before the membership's own
    end moves; return their ids.

    A membership is queued when it starts the day after the one before it ends: a renewal
    bought early, as `renew()` starts it, or a plan sold on its own to start then, as the
    desk suggests. Queued is a matter of dates, not of renewed_from: moving only the linked
    ones would run the membership into the others. One bought after a gap (once the
    membership had run out) kept its own start: it and the rest stay, and a freeze that would
    run the membership into it is refused. So is a move that would leave a freeze of a
    queued membership outside it.
    """
    shift = dt.timedelta(days=days)
    queued: list[Membership] = []
    previous_end = membership.end
    after_gap = None
    # Locked in start order after the membership (docs/architecture.md, "Lock order"). No sale
    # can add one meanwhile: sales take the member's lock, which the caller holds.
    for later in Membership.objects.select_for_update().after(membership):
        if later.start > previous_end + ONE_DAY:
            after_gap = later
            break
        queued.append(later)
        previous_end = max(previous_end, later.end)
    if days > 0 and after_gap is not None and after_gap.start <= previous_end + shift:
        raise ValidationError(
            "The membership would then run into the next one, "
            f"{after_gap.plan} from {date_format(after_gap.start, FULL_DATE)}."
        )
    if not queued:
        return []
    by_pk = {queued_membership.pk: queued_membership for queued_membership in queued}
    # Freezes are calendar days (a holiday) and stay put, so each must still start in its
    # membership once that has moved.
    for membership_pk, freeze_start in Freeze.objects.filter(membership_id__in=by_pk).values_list(
        "membership_id", "start"
    ):
        frozen_membership = by_pk[membership_pk]
        if not frozen_membership.start + shift <= freeze_start <= frozen_membership.end + shift:
            queued_from = date_format(frozen_membership.start, FULL_DATE)
            raise ValidationError(
                f"The membership from {queued_from} queued behind it has a freeze from "
                f"{date_format(freeze_start, FULL_DATE)} that would no longer fall in it; "
                "cancel that freeze first."
            )
    Membership.objects.filter(pk__in=by_pk).update(start=F("start") + shift, end=F("end") + shift)
    return list(by_pk)


def _lock_member_of(frozen: Freeze) -> int:
    """Lock the freeze's member; return their id."""
    member_id = Membership.objects.values_list("member_id", flat=True).get(pk=frozen.membership_id)
    locks.member(member_id)
    return member_id
