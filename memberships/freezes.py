"""Freezing a membership: access pauses and the end date moves by the freeze's length.

The renewals queued behind a membership in its renewal chain move with its end, so the chain
stays back to back: a freeze pushes them later, ending a freeze early or cancelling one that
has not started pulls them back by the days given back.
"""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F

from club import clock
from members import locks, timeline
from members.models import MemberEvent
from memberships.models import Freeze, Membership

ONE_DAY = dt.timedelta(days=1)


@transaction.atomic
def freeze(
    membership: Membership, *, start: dt.date, end: dt.date, reason: str = "", created_by=None
) -> Freeze:
    """Freeze a membership from start to end (both included) and push its end date back,
    and the renewals queued behind it with it.

    Raises ValidationError when the dates are reversed, the freeze is longer than the club
    allows (Club.max_freeze_days), its dates fall outside the membership,
    overlap another freeze of it, or would push the membership into a renewal that was not
    queued behind it (or a queued renewal away from its own freeze).
    """
    # The member first, as a check-in does, so a scan waits for the freeze and reads it; then
    # the membership, so two desks cannot add overlapping freezes at once.
    locks.member(membership.member_id)
    locked = Membership.objects.select_for_update().get(pk=membership.pk)
    if end < start:
        raise ValidationError({"end": "A freeze cannot end before it starts."})
    club = membership.member.home_club
    if (days := (end - start).days + 1) > club.max_freeze_days:
        raise ValidationError(
            {
                "end": f"A freeze at {club} lasts at most {club.max_freeze_days} days; "
                f"this one is {days}."
            }
        )
    if start < locked.start or start > locked.end:
        raise ValidationError({"start": "A freeze must start while the membership runs."})
    if locked.freezes.filter(start__lte=end, end__gte=start).exists():
        raise ValidationError({"start": "This freeze overlaps another freeze of the membership."})

    moved = _move_queued_renewals(locked, days=days)
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


@transaction.atomic
def unfreeze(frozen: Freeze, *, on: dt.date, by=None) -> Freeze:
    """End a freeze early: the member is back from `on`, and the unused days come off the end
    (and off the queued renewals')."""
    # The member first, as in freeze(): a scan waits for the freeze to end and is let in.
    locks.member(
        Membership.objects.values_list("member_id", flat=True).get(pk=frozen.membership_id)
    )
    locked = Freeze.objects.select_for_update().select_related("membership").filter(pk=frozen.pk)
    if (current := locked.first()) is None:
        # Ended on its first day by a second desk a moment ago: its days are back already.
        return frozen
    frozen = current
    if not frozen.start <= on <= frozen.end + ONE_DAY:
        raise ValidationError({"on": "A freeze can only be ended while it runs."})
    unused_days = (frozen.end - on).days + 1
    if unused_days <= 0:
        return frozen
    membership = Membership.objects.select_for_update().get(pk=frozen.membership_id)
    moved = _move_queued_renewals(membership, days=-unused_days)
    if on == frozen.start:
        frozen.delete()
    else:
        frozen.end = on - ONE_DAY
        frozen.save(update_fields=["end"])
    membership.end -= dt.timedelta(days=unused_days)
    membership.save(update_fields=["end"])
    timeline.record(
        membership.member,
        MemberEvent.Kind.MEMBERSHIP_UNFROZEN,
        actor=by,
        membership=membership.pk,
        on=on,
        new_end=membership.end,
        renewals_moved=moved,
    )
    return frozen


@transaction.atomic
def cancel(frozen: Freeze, *, by=None) -> None:
    """Cancel a freeze that has not started: it is removed and all its days come off the end
    (and off the queued renewals'). A freeze already cancelled is left alone, so a second
    click, or a second desk, changes nothing.

    Raises ValidationError when the freeze has started (end it early instead) or is over.
    """
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
    moved = _move_queued_renewals(membership, days=-frozen.days)
    frozen.delete()
    membership.end -= dt.timedelta(days=frozen.days)
    membership.save(update_fields=["end"])
    timeline.record(
        membership.member,
        MemberEvent.Kind.MEMBERSHIP_UNFROZEN,
        actor=by,
        membership=membership.pk,
        cancelled=True,
        start=frozen.start,
        end=frozen.end,
        new_end=membership.end,
        renewals_moved=moved,
    )


def _move_queued_renewals(membership: Membership, *, days: int) -> list[int]:
    """Move the renewals queued behind `membership` by `days` (earlier when negative), in the
    caller's transaction and before the membership's own end moves; return their ids.

    A renewal is queued when it starts the day after the one it renews ends, as `renew()`
    starts one bought early. One bought after a gap (once the membership had run out) kept
    its own start: it and the rest of the chain stay, and a freeze that would run the
    membership into it is refused. So is a move that would leave a freeze of a queued
    renewal outside it.
    """
    shift = dt.timedelta(days=days)
    queued: list[Membership] = []
    previous_end = membership.end
    renewal = _locked_renewal_of(membership)
    while renewal is not None and renewal.start == previous_end + ONE_DAY:
        queued.append(renewal)
        previous_end = renewal.end
        renewal = _locked_renewal_of(renewal)
    if days > 0 and renewal is not None and renewal.start <= previous_end + shift:
        raise ValidationError(
            f"The membership would then run into its renewal from {renewal.start:%-d %b %Y}."
        )
    if not queued:
        return []
    by_pk = {queued_renewal.pk: queued_renewal for queued_renewal in queued}
    # Freezes are calendar days (a holiday) and stay put, so each must still start in its
    # renewal once that has moved.
    for renewal_pk, freeze_start in Freeze.objects.filter(membership_id__in=by_pk).values_list(
        "membership_id", "start"
    ):
        frozen_renewal = by_pk[renewal_pk]
        if not frozen_renewal.start + shift <= freeze_start <= frozen_renewal.end + shift:
            raise ValidationError(
                f"The renewal from {frozen_renewal.start:%-d %b %Y} has a freeze from "
                f"{freeze_start:%-d %b %Y} that would no longer fall in it; cancel that "
                "freeze first."
            )
    Membership.objects.filter(pk__in=by_pk).update(start=F("start") + shift, end=F("end") + shift)
    return list(by_pk)


def _locked_renewal_of(membership: Membership) -> Membership | None:
    # One locking statement per link rather than one for the chain: each sees the rows
    # committed while it waited, so a renewal sold meanwhile is found and moved too.
    return Membership.objects.select_for_update().filter(renewed_from_id=membership.pk).first()
