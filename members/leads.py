"""Capturing leads: from the website API, the trial form, the desk and the back-office.

Who counts as someone the club already knows is decided here, once, for every path
(`known_person`); see "Leads and duplicates" in docs/architecture.md.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Case, Q, Value, When
from django.db.models.functions import Lower
from django.db.models.lookups import Exact

from club.display import another_clubs_member
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

    The same email (case ignored) is the same person: an inbox is one's own (`capture` first
    refuses an email whose holders all bear another name, `email_of_another`). A phone is not
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


def email_of_another(
    club: Club | None, *, first_name: str, last_name: str = "", email: str
) -> Member | None:
    """The member (not erased) of `club`, or of any club when None, whose email this is
    (case ignored) when none of those who have it bears the typed name; None otherwise.

    The same email is the same person only under the same name (folded as `known_person`
    folds it): "Jan Jansen" typing Aisha Müller's address is not Aisha, and must neither
    collect a consent on her record nor vanish into it. The oldest such record is returned.
    One query."""
    if not email:
        return None
    holders = Member.objects.not_erased().filter(Exact(Lower("email"), email.lower()))
    if club is not None:
        holders = holders.filter(home_club=club)
    return holder_of_another_name(
        holders.select_related("home_club"), first_name=first_name, last_name=last_name
    )


def holder_of_another_name(
    holders: Iterable[Member], *, first_name: str, last_name: str = ""
) -> Member | None:
    """Of the members who hold one email, the oldest when none of them bears this name; None
    when one does (or none holds it). The rule of `email_of_another`, for a caller that has
    fetched the holders already: the import finds a whole file's people in one query."""
    name = search.search_name(first_name, last_name)
    holders = sorted(holders, key=lambda member: member.pk)
    # An empty folded name bears nobody's name, as in `known_person`.
    if not holders or (name and any(member.search_name == name for member in holders)):
        return None
    return holders[0]


def short_name(member: Member) -> str:
    """Enough of a name for staff to recognise the person without spelling out the record:
    "Aisha M…"."""
    initial = f" {member.last_name[:1]}…" if member.last_name else ""
    return f"{member.first_name}{initial}"


class EmailOfAnother(ValidationError):
    """The email typed belongs to another member of the club (`email_of_another`): an error
    at the email field, naming them only as `short_name` does, so staff can check it or open
    their card. Nothing was written."""

    def __init__(self, owner: Member):
        self.owner = owner
        super().__init__(
            {
                "email": ValidationError(
                    f"This email belongs to another member: {short_name(owner)} — check it, "
                    "or open their card.",
                    code="email_of_another",
                )
            }
        )


@dataclass(frozen=True)
class KnownElsewhere:
    """Another club of the chain knows this person: which club, and by what ("email", or
    "name and phone"). Nothing else about them is shown, since its staff may not see the
    record; `member` is for paths that hand the person to their own club (the trial form's
    call task on their record), never for this club's screens."""

    club: Club
    by: str
    member: Member | None = None

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
    # One query: a match at `club` sorts first and answers None; else the other club's,
    # one known by email before one known by name and phone.
    first = (
        Member.objects.not_erased()
        .filter(matches)
        .select_related("home_club")
        .annotate(
            here=Q(home_club=club),
            by_email=Q(Exact(Lower("email"), email.lower())) if email else Value(False),
        )
        .order_by("-here", "-by_email", "pk")
        .first()
    )
    if first is None or first.here:
        return None
    return KnownElsewhere(
        first.home_club, "email" if first.by_email else "name and phone", member=first
    )


# The words every path that registers a lead refuses one with (the desk, the back-office, the
# API): a lead nobody can reach gets a "call within 15 minutes" task with nothing to call.
NO_CONTACT = "Give a phone number or an email, so we can reach them."


def require_contact(*, email: str, phone: str) -> None:
    """Refuse a lead with neither a phone nor an email (a ValidationError, which Django forms
    and DRF serializers alike turn into an error about the whole form)."""
    if not email and not phone:
        raise ValidationError(NO_CONTACT, code="no_contact")


def email_taken(email: str, *, other_than: Member) -> Club | None:
    """The home club of another member (not erased) with this email, case ignored, or None.

    The same email is the same person (`known_person`), and the chain keeps one record per
    person, so an edit may not give a member someone else's address."""
    if not email:
        return None
    other = (
        Member.objects.not_erased()
        .filter(Exact(Lower("email"), email.lower()))
        .exclude(pk=other_than.pk)
        .select_related("home_club")
        .order_by("pk")
        .first()
    )
    return other.home_club if other else None


