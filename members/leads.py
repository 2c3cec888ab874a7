"""Capturing leads: from the website API, the trial form, the desk and the back-office.

Who counts as someone the club already knows is decided here, once, for every path
(`known_person`); see "Leads and duplicates" in docs/architecture.md.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction
from django.db.models import Case, Q, Value, When
from django.db.models.functions import Lower
from django.db.models.lookups import Exact

from club.models import Club
from members import consent, search, timeline
from members.models import Channel, Member, MemberEvent

# Named in the note on a new lead that shares their phone; more would crowd the timeline.
SAME_PHONE_NAMED = 3


def known_person(
    club: Club, *, first_name: str, last_name: str = "", email: str = "", phone: str = ""
) -> Member | None:
    """The member of `club` who is plausibly the person who typed these details, locked for
    update, or None.

    The same email (case ignored) is the same person: an inbox is one's own. A phone is not
    enough alone (a household's landline, a typo, a number passed on): it counts only with
    the same first and last name, accents, case, spaces and punctuation ignored as the desk
    search folds them.
    Several matches: one whose name matches too comes first, then the oldest record.
    An erased member is nobody: their record keeps no contact details, and must never
    collect new ones.
    """
    name = search.search_name(first_name, last_name)
    if not (matches := _same_person(name, email=email, phone=phone)):
        return None
    return (
        Member.objects.not_erased()
        .select_for_update()
        .filter(matches, home_club=club)
        .order_by(Case(When(search_name=name, then=Value(0)), default=Value(1)), "pk")
        .first()
    )


def _same_person(name: str, *, email: str, phone: str) -> Q:
    """Who counts as the person with these details (see `known_person`); empty when nothing
    typed can identify anyone."""
    matches = Q()
    if email:
        # LOWER(email) = …, which the member_email_lower index answers (iexact uses UPPER).
        matches |= Q(Exact(Lower("email"), email.lower()))
    if phone and name:
        matches |= Q(phone=phone, search_name=name)
    return matches


@dataclass(frozen=True)
class KnownElsewhere:
    """Another club of the chain knows this person: which club, and by what ("email", or
    "name and phone"). Nothing else about them, since its staff may not see the record."""

    club: Club
    by: str

    def message(self, here: Club) -> str:
        return (
            f"Someone with this {self.by} is already registered at {self.club.name}, so no "
            f"lead was registered here: the chain keeps one record per person. A member on a "
            f"plan valid at every club can simply check in here with their card; otherwise "
            f"{self.club.name} can sell them a plan valid at {here.name}, or a manager who "
            f"works at both clubs can move their record to {here.name}."
        )


def known_elsewhere(
    club: Club, *, first_name: str, last_name: str = "", email: str = "", phone: str = ""
) -> KnownElsewhere | None:
    """The other club that already knows the person typed at `club` (the rule of
    `known_person`), when `club` itself does not; None otherwise.

    The chain is one organisation: a second record for someone who is a member (or a lead)
    at another club would put them in `club`'s trial invitations and count them twice. Their
    record stays their club's, so only the club's name is told. A person `club` knows too
    is `capture`'s to find, as ever.
    """
    name = search.search_name(first_name, last_name)
    if not (matches := _same_person(name, email=email, phone=phone)):
        return None
    people = Member.objects.not_erased().filter(matches)
    if people.filter(home_club=club).exists():
        return None
    other = (
        people.select_related("home_club")
        .annotate(by_email=Q(Exact(Lower("email"), email.lower())) if email else Value(False))
        .order_by("-by_email", "pk")
        .first()
    )
    if other is None:
        return None
    return KnownElsewhere(other.home_club, "email" if other.by_email else "name and phone")


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
    """The known person (`known_person`), or a new lead with exactly what was typed.

    Returns (member, created). A new lead whose phone another member of the club has gets a
    timeline note naming them, for staff to check; nothing is merged. Consent given now is
    recorded on the returned member either way (and never silently revoked by a form that
    left a box empty).
    """
    member = known_person(
        club, first_name=first_name, last_name=last_name, email=email, phone=phone
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
        if phone:
            _note_same_phone(member)
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


def _note_same_phone(member: Member) -> None:
    """A possible duplicate, for staff only: the new lead's timeline names the members of
    the club with the same phone (whose names differ, or they would have been matched)."""
    others = list(
        Member.objects.filter(home_club=member.home_club_id, phone=member.phone)
        .exclude(pk=member.pk)
        .order_by("pk")
        .values_list("pk", "first_name", "last_name")[: SAME_PHONE_NAMED + 1]
    )
    if not others:
        return
    named = ", ".join(
        f"{f'{first} {last}'.strip()} (member #{pk})"
        for pk, first, last in others[:SAME_PHONE_NAMED]
    )
    more = " and others" if len(others) > SAME_PHONE_NAMED else ""
    timeline.record(
        member,
        MemberEvent.Kind.NOTE,
        text=f"Same phone as {named}{more}: check whether this is the same person. "
        "Nothing was merged.",
        same_phone_as=[pk for pk, _, _ in others[:SAME_PHONE_NAMED]],
    )
