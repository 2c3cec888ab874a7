"""Changing a member's consent: the flag on the member, a consent log row and a timeline event."""

from __future__ import annotations

from django.db import transaction

from club import clock
from members import timeline
from members.models import Channel, ConsentLog, Member, MemberEvent


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
    [entry] = set_consent_many(
        [member],
        channel,
        granted=granted,
        source=source,
        wording=wording,
        recorded_by=recorded_by,
    )
    return entry


@transaction.atomic
def set_consent_many(
    members: list[Member],
    channel: str,
    *,
    granted: bool,
    source: str,
    wording: str = "",
    recorded_by=None,
) -> list[ConsentLog]:
    """set_consent() for several members at once (everyone with one phone number), in one
    update and two inserts."""
    field = {Channel.SMS: "sms_consent", Channel.EMAIL: "email_consent"}[Channel(channel)]
    now = clock.now()
    for member in members:
        setattr(member, field, granted)
    Member.objects.filter(pk__in=[member.pk for member in members]).update(**{field: granted})
    entries = ConsentLog.objects.bulk_create(
        ConsentLog(
            member=member,
            channel=channel,
            granted=granted,
            source=source,
            wording=wording,
            recorded_by=recorded_by,
            at=now,
        )
        for member in members
    )
    timeline.record_many(
        members,
        MemberEvent.Kind.CONSENT_CHANGED,
        at=now,
        actor=recorded_by,
        channel=channel,
        granted=granted,
        source=source,
    )
    return entries
