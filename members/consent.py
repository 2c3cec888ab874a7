"""Changing a member's consent: the flag on the member, a consent log row and a timeline event."""

from __future__ import annotations

import phonenumbers
from django.db import transaction
from phonenumber_field.phonenumber import PhoneNumber

from club import clock
from members import timeline
from members.models import Channel, ConsentLog, Member, MemberEvent

NEEDS_PHONE = "SMS consent needs a phone number."
# Kinds of number a text never reaches. Mobile, "fixed line or mobile" (the US, Canada),
# VoIP and unknown kinds pass: Twilio tells at send time, and a blocked reachable number is
# worse than a failed send.
NO_TEXTS = {
    phonenumbers.PhoneNumberType.FIXED_LINE: "a landline",
    phonenumbers.PhoneNumberType.PREMIUM_RATE: "a premium-rate number",
    phonenumbers.PhoneNumberType.TOLL_FREE: "a free-phone number",
    phonenumbers.PhoneNumberType.SHARED_COST: "a shared-cost number",
    phonenumbers.PhoneNumberType.UAN: "a company number",
    phonenumbers.PhoneNumberType.VOICEMAIL: "a voicemail number",
    phonenumbers.PhoneNumberType.PAGER: "a pager number",
}


def kind_without_texts(phone: PhoneNumber | str | None) -> str:
    """The kind of number this is ("a landline") when texts never reach it; "" when they
    may, or there is no number. `phone` as stored (E.164)."""
    if not phone:
        return ""
    try:
        number = phonenumbers.parse(str(phone))
    except phonenumbers.NumberParseException:
        return ""  # unreadable numbers have an error of their own
    return NO_TEXTS.get(phonenumbers.number_type(number), "")


def sms_consent_problem(phone: PhoneNumber | str | None) -> str:
    """Why SMS consent cannot go with this number ("" when it can): there is none, or its
    kind takes no texts (a landline typed in the phone field). `phone` as stored (E.164)."""
    if not phone:
        return NEEDS_PHONE
    if kind := kind_without_texts(phone):
        return f"SMS consent needs a mobile number: this is {kind}, which texts do not reach."
    return ""


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
