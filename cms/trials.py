"""Signing up for a free trial on the public site.

One function does the whole sign-up in one transaction: find or create the lead, record
the consent they gave with the exact wording they saw, book the trial class, and ask the
front desk to call within 15 minutes. Anything that goes wrong rolls all of it back, so a
visitor who gets an error can simply try again.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass

from django.db import transaction

from checkin import bookings
from checkin.models import Booking, ClassSession
from club import clock, roles
from club.models import Club
from members import consent, leads, staff_tasks
from members.models import Channel, Member, Task

CONSENT_SOURCE = "trial form"
CALL_WITHIN = dt.timedelta(minutes=15)
# How far ahead the form offers classes (the club's booking window may be shorter).
TRIAL_WINDOW_DAYS = 14

FULL = "That class has just filled up. Please pick another time."
# Booking rules about the class (shown at the class field) rather than about the person.
SESSION_CODES = {"session_cancelled", "session_started", "window_not_open", "window_closed"}


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
    task: Task


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
    record the booking lands on, book `session` as a trial and open a "call within 15
    minutes" task.

    `session` is None only when the club offers no trial class at all right now: the lead
    and the call still matter. A full class is an error, not a waitlist place: a first-timer
    on a waitlist would most likely never come, so they are asked to pick another time.
    """
    if session is not None and session.club_id != club.pk:
        raise TrialSignupError("Please pick one of the classes listed.", code="wrong_club")
    member, created = leads.capture(
        club,
        first_name=first_name,
        last_name=last_name,
        email=email,
        phone=phone,
        source=Member.Source.WEBSITE,
        consent_source=CONSENT_SOURCE,
    )
    if not created:
        _complete_contact(member, phone=phone, email=email)
    # leads.capture takes one wording for both channels; each box has its own text.
    for channel, given, wording in (
        (Channel.SMS, sms_consent, wordings.sms),
        (Channel.EMAIL, email_consent, wordings.email),
    ):
        if given and not member.has_consent(channel):
            consent.set_consent(
                member, channel, granted=True, source=CONSENT_SOURCE, wording=wording
            )
    booking = _book(member, session) if session is not None else None
    task = staff_tasks.open_task(
        member,
        title=f"Call {member.full_name} within 15 minutes",
        title_when_closed=lambda due: _call_when_open(member, due),
        due_in=CALL_WITHIN,
        assigned_role=roles.FRONT_DESK,
        details=_task_details(member, booking, club),
        escalate_when_late=True,
    )
    return TrialSignup(member=member, created=created, booking=booking, task=task)


def _book(member: Member, session: ClassSession) -> Booking:
    try:
        booking = bookings.book(member, session, trial=True)
    except bookings.BookingError as error:
        # The booking rules speak to the visitor already ("one trial per person").
        if error.code in SESSION_CODES:
            raise TrialSignupError(f"{error} Please pick another time.", code=error.code) from error
        raise TrialSignupError(str(error), code=error.code, field=None) from error
    if booking.status == Booking.Status.WAITLISTED:
        # Raising rolls back the waitlist place, the lead and the consent with it.
        raise TrialSignupError(FULL, code="full")
    return booking


def _complete_contact(member: Member, *, phone: str, email: str) -> None:
    """A known person who now gives a phone or email we lacked: keep it, unless another
    member of the club already has it (that would make the two hard to tell apart)."""
    others = Member.objects.filter(home_club=member.home_club).exclude(pk=member.pk)
    changed = []
    if email and not member.email and not others.filter(email__iexact=email).exists():
        member.email = email
        changed.append("email")
    if phone and not member.phone and not others.filter(phone=phone).exists():
        member.phone = phone
        changed.append("phone")
    if changed:
        member.save(update_fields=changed)


def _call_when_open(member: Member, due: dt.datetime) -> str:
    """The call task's title when the sign-up came while the club was closed: the minutes count
    from the opening, so the title says by when, with the day when it is not today."""
    today = clock.today(member.home_club)
    day = "" if due.date() == today else f"{due:%a} "
    return f"Call {member.full_name} by {day}{due:%H:%M}, within 15 minutes of opening"


def _task_details(member: Member, booking: Booking | None, club: Club) -> str:
    contact = " · ".join(str(value) for value in (member.phone, member.email) if value)
    if booking is None:
        return (
            f"Signed up for a free trial on the website; no trial class was open. "
            f"Arrange one with them. {contact}"
        )
    session = booking.session
    start = session.start.astimezone(clock.zone(club))
    where = f" ({session.room})" if session.room else ""
    return (
        f"Free trial booked on the website: {session.class_type} on "
        f"{start:%a} {start.day} {start:%b} at {start:%H:%M}{where}. "
        f"Welcome them, answer questions, confirm they are coming. {contact}"
    )
