"""Signing up for a free trial on the public site.

One function does the whole sign-up in one transaction: find or create the lead, record
the consent they gave with the exact wording they saw, book the trial class, and ask the
front desk to call within 15 minutes. Anything that goes wrong rolls all of it back, so a
visitor who gets an error can simply try again.

The visitor is anonymous: nothing they see may depend on whether the email or phone they
typed is known to the club. A known person whose trial is refused (a member, a trial already
used) is therefore not an error but a sign-up the front desk follows up by phone.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable
from dataclasses import dataclass

from django.db import transaction

from checkin import bookings
from checkin.models import Booking, ClassSession
from club import clock, roles
from club.models import Club
from members import leads, staff_tasks, timeline
from members.models import Channel, Member, MemberEvent, Task

CONSENT_SOURCE = "trial form"
CALL_WITHIN = dt.timedelta(minutes=15)
# How far ahead the form offers classes (the club's booking window may be shorter).
TRIAL_WINDOW_DAYS = 14

FULL = "That class has just filled up. Please pick another time."
# Booking rules about the class (shown at the class field) rather than about the person.
SESSION_CODES = {"session_cancelled", "session_started", "window_not_open", "window_closed"}
# Why a known person's sign-up booked no class (a `trial_signup` event's reason), in words.
NOT_BOOKED_REASONS = {
    "not_trial_eligible": "Not booked: a member, or their free trial is used",
    "already_booked": "Not booked: already booked for that class",
    "penalty": "Not booked: bookings paused after a late cancel or no-show",
    "no_class": "No trial class was open",
    "registered_elsewhere": "Not booked: asked at another club of the chain",
}


@dataclass(frozen=True)
class ConsentWordings:
    """The consent texts the form shows; the same strings go into the consent log."""

    sms: str
    email: str

    @property
    def digest(self) -> str:
        """Sent with the form, so a sign-up is refused if the texts changed in between."""
        return hashlib.sha256(f"{self.sms}\0{self.email}".encode()).hexdigest()[:16]


@dataclass(frozen=True)
class TrialSignup:
    member: Member
    created: bool
    booking: Booking | None
    # The call task: a new one, or the known person's open task, which stands for it.
    task: Task
    # Why a known person's class was not booked, for staff only ("" when it was booked).
    not_booked: str = ""


class TrialSignupError(Exception):
    """The sign-up cannot go ahead; `message` is for the visitor, next to `field`."""

    def __init__(self, message: str, *, code: str, field: str | None = "session"):
        super().__init__(message)
        self.message = message
        self.code = code
        self.field = field


def offered_sessions(club: Club) -> list[ClassSession]:
    """Trial-eligible classes a visitor can still book: seats left, inside the booking window."""
    now = clock.now()
    opens_until = now + dt.timedelta(days=min(TRIAL_WINDOW_DAYS, club.booking_opens_days_ahead))
    closes_at = now + dt.timedelta(minutes=club.booking_closes_minutes_before)
    sessions = bookings.upcoming_sessions(club, start=now, days=TRIAL_WINDOW_DAYS).filter(
        class_type__trial_eligible=True,
        seats_left__gt=0,
        start__gt=closes_at,
        start__lte=opens_until,
    )
    return list(sessions)


# Why a class the schedule linked to is not on the form, for the visitor (unavailable_notice).
NOT_FOUND = "We could not find that class"
NOT_FOR_TRIAL = "That class is not open for a free trial"
CANCELLED = "That class has been cancelled"
STARTED = "That class has already started"
IS_FULL = "That class is full"
CLOSED = "Booking for that class has closed"


def unavailable_notice(club: Club, wanted: str, offered: list[ClassSession]) -> str:
    """Why the class the schedule's "Try it free" link named (`?session=<id>`) is not among
    the `offered` ones the form lists, in words for the visitor; "" when it is, or when none
    was named. A link followed late (the class since started, filled up or was cancelled)
    used to drop the choice without a word."""
    if not wanted:
        return ""
    pk = int(wanted) if wanted.isdigit() and 0 < int(wanted) < 2**63 else None
    if pk is not None and any(session.pk == pk for session in offered):
        return ""
    session = None
    if pk is not None:
        named = ClassSession.objects.filter(club=club, pk=pk).select_related("class_type")
        session = bookings.with_counts(named).first()
    reason = _not_offered_because(club, session)
    # The page says itself when there is nothing else to choose ("No trial classes are open").
    return f"{reason}: choose another below." if offered else f"{reason}."


def _not_offered_because(club: Club, session: ClassSession | None) -> str:
    """The first of offered_sessions' conditions the class fails (another club's is unknown)."""
    now = clock.now()
    if session is None:
        return NOT_FOUND
    if not session.class_type.trial_eligible:
        return NOT_FOR_TRIAL
    if session.is_cancelled:
        return CANCELLED
    if session.start <= now:
        return STARTED
    if session.seats_left <= 0:
        return IS_FULL
    if session.start <= now + dt.timedelta(minutes=club.booking_closes_minutes_before):
        return CLOSED
    # Only the window is left: the class is further ahead than trials are offered.
    ahead = dt.timedelta(days=min(TRIAL_WINDOW_DAYS, club.booking_opens_days_ahead))
    opens = (session.start - ahead).astimezone(clock.zone(club))
    return f"Trial places for that class open on {opens:%a} {opens.day} {opens:%b at %H:%M}"


@transaction.atomic
def sign_up_for_trial(
    club: Club,
    *,
    first_name: str,
    last_name: str = "",
    phone: str,
    email: str = "",
    session: ClassSession | None,
    sms_consent: bool = False,
    email_consent: bool = False,
    wordings: ConsentWordings,
) -> TrialSignup:
    """Capture the lead (a known person, by `leads.known_person`, is not duplicated; anyone
    else is a new lead with what they typed), record consent with the wording shown on the
    record the booking lands on, book `session` as a trial and make sure the front desk
    calls: a "call within 15 minutes" task, unless the person has an open task already.

    A known person's sign-up is on their timeline (`trial_signup`). When the booking rules
    refuse them as a person (a member, a trial already used, booked for that class already)
    it is no error: the visitor must not learn that the email or phone is known, so the
    sign-up goes ahead without a class and the task says why, for the desk to sort out.

    Someone else's email (held, here or at another club, under another name) is not kept:
    they sign up by name and phone, and the task says so. Someone another club of the chain
    knows gets no record here (`_sign_up_elsewhere`). Either way the visitor reads the same
    thank-you page as anyone.

    `session` is None only when the club offers no trial class at all right now: the lead
    and the call still matter. A full class is an error, not a waitlist place: a first-timer
    on a waitlist would most likely never come, so they are asked to pick another time.
    """
    if session is not None and session.club_id != club.pk:
        raise TrialSignupError("Please pick one of the classes listed.", code="wrong_club")
    # Sign-ups of one email or phone one after another, for these checks and the capture:
    # a double-submitted form made two leads, two bookings and two calls.
    leads.lock_person(email=email, phone=phone)
    # The desk's rule (leads.email_of_another), answered without telling the visitor: an email
    # whose holders, here or at another club, all bear another name is not this person's. It
    # is not saved, nor is consent to it; they sign up with their name and phone.
    person = {"first_name": first_name, "last_name": last_name}
    email_of = leads.email_of_another(club, **person, email=email) or leads.email_of_another(
        None, **person, email=email
    )
    if email_of is not None:
        email, email_consent = "", False
    # One record per person in the chain (leads.known_elsewhere): someone another club knows
    # by their email, or phone, and name gets no second record here; their own club calls.
    if elsewhere := leads.known_elsewhere(club, **person, email=email, phone=phone):
        return _sign_up_elsewhere(club, elsewhere.member, session=session)
    member, created = leads.capture(
        club,
        first_name=first_name,
        last_name=last_name,
        email=email,
        phone=phone,
        source=Member.Source.WEBSITE,
        consent_source=CONSENT_SOURCE,
    )
    # Per channel, with the wording each box showed; only for what the record holds
    # (leads.record_consent: the phone or email they typed, or filled in by capture).
    given = {
        Channel.SMS: (sms_consent, wordings.sms),
        Channel.EMAIL: (email_consent, wordings.email),
    }
    leads.record_consent(
        member,
        {channel: wording for channel, (ticked, wording) in given.items() if ticked},
        email=email,
        phone=phone,
        source=CONSENT_SOURCE,
    )
    booking, refusal = _book(member, session, known=not created) if session else (None, None)
    if not created:
        _record_signup(member, session, booking, refusal)
    task = _call_task(
        member, lambda: _task_details(member, club, session, booking, refusal, email_of=email_of)
    )
    return TrialSignup(
        member=member,
        created=created,
        booking=booking,
        task=task,
        not_booked=str(refusal) if refusal else "",
    )


def _sign_up_elsewhere(club: Club, member: Member, *, session: ClassSession | None) -> TrialSignup:
    """A person another club of the chain knows asked for a trial at `club`: nothing is booked
    and nothing saved here (no lead, no consent: its wording names `club`), and the visitor
    is thanked as anyone else. The sign-up goes on their timeline and to their own club's
    desk, as a call task unless one is open, to sort out by phone (a plan valid at every club,
    or one valid at `club`)."""
    _record_signup(member, session, None, None, reason="registered_elsewhere")
    task = _call_task(member, lambda: _elsewhere_details(member, club, session))
    return TrialSignup(
        member=member,
        created=False,
        booking=None,
        task=task,
        not_booked=NOT_BOOKED_REASONS["registered_elsewhere"],
    )


def _call_task(member: Member, details: Callable[[], str]) -> Task:
    """The desk's call about a sign-up: the member's open task if they have one (whoever picks
    it up calls them anyway, and the sign-up is on their timeline), else a new one whose
    `details()` are written only then."""
    task = member.tasks.open().order_by("due_at", "pk").first()
    if task is not None:
        return task
    return staff_tasks.open_task(
        member,
        title=f"Call {member.full_name} within 15 minutes",
        title_when_closed=lambda due: _call_when_open(member, due),
        due_in=CALL_WITHIN,
        assigned_role=roles.FRONT_DESK,
        details=details(),
        escalate_when_late=True,
    )


def _elsewhere_details(member: Member, club: Club, session: ClassSession | None) -> str:
    contact = " · ".join(str(value) for value in (member.phone, member.email) if value)
    asked = f": {_what(session, club)}" if session else "; no trial class was open"
    return (
        f"Asked on {club.name}'s website for a free trial{asked}. Nothing was booked or "
        f"registered at {club.name}: they are registered here, and the chain keeps one record "
        f"per person. Call them: a plan valid at every club lets them come to {club.name}; "
        f"otherwise sell them one valid there. {contact}"
    )


def _book(
    member: Member, session: ClassSession, *, known: bool
) -> tuple[Booking | None, bookings.BookingError | None]:
    """The trial booking, or for a known person whom the rules refuse, None and why."""
    try:
        booking = bookings.book(member, session, trial=True)
    except bookings.BookingError as error:
        # The booking rules speak to the visitor already ("That class has been cancelled").
        if error.code in SESSION_CODES:
            raise TrialSignupError(f"{error} Please pick another time.", code=error.code) from error
        if known:
            # About the person ("Trial visits are for new visitors"): saying so would tell
            # whoever typed this email or phone that the club knows it.
            return None, error
        raise TrialSignupError(str(error), code=error.code, field=None) from error
    if booking.status == Booking.Status.WAITLISTED:
        # Raising rolls back the waitlist place, the lead and the consent with it.
        raise TrialSignupError(FULL, code="full")
    return booking, None


def _record_signup(
    member: Member,
    session: ClassSession | None,
    booking: Booking | None,
    refusal: bookings.BookingError | None,
    *,
    reason: str = "",
) -> None:
    """A known person signed up again: their timeline says so, and what came of it."""
    if session is None:
        about = {"reason": reason or "no_class"}
    else:
        about = {"session": session.pk, "class_name": session.class_type.name}
        about |= {"start": session.start, "reason": reason or (refusal.code if refusal else "")}
    timeline.record(
        member,
        MemberEvent.Kind.TRIAL_SIGNUP,
        source=Member.Source.WEBSITE,
        booking=booking.pk if booking else None,
        **about,
    )


def _call_when_open(member: Member, due: dt.datetime) -> str:
    """The call task's title when the sign-up came while the club was closed: the minutes count
    from the opening, so the title says by when, with the day when it is not today."""
    today = clock.today(member.home_club)
    day = "" if due.date() == today else f"{due:%a} "
    return f"Call {member.full_name} by {day}{due:%H:%M}, within 15 minutes of opening"


def _task_details(
    member: Member,
    club: Club,
    session: ClassSession | None,
    booking: Booking | None,
    refusal: bookings.BookingError | None,
    *,
    email_of: Member | None = None,
) -> str:
    return " ".join(
        part
        for part in (
            _task_outcome(member, club, session, booking, refusal),
            _email_not_saved(member, email_of),
            _same_phone(member),
        )
        if part
    )


def _what(session: ClassSession, club: Club) -> str:
    start = session.start.astimezone(clock.zone(club))
    where = f" ({session.room})" if session.room else ""
    return f"{session.class_type} on {start:%a} {start.day} {start:%b} at {start:%H:%M}{where}"


def _task_outcome(
    member: Member,
    club: Club,
    session: ClassSession | None,
    booking: Booking | None,
    refusal: bookings.BookingError | None,
) -> str:
    contact = " · ".join(str(value) for value in (member.phone, member.email) if value)
    if session is None:
        return (
            f"Signed up for a free trial on the website; no trial class was open. "
            f"Arrange one with them. {contact}"
        )
    what = _what(session, club)
    if booking is None:
        return (
            f"Asked on the website for a free trial: {what}. Not booked: {refusal} "
            f"The website thanked them as anyone else, so tell them, and help them book "
            f"another way. {contact}"
        )
    return (
        f"Free trial booked on the website: {what}. "
        f"Welcome them, answer questions, confirm they are coming. {contact}"
    )


def _email_not_saved(member: Member, email_of: Member | None) -> str:
    """The email typed was another member's under another name: it was not kept (nor any
    email consent). The holder is named by id only when they are this club's, as the card's
    same-phone note does; another club's record is not this desk's to see."""
    if email_of is None:
        return ""
    whose = (
        f"member #{email_of.pk}'s"
        if email_of.home_club_id == member.home_club_id
        else "a member's at another club of the chain"
    )
    return (
        f"The email they typed is {whose}, under another name, so it was not saved (nor any "
        "email consent): ask them for their own."
    )


def _same_phone(member: Member) -> str:
    """A new lead whose phone other members of the club have (the same-phone note on their
    timeline): the caller should know before booking a second free trial on one number. Ids
    only, as the note stores them; the card names them."""
    note = member.events.filter(kind=MemberEvent.Kind.SAME_PHONE).order_by("pk").first()
    if note is None:
        return ""
    ids = ", ".join(f"#{pk}" for pk in note.data.get("same_phone_as", []))
    more = " and others" if note.data.get("more") else ""
    return (
        f"Same phone as member {ids}{more}: check whether this is the same person before the "
        'trial (the card\'s "Possible duplicate" note names them).'
    )
