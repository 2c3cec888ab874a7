"""Freezing a membership: access pauses and the end date moves by the freeze's length."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import transaction

from club import clock
from members import timeline
from members.models import MemberEvent
from memberships.models import Freeze, Membership


@transaction.atomic
def freeze(
    membership: Membership, *, start: dt.date, end: dt.date, reason: str = "", created_by=None
) -> Freeze:
    """Freeze a membership from start to end (both included) and push its end date back.

    Raises ValidationError when the dates are reversed, fall outside the membership,
    or overlap another freeze of it.
    """
    # Lock the membership so two desks cannot add overlapping freezes at once.
    locked = Membership.objects.select_for_update().get(pk=membership.pk)
    if end < start:
        raise ValidationError({"end": "A freeze cannot end before it starts."})
    if start < locked.start or start > locked.end:
        raise ValidationError({"start": "A freeze must start while the membership runs."})
    if locked.freezes.filter(start__lte=end, end__gte=start).exists():
        raise ValidationError({"start": "This freeze overlaps another freeze of the membership."})

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
    )
    return new_freeze


@transaction.atomic
def unfreeze(frozen: Freeze, *, on: dt.date, by=None) -> Freeze:
    """End a freeze early: the member is back from `on`, and the unused days come off the end."""
    frozen = Freeze.objects.select_for_update().select_related("membership").get(pk=frozen.pk)
    if not frozen.start <= on <= frozen.end + dt.timedelta(days=1):
        raise ValidationError({"on": "A freeze can only be ended while it runs."})
    unused_days = (frozen.end - on).days + 1
    if unused_days <= 0:
        return frozen
    membership = Membership.objects.select_for_update().get(pk=frozen.membership_id)
    if on == frozen.start:
        frozen.delete()
    else:
        frozen.end = on - dt.timedelta(days=1)
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
    )
    return frozen
