"""Capturing leads: from the website API, the desk and (later) the trial form."""

from __future__ import annotations

from django.db import transaction
from django.db.models import Q

from club.models import Club
from members import consent, timeline
from members.models import Channel, Member, MemberEvent


@transaction.atomic
def capture(
    club: Club,
    *,
    first_name: str,
    last_name: str = "",
    email: str = "",
    phone: str = "",
    source: str,
    sms_consent: bool = False,
    email_consent: bool = False,
    consent_source: str,
    consent_wording: str = "",
    recorded_by=None,
) -> tuple[Member, bool]:
    """Find the person by phone or email at this club, or create them as a lead.

    Returns (member, created). A known person is not duplicated; consent given now is
    recorded either way (and never silently revoked by a form that left a box empty).
    """
    known = Q()
    if email:
        known |= Q(email__iexact=email)
    if phone:
        known |= Q(phone=phone)
    member = (
        Member.objects.select_for_update().filter(known, home_club=club).order_by("pk").first()
        if known
        else None
    )
    created = member is None
    if created:
        member = Member.objects.create(
            home_club=club,
            first_name=first_name,
            last_name=last_name,
            email=email,
            phone=phone,
            source=source,
        )
        timeline.record(member, MemberEvent.Kind.LEAD_CREATED, actor=recorded_by, source=source)
    for channel, given in ((Channel.SMS, sms_consent), (Channel.EMAIL, email_consent)):
        if given and not member.has_consent(channel):
            consent.set_consent(
                member,
                channel,
                granted=True,
                source=consent_source,
                wording=consent_wording,
                recorded_by=recorded_by,
            )
    return member, created