# Advisory-lock namespaces (the first key of pg_advisory_xact_lock's two): captures of one
# email, and of one phone, wait for each other across the chain.
_LOCK_EMAIL = 0x6C656D31  # "lem1"
_LOCK_PHONE = 0x6C706831  # "lph1"


def lock_person(*, email: str = "", phone: str = "") -> None:
    """Serialise, until this transaction ends, every capture of this email or this phone.

    `known_person` reads before `capture` inserts, so without it six identical website posts
    at once each found nobody and made six leads; there is no row yet to lock, and no unique
    column could say "same person" as `known_person` does. Transaction-scoped PostgreSQL
    advisory locks, the email's then the phone's, in one statement: every capture takes them
    in that order, so two never wait on each other crosswise. Taking them again in the same
    transaction (a caller that checks before `capture`) is free. SQLite serialises writers
    itself."""
    if not (email or phone) or connection.vendor != "postgresql":
        return
    keys = [(_LOCK_EMAIL, email.strip().lower())] if email else []
    # str(): the back-office's Add passes a PhoneNumber, which prints as E.164.
    keys += [(_LOCK_PHONE, str(phone).strip())] if phone else []
    sql = ", ".join("pg_advisory_xact_lock(%s, hashtext(%s))" for _ in keys)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {sql}", [value for key in keys for value in key])


class RegisteredElsewhere(Exception):
    """`capture(refuse_elsewhere=True)`: another club of the chain knows this person and this
    club does not (`known_elsewhere`); nothing was written."""

    def __init__(self, elsewhere: KnownElsewhere):
        super().__init__(elsewhere.club.name)
        self.elsewhere = elsewhere


def reaches(member: Member, channel: str, *, email: str = "", phone: str = "") -> bool:
    """Whether the contact typed for `channel` is the one on `member`'s record: consent given
    to a phone or an email is consent to that address, so it is recorded only when the record
    holds it (never for a channel the record has no address for, or another address)."""
    if channel == Channel.SMS:
        # PhoneNumber's == reads a string as the club's numbers are read.
        return bool(phone and member.phone) and member.phone == phone
    return bool(email) and member.email.lower() == email.lower()


def fill_in(member: Member, *, email: str = "", phone: str = "") -> list[str]:
    """Give the known person the email or phone typed when their record has none, as the
    member import does: never overwrite what the club has. An email another member of the
    chain has is not copied (`email_taken`: one record per address); a phone may be shared
    (a household), and then gets the same-phone note a new lead would. Returns the fields
    written."""
    changed = []
    if email and not member.email and email_taken(email, other_than=member) is None:
        member.email = email
        changed.append("email")
    if phone and not member.phone:
        member.phone = phone
        changed.append("phone")
    if changed:
        member.save(update_fields=changed)
        if "phone" in changed:
            _note_same_phone(member)
    return changed


