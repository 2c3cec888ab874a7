"""Opting a phone number out of (or back into) SMS: Twilio's STOP, START and error 21610.

Only members whose phone is exactly that number change: an opt-out on one member's phone
says nothing about another channel or another number.
"""

from __future__ import annotations

from members.consent import set_consent_many
from members.models import Channel, Member


def opt_out_number(phone: str, *, source: str) -> int:
    """Revoke SMS consent of every member with this phone; return how many changed."""
    return _set_number_consent(phone, granted=False, source=source)


def opt_in_number(phone: str, *, source: str) -> int:
    """Grant SMS consent back to every member with this phone (START, UNSTOP)."""
    return _set_number_consent(phone, granted=True, source=source)


def _set_number_consent(phone: str, *, granted: bool, source: str) -> int:
    members = list(Member.objects.filter(phone=phone).exclude(sms_consent=granted))
    if members:
        set_consent_many(members, Channel.SMS, granted=granted, source=source)
    return len(members)
