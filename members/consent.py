"""Changing a member's consent: the flag on the member, a consent log row and a timeline event."""

from __future__ import annotations

from django.db import transaction

from club import clock
from members import timeline
from members.models import Channel, ConsentLog, Member, MemberEvent


@transaction.atomic
def set_consent(
    member: Member,
    channel: str,
    *,
    granted: bool,
    source: str,
    wording: str = "",
    recorded_by=None,
) -> ConsentLog:
    """Grant or revoke consent for one channel, logging who, where and the wording shown."""
    field = {Channel.SMS: "sms_consent", Channel.EMAIL: "email_consent"}[Channel(channel)]
    setattr(member, field, granted)
    Member.objects.filter(pk=member.pk).update(**{field: granted})
    entry = ConsentLog.objects.create(
        member=member,
        channel=channel,
        granted=granted,
        source=source,
        wording=wording,
        recorded_by=recorded_by,
        at=clock.now(),
    )
    timeline.record(
        member,
        MemberEvent.Kind.CONSENT_CHANGED,
        actor=recorded_by,
        channel=channel,
        granted=granted,
        source=source,
    )
    return entry