def record_consent(
    member: Member,
    given: dict[str, str],
    *,
    email: str = "",
    phone: str = "",
    source: str,
    recorded_by=None,
) -> list[str]:
    """Record consent for each channel in `given` (channel -> the wording shown) that
    `reaches` the member through what was typed, unless they have it already; returns the
    channels recorded. A consent never silently revokes: a box left empty is no change."""
    recorded = []
    for channel, wording in given.items():
        if reaches(member, channel, email=email, phone=phone) and not member.has_consent(channel):
            consent.set_consent(
                member,
                channel,
                granted=True,
                source=source,
                wording=wording,
                recorded_by=recorded_by,
            )
            recorded.append(channel)
    return recorded


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
    refuse_elsewhere: bool = False,
) -> tuple[Member, bool]:
    """The known person (`known_person`), or a new lead with exactly what was typed.

    Captures of the same email or phone run one after another (`lock_person`), so a burst
    of identical posts makes one lead and the rest find it.
    An email that is another member's under another name (`email_of_another`) is refused
    with `EmailOfAnother` before anything is written: the typer is not that member, and a
    consent ticked by them must not land on that member's record. With `refuse_elsewhere`,
    someone only another club knows is refused with `RegisteredElsewhere`, under the same
    locks.
    Returns (member, created). A new lead whose phone another member of the club has gets a
    timeline note pointing at them, for staff to check; nothing is merged. A known person
    lacking the email or phone typed gets it (`fill_in`); one with another keeps theirs.
    Consent given now is recorded on the returned member for what their record holds
    (`record_consent`: never for an address it does not have), and never silently revoked
    by a form that left a box empty.
    """
    lock_person(email=email, phone=phone)
    person = {"first_name": first_name, "last_name": last_name, "email": email, "phone": phone}
    if refuse_elsewhere and (elsewhere := known_elsewhere(club, **person)):
        raise RegisteredElsewhere(elsewhere)
    if owner := email_of_another(club, first_name=first_name, last_name=last_name, email=email):
        raise EmailOfAnother(owner)
    member = known_person(club, **person)
    created = member is None
    if created:
        member = Member.objects.create(home_club=club, **person, source=source)
        timeline.record(member, MemberEvent.Kind.LEAD_CREATED, actor=recorded_by, source=source)
        if phone:
            _note_same_phone(member)
    else:
        fill_in(member, email=email, phone=phone)
    given = {Channel.SMS: sms_consent, Channel.EMAIL: email_consent}
    record_consent(
        member,
        {channel: consent_wording for channel, ticked in given.items() if ticked},
        email=email,
        phone=phone,
        source=consent_source,
        recorded_by=recorded_by,
    )
    return member, created


def _note_same_phone(member: Member) -> None:
    """A possible duplicate, for staff only: the new lead's timeline points at the members of
    the club with the same phone (whose names differ, or they would have been matched)."""
    note_same_phones([member])


def note_same_phones(members: list[Member], *, actor=None, at=None) -> list[MemberEvent]:
    """Write a `same_phone` note on each of `members` (saved, with a phone) that shares its
    phone with other members of its club, naming up to SAME_PHONE_NAMED of them: the lead
    capture's note, for many at once (the member import). One query, one insert.

    By id alone: the names are read when the note is shown (`same_phone_texts`), so the note
    never keeps another person's name on this record, in its data export or after that
    person is erased."""
    members = [member for member in members if member.phone]
    holders: dict[tuple[int, str], list[int]] = {}
    rows = (
        Member.objects.filter(
            home_club__in={m.home_club_id for m in members}, phone__in={m.phone for m in members}
        )
        .order_by("pk")
        .values_list("home_club", "phone", "pk")
    )
    for club_id, phone, pk in rows if members else ():
        holders.setdefault((club_id, phone), []).append(pk)
    entries = []
    for member in members:
        others = [
            pk for pk in holders.get((member.home_club_id, member.phone), []) if pk != member.pk
        ]
        if others:
            data = {
                "same_phone_as": others[:SAME_PHONE_NAMED],
                "more": len(others) > SAME_PHONE_NAMED,
            }
            entries.append((member, at, data))
    return timeline.record_each(MemberEvent.Kind.SAME_PHONE, entries, actor=actor)


def same_phone_texts(events: Iterable[MemberEvent], *, member: Member) -> dict[int, str]:
    """What each of `member`'s same-phone notes among `events` says, by event id, naming the
    other members as their records are now: an erased one reads "Erased member #id", another
    club's (a record moved since) by first name only. One query for all the notes."""
    notes = [event for event in events if event.kind == MemberEvent.Kind.SAME_PHONE]
    ids = {pk for note in notes for pk in note.data.get("same_phone_as", [])}
    if not ids:
        return {}
    others = (
        Member.objects.filter(pk__in=ids)
        .only("first_name", "last_name", "home_club_id", "erased_at")
        .in_bulk()
    )

    def named(pk: int) -> str:
        other = others.get(pk)
        if other is None or other.is_erased:
            # Gone, or erased: the stored name is "Erased member #id" already.
            return other.full_name if other is not None else f"member #{pk}"
        if other.home_club_id != member.home_club_id:
            return another_clubs_member(other.first_name)
        return f"{other.full_name} (member #{pk})"

    texts = {}
    for note in notes:
        names = ", ".join(named(pk) for pk in note.data.get("same_phone_as", []))
        more = " and others" if note.data.get("more") else ""
        texts[note.pk] = (
            f"Same phone as {names}{more}: check whether this is the same person. "
            "Nothing was merged."
        )
    return texts
