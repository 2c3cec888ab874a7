"""Class bookings: seats, the waitlist, cancellations, attendance and penalties.

Every function that changes who holds a seat (book, cancel, promote_waitlist,
set_capacity, cancel_session) runs in one transaction that locks the session's row
(`SELECT … FOR UPDATE`) before anything else but the member's row (book, below), and
reads the clock and the seat count only after it holds the lock. Those transactions
therefore queue up per session, so capacity is never exceeded, waitlist positions are
handed out in commit order, and a freed seat is given away exactly once. Sessions do not
block each other.
book and freeze_membership take the member's lock first (members.locks.member), so one
member's bookings and freezes queue up; the freeze then holds the membership's lock too and
takes each class's session lock in start order to cancel what the freeze covers. Nothing that
holds a session lock waits for a member's lock, so this cannot deadlock.

Marking attendance does not change how many seats are taken, so it uses conditional
updates of the booking rows instead of the session lock: a double click marks once.

Seats are held by booked, attended and no-show bookings (attendance is marked from an
hour before the class, when the member checks in; staff may mark it from then on too).
Waitlist positions are an ordering key, not a rank: nobody is renumbered when someone
leaves the waitlist, so positions may have gaps. A new waitlister gets the highest live
position + 1, and `waitlist_place()` gives the rank to show a member ("#2 on the waitlist").
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import (
    BigIntegerField,
    Count,
    DateTimeField,
    Exists,
    F,
    Max,
    OuterRef,
    Q,
    QuerySet,
    Value,
)
from django.db.models.functions import Greatest

from checkin.models import Booking, ClassSession, ClassType
from club import clock
from club.models import Club
from club.prepared import Param, Prepared
from members import locks, timeline
from members.models import Member, MemberEvent
from memberships import freezes
from memberships.models import Freeze, Membership

if TYPE_CHECKING:
    from django.contrib.auth.base_user import AbstractBaseUser

__all__ = [
    "LATE_CANCEL_GRACE",
    "SEAT_STATUSES",
    "BookingError",
    "Refusal",
    "attend_on_check_in",
    "attendance_opens",
    "book",
    "booked_late_notice",
    "booking_window",
    "cancel",
    "cancel_session",
    "cancelled_by_freeze",
    "class_refusals",
    "freeze_membership",
    "late_cancel_notice",
    "mark_attended",
    "mark_no_show",
    "mark_remaining_no_show",
    "promote_waitlist",
    "set_capacity",
    "trial_due_on_check_in",
    "trial_refusal",
    "upcoming_sessions",
    "waitlist_place",
    "window_error",
    "with_counts",
]

Status = Booking.Status
Kind = MemberEvent.Kind

# Statuses that hold one of the session's seats.
SEAT_STATUSES = (Status.BOOKED, Status.ATTENDED, Status.NO_SHOW)
LIVE_STATUSES = (Status.BOOKED, Status.WAITLISTED)

# A check-in marks attended the classes starting this soon after it, or this recently before.
CHECK_IN_BEFORE_CLASS = dt.timedelta(minutes=60)
CHECK_IN_AFTER_START = dt.timedelta(minutes=30)

# A seat cancelled this soon after it became the member's is never a late cancel, whenever
# the class starts: a mis-tap or a change of mind right after booking is not the short-notice
# no-show the rule is for (booking systems commonly allow 10–15 minutes).
LATE_CANCEL_GRACE = dt.timedelta(minutes=15)

# Why a booking penalty was given (a `booking_penalty` event's reason), in words.
PENALTY_REASONS = {"late_cancel": "Late cancellation", "no_show": "No-show"}
# Why a booking was cancelled other than by the member's own choice, in words.
CANCEL_REASONS = {"frozen": "Membership frozen"}

MESSAGES = {
    "session_cancelled": "This class has been cancelled.",
    "session_started": "This class has already started.",
    "window_not_open": "Booking for this class has not opened yet.",
    "window_closed": "Booking for this class has closed.",
    "no_class_membership": "You need a membership that includes classes to book this class.",
    "membership_frozen": "Your membership is frozen on the day of this class.",
    "no_visits_left": "Your visit pack is used up: top it up to book this class.",
    "not_trial_eligible": "This class is not open for trial visits.",
    "penalty": "You cannot book classes for a few days after a late cancellation or a no-show.",
    "already_booked": "You are already booked for this class.",
    "capacity_below_booked": "The capacity cannot be lower than the number of people booked.",
    # Staff actions on the roster.
    "not_booked": "Only a booked place can be marked attended or no-show.",
    "not_started": "A no-show can only be recorded once the class has started.",
    "not_attended": "Only a place marked attended can be put back to booked.",
    "attendance_not_open": "Attendance can be marked from an hour before the class starts.",
}


class BookingError(ValidationError):
    """A booking rule said no. `.code` says which rule; the message is for the member."""

    def __init__(self, code: str, message: str | None = None):
        if code not in MESSAGES:
            raise ValueError(f"Unknown booking error code: {code!r}")
        super().__init__(message or MESSAGES[code], code=code)

    def __str__(self) -> str:
        return str(self.message)


# --- booking and cancelling -------------------------------------------------------------


def book(
    member: Member,
    session: ClassSession,
    *,
    trial: bool = False,
    by: AbstractBaseUser | None = None,
) -> Booking:
    """Book the member a seat, or put them on the waitlist when the class is full.

    `trial=True` books a free trial visit for a lead or trial member (the class type must
    be trial-eligible; no membership needed). Members book inside the club's booking
    window; staff (`by` is a staff user) may book outside it, but nobody books above the
    capacity. Raises BookingError when a rule says no.
    """
    staff = _is_staff(by)
    with transaction.atomic():
        # The member before the session, as freeze_membership takes them: a freeze landing
        # meanwhile either waits and cancels this booking or is read here and refuses it, and
        # two trial bookings of one visitor queue, so the second sees the first.
        locks.member(member.pk)
        session = _lock(session.pk)
        now = clock.now()
        if session.is_cancelled:
            raise BookingError("session_cancelled")
        if now >= session.start:
            raise BookingError("session_started")
        existing = (
            Booking.objects.filter(session=session, member=member)
            .exclude(status=Status.CANCELLED)
            .first()
        )
        if existing is not None:
            raise BookingError(
                "already_booked",
                "You are already on the waitlist for this class."
                if existing.status == Status.WAITLISTED
                else None,
            )
        if not staff and (closed := window_error(session, now)) is not None:
            raise closed
        day = session.start.astimezone(clock.zone(session.club)).date()
        if trial:
            _check_trial(member, session)
            refusal = _ban(member, session.club, now)
        else:
            refusal = class_refusals(member, session.club, [day], now=now).get(day)
        if refusal is not None:
            raise refusal.error(day)

        taken = _seats_taken(session)
        if taken < session.capacity and _waitlist(session).exists():
            # Seats freed without a promotion (a capacity edited by hand): the people
            # already waiting get them before a newcomer does.
            taken += len(_promote_locked(session, now))
        if taken < session.capacity:
            status, position = Status.BOOKED, None
        else:
            last = _waitlist(session).aggregate(last=Max("waitlist_position"))["last"]
            status, position = Status.WAITLISTED, (last or 0) + 1
        try:
            with transaction.atomic():
                booking = Booking.objects.create(
                    session=session,
                    member=member,
                    status=status,
                    waitlist_position=position,
                    is_trial=trial,
                    created_at=now,
                )
        except IntegrityError:
            # The one-live-booking constraint, for a row written around this function.
            raise BookingError("already_booked") from None
        timeline.record(
            member,
            Kind.TRIAL_BOOKED if trial else Kind.CLASS_BOOKED,
            at=now,
            actor=by,
            **_about(booking, session),
            status=status,
            waitlist_position=position,
        )
    return booking


def cancel(booking: Booking, *, by: AbstractBaseUser | None = None) -> Booking:
    """Cancel a booking or leave the waitlist; a freed seat goes to the first waitlister.

    Cancelling a booked seat closer to the start than the club's `late_cancel_minutes` is
    a late cancel (recorded on the booking; with penalties on, also a `booking_penalty`
    on the timeline). Members cannot cancel once the class has started; staff can.
    Cancelling twice returns the booking unchanged, with `already_cancelled` true (a second
    click, or a second tab, is told so rather than "cancelled" again). The returned booking's
    `was_waitlisted` says whether it was a waitlist place, as read under the lock (screens word
    it "left the waitlist", and a promotion meanwhile makes it a seat).
    """
    with transaction.atomic():
        session = _lock(booking.session_id)
        # Locked too: another class's promotion may be taking this waitlist entry away.
        booking = (
            Booking.objects.select_for_update(of=("self",))
            .select_related("member")
            .get(pk=booking.pk)
        )
        booking.was_waitlisted = booking.status == Status.WAITLISTED
        booking.already_cancelled = booking.status == Status.CANCELLED
        if booking.already_cancelled:
            return booking
        if booking.status in (Status.ATTENDED, Status.NO_SHOW):
            raise BookingError(
                "session_started", "Attendance for this class is recorded; it cannot be cancelled."
            )
        now = clock.now()
        if now >= session.start and not _is_staff(by):
            raise BookingError(
                "session_started", "This class has already started; it cannot be cancelled."
            )
        was_booked = booking.status == Status.BOOKED
        booking.is_late_cancel = was_booked and _is_late(booking, session, now)
        booking.status = Status.CANCELLED
        booking.cancelled_at = now
        booking.waitlist_position = None
        booking.save(
            update_fields=[
                "status",
                "cancelled_at",
                "waitlist_position",
                "is_late_cancel",
                "updated_at",
            ]
        )
        timeline.record(
            booking.member,
            Kind.CLASS_CANCELLED_BY_MEMBER,
            at=now,
            actor=by,
            **_about(booking, session),
            was_waitlisted=not was_booked,
            late_cancel=booking.is_late_cancel,
        )
        if booking.is_late_cancel:
            _record_penalty(booking, session, now, reason="late_cancel", actor=by)
        if was_booked:
            _promote_locked(session, now)
    return booking


def promote_waitlist(session: ClassSession) -> list[Booking]:
    """Give the session's free seats to its waitlist, in order; return who moved up.

    Each promoted member leaves the waitlists of other classes that overlap this one.
    Nobody is promoted once the class has started or when it is cancelled.
    """
    with transaction.atomic():
        session = _lock(session.pk)
        return _promote_locked(session, clock.now())


def set_capacity(
    session: ClassSession, capacity: int, *, by: AbstractBaseUser | None = None
) -> ClassSession:
    """Change the number of seats; never below the seats already taken.

    Raising it gives the new seats to the waitlist at once.
    """
    with transaction.atomic():
        session = _lock(session.pk)
        if capacity < 0:
            raise BookingError("capacity_below_booked", "The capacity cannot be negative.")
        taken = _seats_taken(session)
        if capacity < taken:
            raise BookingError(
                "capacity_below_booked",
                f"{taken} {'person is' if taken == 1 else 'people are'} already booked; "
                f"the capacity cannot be lower than that.",
            )
        session.capacity = capacity
        session.save(update_fields=["capacity"])
        _promote_locked(session, clock.now())
    return session


def cancel_session(
    session: ClassSession, *, by: AbstractBaseUser | None = None, reason: str = ""
) -> ClassSession:
    """The club cancels a class: every booked and waitlisted member is taken off it and
    gets `class_cancelled_by_club` on their timeline (never a late cancel or a penalty).

    Running it again changes nothing.
    """
    with transaction.atomic():
        session = _lock(session.pk)
        now = clock.now()
        if not session.is_cancelled:
            session.is_cancelled = True
            session.save(update_fields=["is_cancelled"])
        affected = list(
            Booking.objects.filter(session=session, status__in=LIVE_STATUSES)
            .select_for_update(of=("self",))
            .select_related("member")
        )
        Booking.objects.filter(pk__in=[b.pk for b in affected]).update(
            status=Status.CANCELLED,
            cancelled_at=now,
            waitlist_position=None,
            is_late_cancel=False,
            updated_at=now,
        )
        for booking in affected:
            timeline.record(
                booking.member,
                Kind.CLASS_CANCELLED_BY_CLUB,
                at=now,
                actor=by,
                **_about(booking, session),
                was_waitlisted=booking.status == Status.WAITLISTED,
                reason=reason,
            )
    return session


@dataclass(frozen=True)
class Frozen:
    """What freeze_membership() did: the freeze, and the class bookings it cancelled (their
    sessions loaded with club and class type), soonest first."""

    freeze: Freeze
    cancelled: list[Booking]

    def cancelled_text(self) -> str:
        """The cancelled bookings in a sentence for the confirmation, "" when there are none."""
        if not self.cancelled:
            return ""
        classes = classes_text(
            self.cancelled, waitlisted={b.pk for b in self.cancelled if b.was_waitlisted}
        )
        count = len(self.cancelled)
        return (
            f"Cancelled {count} class booking{'s' if count != 1 else ''} in the freeze: {classes}."
        )


def freeze_membership(
    membership: Membership,
    *,
    start: dt.date,
    end: dt.date,
    reason: str = "",
    by: AbstractBaseUser | None = None,
) -> Frozen:
    """Freeze the membership (memberships.freezes.freeze) and, in the same transaction, cancel
    the member's booked and waitlisted classes that start inside the freeze on a day it leaves
    them no membership to book with; a freed seat goes to the waitlist.

    Every place that freezes goes through here, so no roster lists someone the door will turn
    away. Trial classes stay (a trial admits without a membership), as do classes that have
    started. Each cancellation is `class_cancelled_by_member` with reason `frozen`, never a
    late cancel or a penalty. Raises ValidationError as freezes.freeze does.
    """
    with transaction.atomic():
        # The member and the membership first, as freeze() locks them; then each class's
        # session, in start order (docs/architecture.md, "Lock order"). A booking of this
        # member waits for the member's lock before it takes its session, so every booking
        # is either listed below or made after the freeze commits, and refused by it.
        frozen = freezes.freeze(membership, start=start, end=end, reason=reason, created_by=by)
        cancelled = _cancel_inside(frozen, member=membership.member, by=by)
    return Frozen(freeze=frozen, cancelled=cancelled)


def cancelled_by_freeze(freeze_pk: int, *, member: Member, since: dt.date) -> list[Booking]:
    """The bookings the freeze cancelled (its `class_cancelled_by_member` events with reason
    `frozen`) whose classes are on `since` or later, not started, not cancelled by the club, and
    not booked again by the member since; sessions loaded with club and class type, soonest
    first. What ending the freeze early gives back a day for, and the desk names to book again.
    Read from the timeline, as the freeze's own row is gone once it is ended on its first day."""
    booking_ids = member.events.filter(
        kind=Kind.CLASS_CANCELLED_BY_MEMBER, data__reason="frozen", data__freeze=freeze_pk
    ).values_list("data__booking", flat=True)
    booked_again = Booking.objects.filter(
        member=member, session=OuterRef("session"), status__in=(*LIVE_STATUSES, *SEAT_STATUSES)
    )
    candidates = (
        Booking.objects.filter(
            member=member,
            pk__in=[pk for pk in booking_ids if pk is not None],
            status=Status.CANCELLED,
            session__is_cancelled=False,
            session__start__gt=clock.now(),
        )
        .exclude(Exists(booked_again))
        .select_related("session__club", "session__class_type")
        .order_by("session__start", "session_id")
    )
    return [b for b in candidates if _local_day(b.session) >= since]


def classes_text(bookings: Iterable[Booking], *, waitlisted: Collection[int] = ()) -> str:
    """ "HIIT Wed 25 Nov at 18:00, Yoga Thu 26 Nov at 07:00 (waitlist)": bookings' classes for a
    message (sessions loaded with club and class type), "(waitlist)" after those whose pk is in
    `waitlisted`: a booking's status no longer says so once it is cancelled."""
    return ", ".join(
        f"{b.session.class_type.name} {_local(b.session.start, b.session.club)}"
        + (" (waitlist)" if b.pk in waitlisted else "")
        for b in bookings
    )


def _cancel_inside(frozen: Freeze, *, member: Member, by) -> list[Booking]:
    now = clock.now()
    # A day's slack each side: clubs' local days differ from UTC's; the exact test is below.
    candidates = list(
        Booking.objects.filter(
            member=member,
            status__in=LIVE_STATUSES,
            is_trial=False,
            session__is_cancelled=False,
            session__start__gt=now,
            session__start__gte=_midnight_utc(frozen.start - dt.timedelta(days=1)),
            session__start__lt=_midnight_utc(frozen.end + dt.timedelta(days=2)),
        )
        .select_related("session__club")
        .order_by("session__start", "session_id")
    )
    by_club: dict[Club, set[dt.date]] = {}
    for booking in candidates:
        booking.day = _local_day(booking.session)
        if frozen.start <= booking.day <= frozen.end:
            by_club.setdefault(booking.session.club, set()).add(booking.day)
    # Only the days the freeze leaves them nothing to book with: another membership in force
    # and not frozen that day still holds the seat. One read per club booked.
    frozen_days = {
        (club.pk, day)
        for club, days in by_club.items()
        for day, refusal in class_refusals(member, club, days, now=now).items()
        if refusal.code == "frozen"
    }
    cancelled = []
    for booking in candidates:
        if (booking.session.club_id, booking.day) not in frozen_days:
            continue
        session = _lock(booking.session_id)
        # Read again under the session's lock: cancelled meanwhile, or moved up from the waitlist.
        booking = Booking.objects.select_for_update(of=("self",)).get(pk=booking.pk)
        if booking.status not in LIVE_STATUSES:
            continue
        booking.was_waitlisted = booking.status == Status.WAITLISTED
        booking.status, booking.cancelled_at = Status.CANCELLED, now
        booking.waitlist_position = None
        booking.save(update_fields=["status", "cancelled_at", "waitlist_position", "updated_at"])
        booking.session = session
        timeline.record(
            member,
            Kind.CLASS_CANCELLED_BY_MEMBER,
            at=now,
            actor=by,
            **_about(booking, session),
            was_waitlisted=booking.was_waitlisted,
            late_cancel=False,
            reason="frozen",
            freeze=frozen.pk,
        )
        if not booking.was_waitlisted:
            _promote_locked(session, now)
        cancelled.append(booking)
    return cancelled


def _midnight_utc(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), tzinfo=dt.UTC)


def _local_day(session: ClassSession) -> dt.date:
    return session.start.astimezone(clock.zone(session.club)).date()


# --- attendance -------------------------------------------------------------------------


def mark_attended(
    booking: Booking,
    *,
    by: AbstractBaseUser | None = None,
    at: dt.datetime | None = None,
) -> Booking:
    """Record that the member came (also corrects a no-show), from the moment the class's
    attendance opens (attendance_opens()). A trial visit writes `trial_attended` to the
    timeline. Marking twice changes nothing."""
    now = clock.now()
    at = at or now
    with transaction.atomic():
        # attendance_opens(session) <= now, as a condition of the update itself; through a
        # subquery, not a join, which Django would turn into `WHERE id IN (…)`: after waiting
        # for a second click's row lock PostgreSQL re-checks only the outer WHERE, so the
        # status must be there, or a trial is recorded attended twice.
        open_sessions = ClassSession.objects.filter(start__lte=now + CHECK_IN_BEFORE_CLASS)
        markable = Booking.objects.filter(pk=booking.pk, session__in=open_sessions.values("pk"))
        attended = {"status": Status.ATTENDED, "attended_at": at, "updated_at": now}
        # A no-show put right first, on its own: its timeline line must be answered.
        corrected = markable.filter(status=Status.NO_SHOW).update(**attended)
        changed = corrected or markable.filter(status=Status.BOOKED).update(**attended)
        booking = Booking.objects.select_related(
            "session__club", "session__class_type", "member"
        ).get(pk=booking.pk)
        if not changed:
            if booking.status == Status.ATTENDED:
                return booking
            if booking.status in (Status.BOOKED, Status.NO_SHOW):
                # The only other reason the update matched nothing: too early.
                opens = attendance_opens(booking.session)
                raise BookingError(
                    "attendance_not_open",
                    f"Attendance for this class can be marked from "
                    f"{_local(opens, booking.session.club)}.",
                )
            raise BookingError("not_booked")
        if corrected:
            # The no-show line stays (the timeline is a history); this one says it was wrong,
            # and the no-show no longer counts towards a penalty (penalties read the bookings).
            timeline.record(
                booking.member,
                Kind.NO_SHOW_CORRECTED,
                at=now,
                actor=by,
                **_about(booking, booking.session),
            )
        if booking.is_trial:
            timeline.record(
                booking.member,
                Kind.TRIAL_ATTENDED,
                at=at,
                actor=by,
                **_about(booking, booking.session),
            )
    return booking


def unmark_attended(booking: Booking, *, by: AbstractBaseUser | None = None) -> Booking:
    """Put a class marked attended before it started back to booked: a trainer's wrong tap,
    or a check-in at the door undone. Once the class has started, "No-show" corrects it.
    `attendance_undone` on the timeline (a trial's `trial_attended` line must be answered).
    Undoing twice changes nothing."""
    now = clock.now()
    with transaction.atomic():
        # The start as a condition of the update itself, through a subquery (mark_attended
        # says why): a class that has started keeps what was marked.
        not_started = ClassSession.objects.filter(start__gt=now)
        changed = Booking.objects.filter(
            pk=booking.pk, status=Status.ATTENDED, session__in=not_started.values("pk")
        ).update(status=Status.BOOKED, attended_at=None, updated_at=now)
        booking = Booking.objects.select_related(
            "session__club", "session__class_type", "member"
        ).get(pk=booking.pk)
        if not changed:
            if booking.status == Status.BOOKED:
                return booking
            if booking.status == Status.ATTENDED:
                raise BookingError(
                    "session_started",
                    "The class has started: mark a no-show if they did not come.",
                )
            raise BookingError("not_attended")
        timeline.record(
            booking.member,
            Kind.ATTENDANCE_UNDONE,
            at=now,
            actor=by,
            **_about(booking, booking.session),
        )
    return booking


def mark_no_show(booking: Booking, *, by: AbstractBaseUser | None = None) -> Booking:
    """Record that a booked member did not come (also corrects an attended mark), once the
    class has started: `class_no_show` on the timeline (`trial_no_show` for a trial), and a
    `booking_penalty` when the club has penalties on. Marking twice changes nothing."""
    with transaction.atomic():
        session = ClassSession.objects.select_related("club", "class_type").get(
            pk=booking.session_id
        )
        now = clock.now()
        if now < session.start:
            raise BookingError("not_started")
        changed = Booking.objects.filter(
            pk=booking.pk, status__in=(Status.BOOKED, Status.ATTENDED)
        ).update(status=Status.NO_SHOW, attended_at=None, updated_at=now)
        booking = Booking.objects.select_related("member").get(pk=booking.pk)
        if not changed:
            if booking.status == Status.NO_SHOW:
                return booking
            raise BookingError("not_booked")
        _record_no_show(booking, session, now, actor=by)
    return booking


def mark_remaining_no_show(session: ClassSession, *, by: AbstractBaseUser | None = None) -> int:
    """Mark every still-booked member of a started class a no-show; return how many."""
    with transaction.atomic():
        session = ClassSession.objects.select_related("club", "class_type").get(pk=session.pk)
        now = clock.now()
        if now < session.start:
            raise BookingError("not_started")
        # Locked, so two trainers pressing the button at once mark (and penalise) once.
        remaining = list(
            Booking.objects.filter(session=session, status=Status.BOOKED)
            .select_for_update()
            .select_related("member")
        )
        Booking.objects.filter(pk__in=[b.pk for b in remaining]).update(
            status=Status.NO_SHOW, attended_at=None, updated_at=now
        )
        for booking in remaining:
            booking.status = Status.NO_SHOW
            _record_no_show(booking, session, now, actor=by)
    return len(remaining)


def attendance_opens(session: ClassSession) -> dt.datetime:
    """When the class's attendance may first be marked: when a check-in at the door starts
    marking it (check_in_window()), so staff can never mark earlier than a member could."""
    return session.start - CHECK_IN_BEFORE_CLASS


def check_in_window(at: dt.datetime) -> dict[str, dt.datetime]:
    """The class starts a check-in at `at` marks attended: due_on_check_in()'s window."""
    return {"earliest": at - CHECK_IN_AFTER_START, "latest": at + CHECK_IN_BEFORE_CLASS}


def due_on_check_in(member, club, earliest, latest) -> QuerySet[Booking]:
    """Bookings attend_on_check_in() marks: booked, at the club, starting in the window
    (check_in_window()). The arguments may be expressions (Params of a prepared query)."""
    return Booking.objects.filter(
        member_id=member,
        status=Status.BOOKED,
        session__club_id=club,
        session__is_cancelled=False,
        session__start__gte=earliest,
        session__start__lte=latest,
    )


def trial_due_on_check_in(member, club, earliest, latest) -> QuerySet[Booking]:
    """The trial classes among due_on_check_in(), soonest first: a visitor booked for one comes
    in for it without a membership (checkins.check_in)."""
    return (
        due_on_check_in(member, club, earliest, latest)
        .filter(is_trial=True)
        .order_by("session__start")
    )


def trial_later_today(member: Member, club: Club, *, at: dt.datetime) -> Booking | None:
    """The member's next trial class booked at the club later on `at`'s day, beyond the
    check-in window: what a visitor turned away too early has come for."""
    end_of_day = clock.start_of_day(at.astimezone(clock.zone(club)).date(), club) + dt.timedelta(
        days=1
    )
    return (
        Booking.objects.filter(
            member=member,
            status=Status.BOOKED,
            is_trial=True,
            session__club=club,
            session__is_cancelled=False,
            session__start__gt=check_in_window(at)["latest"],
            session__start__lt=end_of_day,
        )
        .select_related("session__class_type")
        .order_by("session__start")
        .first()
    )


_ANY_DUE = Prepared(
    lambda: (
        due_on_check_in(
            Param("member", BigIntegerField()),
            Param("club", BigIntegerField()),
            Param("earliest", DateTimeField()),
            Param("latest", DateTimeField()),
        )
        .order_by()
        .values_list("pk")[:1]
    )
)


def attend_on_check_in(
    member: Member, *, at: dt.datetime, club: Club | None = None, any_due: bool | None = None
) -> list[Booking]:
    """Mark attended the member's booked classes at the club (their home club unless
    given) that start within the hour after `at` or started up to 30 minutes before it.

    Meant for the check-in service, after its transaction: it takes no session lock
    (attendance does not change the seat count), only the booking rows it marks.
    `any_due` is whether due_on_check_in() found any, when the caller has read that
    already (the check-in reads it with the memberships); None reads it here.
    """
    club_id = club.pk if club is not None else member.home_club_id
    window = check_in_window(at)
    # Nearly every check-in has no class to mark: one plain read, compiled once, and no
    # transaction. When there is one, the locked read below decides (a booking marked
    # meanwhile no longer matches `status = booked` there).
    if any_due is None:
        any_due = bool(_ANY_DUE.fetch(member=member.pk, club=club_id, **window))
    if not any_due:
        return []
    due = due_on_check_in(member.pk, club_id, **window)
    with transaction.atomic():
        due = list(due.select_for_update(of=("self",)).select_related("session__class_type"))
        Booking.objects.filter(pk__in=[b.pk for b in due]).update(
            status=Status.ATTENDED, attended_at=at, updated_at=clock.now()
        )
        for booking in due:
            booking.status, booking.attended_at = Status.ATTENDED, at
            if booking.is_trial:
                timeline.record(
                    member, Kind.TRIAL_ATTENDED, at=at, **_about(booking, booking.session)
                )
    return due


def unmark_check_in_attendance(member_id: int, *, club_id: int, at: dt.datetime) -> int:
    """Put back to booked the member's classes at the club that the check-in at `at` marked
    attended (attend_on_check_in stamps them with the check-in's time); return how many.
    For an undone check-in: the member was not there after all."""
    # The club through a subquery, not a join: Django turns an UPDATE with a join into
    # `WHERE id IN (…)`, and PostgreSQL re-checks only that after waiting for a row, so a
    # no-show a trainer committed meanwhile would be overwritten with `booked`.
    return Booking.objects.filter(
        member_id=member_id,
        session__in=ClassSession.objects.filter(club_id=club_id).values("pk"),
        status=Status.ATTENDED,
        attended_at=at,
    ).update(status=Status.BOOKED, attended_at=None, updated_at=clock.now())


# --- reading ----------------------------------------------------------------------------


def with_counts(sessions: QuerySet[ClassSession]) -> QuerySet[ClassSession]:
    """Annotate sessions with `booked_count` (seats taken), `waitlist_count` and
    `seats_left`."""
    return sessions.annotate(
        booked_count=Count("bookings", filter=Q(bookings__status__in=SEAT_STATUSES)),
        waitlist_count=Count("bookings", filter=Q(bookings__status=Status.WAITLISTED)),
    ).annotate(seats_left=Greatest(F("capacity") - F("booked_count"), Value(0)))


def upcoming_sessions(
    club: Club,
    *,
    start: dt.datetime,
    days: int = 7,
    class_type: ClassType | None = None,
) -> QuerySet[ClassSession]:
    """The club's classes starting from `start` for `days` days, not cancelled, by start
    time, with `booked_count`, `waitlist_count` and `seats_left`."""
    sessions = ClassSession.objects.filter(
        club=club,
        is_cancelled=False,
        start__gte=start,
        start__lt=start + dt.timedelta(days=days),
    )
    if class_type is not None:
        sessions = sessions.filter(class_type=class_type)
    # The club too: the booking window is read from it for every class listed.
    return with_counts(sessions.select_related("club", "class_type", "trainer")).order_by(
        "start", "pk"
    )


def waitlist_place(booking: Booking) -> int | None:
    """The booking's rank on its waitlist (1 = next to get a seat), or None if not waiting.

    Positions may have gaps, so this counts who is ahead rather than reading the position.
    """
    if booking.status != Status.WAITLISTED:
        return None
    ahead = _waitlist(booking.session_id).filter(
        Q(waitlist_position__lt=booking.waitlist_position)
        | Q(waitlist_position=booking.waitlist_position, created_at__lt=booking.created_at)
        | Q(
            waitlist_position=booking.waitlist_position,
            created_at=booking.created_at,
            pk__lt=booking.pk,
        )
    )
    return ahead.count() + 1


# --- internals --------------------------------------------------------------------------


def _lock(session_id: int) -> ClassSession:
    """The session's row, locked until the transaction ends, read fresh."""
    return (
        ClassSession.objects.select_for_update(of=("self",))
        .select_related("club", "class_type")
        .get(pk=session_id)
    )


def _is_staff(user) -> bool:
    return bool(user is not None and getattr(user, "is_staff", False))


def _seats_taken(session: ClassSession) -> int:
    return Booking.objects.filter(session=session, status__in=SEAT_STATUSES).count()


def _waitlist(session) -> QuerySet[Booking]:
    return Booking.objects.filter(session=session, status=Status.WAITLISTED)


def _local(moment: dt.datetime, club: Club) -> str:
    return f"{moment.astimezone(clock.zone(club)):%a %-d %b at %H:%M}"


def booking_window(session: ClassSession) -> tuple[dt.datetime, dt.datetime]:
    """When members may book the class: from the first moment to the last, inclusive."""
    club = session.club
    return (
        session.start - dt.timedelta(days=club.booking_opens_days_ahead),
        session.start - dt.timedelta(minutes=club.booking_closes_minutes_before),
    )


def window_error(session: ClassSession, now: dt.datetime) -> BookingError | None:
    """Why a member cannot book the class at `now` because of the booking window
    ("window_not_open" or "window_closed"), or None inside it. Staff are not bound by it.
    `book` raises it; the portal shows it in place of Book."""
    club = session.club
    opens, closes = booking_window(session)
    if now < opens:
        return BookingError(
            "window_not_open", f"Booking for this class opens on {_local(opens, club)}."
        )
    if now > closes:
        return BookingError(
            "window_closed",
            f"Booking closed {club.booking_closes_minutes_before} minutes before the class.",
        )
    return None


@dataclass(frozen=True)
class Refusal:
    """Why a member may not book a class on a day (class_refusals()). `code` is "frozen",
    "expired" (a membership with classes ended before the day), "no_visits_left" (only a
    used-up visit pack covers the day), "no_class_membership" or "penalty". A freeze says
    its last day (`until`, a date); a penalty says when booking opens again (`until`, a
    datetime), what caused it (`cause`, in words: "a no-show") and when that was (`on`)."""

    code: str
    until: dt.date | None = None
    cause: str = ""
    on: dt.datetime | None = None

    def error(self, day: dt.date) -> BookingError:
        """The refusal as `book` raises it, for a class on `day`."""
        if self.code == "frozen":
            return BookingError(
                "membership_frozen", f"Your membership is frozen until {self.until:%-d %b}."
            )
        if self.code == "penalty":
            return BookingError(
                "penalty",
                f"Because of {self.cause} on {self.on:%-d %b}, you can book classes again "
                f"from {self.until:%a %-d %b at %H:%M}.",
            )
        if self.code == "no_visits_left":
            return BookingError("no_visits_left")
        return BookingError(
            "no_class_membership",
            f"You need a membership that includes classes on {day:%a %-d %b} to book this class.",
        )


def class_refusals(
    member: Member, club: Club, days: Iterable[dt.date], *, now: dt.datetime | None = None
) -> dict[dt.date, Refusal]:
    """The days among `days` on which the member may not book a class at the club, each with
    why (a Refusal). A member may book on a day covered by a membership in force then, not
    frozen that day, whose plan allows classes and is valid at the club, and while no
    booking penalty is running (at `now`, the clock's by default): a penalty bars every
    day. A day both rules refuse gives the membership's reason, as `book` does. `book`
    applies it; the portal shows it before anyone taps Book. One read of the member's
    memberships, and one of their penalties when the club has penalties on."""
    days = sorted(set(days))
    if not days:
        return {}
    memberships = list(
        Membership.objects.not_cancelled()
        .filter(member=member, plan__allows_classes=True, start__lte=days[-1])
        .filter(Q(plan__club=club) | Q(plan__valid_at_all_clubs=True))
        .prefetch_related("freezes")
    )
    ban = _ban(member, club, now or clock.now())
    refusals = {}
    for day in days:
        covering = [m for m in memberships if m.is_in_force(day)]
        # A used-up visit pack is in force but admits nobody: no seat to hold on it.
        usable = [m for m in covering if m.visits_left != 0]
        thaws = [_frozen_until(m, day) for m in usable]
        if None in thaws:
            if ban is not None:
                refusals[day] = ban
            continue
        if usable:
            # Every membership covering the day is frozen: the first to thaw lets them book.
            refusals[day] = Refusal("frozen", until=min(thaws))
        elif covering:
            refusals[day] = Refusal("no_visits_left")
        elif any(m.end < day for m in memberships):
            refusals[day] = Refusal("expired")
        else:
            refusals[day] = Refusal("no_class_membership")
    return refusals


def _frozen_until(membership: Membership, day: dt.date) -> dt.date | None:
    """The last frozen day of the membership's freeze covering `day`, carried through
    freezes that follow it back to back (a holiday extended by a second freeze); None
    when `day` is not frozen. Freezes of one membership never overlap."""
    until = None
    for freeze in sorted(membership.freezes.all(), key=lambda f: f.start):
        if freeze.covers(day) or (until and freeze.start == until + dt.timedelta(days=1)):
            until = freeze.end
    return until


def trial_refusal(member: Member) -> BookingError | None:
    """Why the member may not book a free trial class, or None when they may: trials are for
    leads and trial members, one per person (a trial booked, waitlisted or attended uses it
    up; a cancelled one does not). `book` applies it with the class's own condition (a
    trial-eligible class type); the desk offers "Book (trial)" only when it is None."""
    if member.status not in (Member.Status.LEAD, Member.Status.TRIAL):
        return BookingError(
            "not_trial_eligible", "Trial visits are for new visitors; please book as a member."
        )
    taken = Booking.objects.filter(
        member=member,
        is_trial=True,
        status__in=(Status.BOOKED, Status.WAITLISTED, Status.ATTENDED),
    )
    if taken.exists():
        return BookingError("not_trial_eligible", "You already have a trial class; one per person.")
    return None


def _check_trial(member: Member, session: ClassSession) -> None:
    if not session.class_type.trial_eligible:
        raise BookingError("not_trial_eligible")
    if (refusal := trial_refusal(member)) is not None:
        raise refusal


def _ban(member: Member, club: Club, now: dt.datetime) -> Refusal | None:
    """The booking penalty running at `now`, from the timeline, if any; only for a booking
    that is still a late cancel or a no-show (a corrected mark lifts it)."""
    if not club.booking_penalties_enabled:
        return None
    since = now - dt.timedelta(days=club.booking_penalty_days)
    penalties = {
        event.data.get("booking"): event
        for event in MemberEvent.objects.filter(
            member=member, kind=Kind.BOOKING_PENALTY, at__gt=since, data__club=club.pk
        ).order_by("at")
    }
    standing = (
        Booking.objects.filter(pk__in=[pk for pk in penalties if pk is not None])
        .filter(Q(is_late_cancel=True) | Q(status=Status.NO_SHOW))
        .values_list("pk", flat=True)
    )
    latest = max((penalties[pk] for pk in standing), key=lambda e: e.at, default=None)
    if latest is None:
        return None
    zone = clock.zone(club)
    return Refusal(
        "penalty",
        until=(latest.at + dt.timedelta(days=club.booking_penalty_days)).astimezone(zone),
        cause="a late cancellation" if latest.data.get("reason") == "late_cancel" else "a no-show",
        on=latest.at.astimezone(zone),
    )


def late_cancel_notice(booking: Booking, *, now: dt.datetime | None = None) -> str:
    """What cancelling the booked seat now would be, said before the member confirms: "" when
    it would not be a late cancel. Reads booking.session.club (select it with the booking)."""
    session = booking.session
    if booking.status != Status.BOOKED or not _is_late(booking, session, now or clock.now()):
        return ""
    club = session.club
    within = _minutes_in_words(club.late_cancel_minutes)
    notice = f"Less than {within} before the class: a late cancellation."
    if club.booking_penalties_enabled:
        days = club.booking_penalty_days
        notice += f" You can't book classes for {days} day{'s' if days != 1 else ''} after it."
    return notice


def booked_late_notice(booking: Booking, *, now: dt.datetime | None = None) -> str:
    """Said when a seat is booked inside the late-cancellation window: cancelling after the
    grace period counts as late ("" for a waitlist place, or outside the window). Reads
    booking.session.club (select it with the booking)."""
    session = booking.session
    now = now or clock.now()
    club = session.club
    if booking.status != Status.BOOKED or now <= _late_from(session):
        return ""
    grace = int(LATE_CANCEL_GRACE.total_seconds() // 60)
    until = (now + LATE_CANCEL_GRACE).astimezone(clock.zone(club))
    notice = (
        f"The class starts in less than {_minutes_in_words(club.late_cancel_minutes)}: "
        f"cancelling after {until:%H:%M} ({grace} minutes from booking) counts as a late "
        "cancellation."
    )
    if club.booking_penalties_enabled:
        days = club.booking_penalty_days
        notice += f" You can't book classes for {days} day{'s' if days != 1 else ''} after one."
    return notice


def _minutes_in_words(minutes: int) -> str:
    if minutes % 60 == 0:
        hours = minutes // 60
        return f"{hours} hour{'s' if hours != 1 else ''}"
    return f"{minutes} minutes"


def _late_from(session: ClassSession) -> dt.datetime:
    return session.start - dt.timedelta(minutes=session.club.late_cancel_minutes)


def _is_late(booking: Booking, session: ClassSession, now: dt.datetime) -> bool:
    """Whether cancelling the booked seat at `now` is a late cancel: the one rule the portal,
    the desk and the API cancel by, and the notices before and after read."""
    late_from = _late_from(session)
    # A member moved up from the waitlist inside the late window did not choose the timing.
    promoted_late = booking.promoted_at is not None and booking.promoted_at > late_from
    # The grace runs from when the seat became theirs: booked, or moved up to it.
    seat_since = booking.promoted_at or booking.created_at
    in_grace = now - seat_since <= LATE_CANCEL_GRACE
    return now > late_from and not promoted_late and not in_grace


def _promote_locked(session: ClassSession, now: dt.datetime) -> list[Booking]:
    """Promote into free seats; the caller holds the session's lock."""
    if session.is_cancelled or now >= session.start:
        return []
    free = session.capacity - _seats_taken(session)
    if free <= 0:
        return []
    # Row locks too: another session's promotion may be taking one of these members off
    # our waitlist right now; we wait for it and skip whoever it took.
    promoted = list(
        _waitlist(session)
        .order_by("waitlist_position", "created_at", "pk")
        .select_for_update(of=("self",))
        .select_related("member")[:free]
    )
    Booking.objects.filter(pk__in=[b.pk for b in promoted]).update(
        status=Status.BOOKED, waitlist_position=None, promoted_at=now, updated_at=now
    )
    for booking in promoted:
        booking.status, booking.waitlist_position, booking.promoted_at = (
            Status.BOOKED,
            None,
            now,
        )
        left = _leave_overlapping_waitlists(booking, session, now)
        timeline.record(
            booking.member,
            Kind.WAITLIST_PROMOTED,
            at=now,
            **_about(booking, session),
            left_waitlists=left,
        )
    return promoted


def _leave_overlapping_waitlists(
    booking: Booking, session: ClassSession, now: dt.datetime
) -> list[int]:
    """Take the member off waitlists of other classes that overlap this one in time.

    SKIP LOCKED: a row another transaction holds is being changed by it (a promotion
    there, a cancellation), and waiting for it could deadlock two sessions that promote
    the same member at the same instant — the one case where the member keeps both seats.
    """
    overlapping = list(
        Booking.objects.filter(
            member_id=booking.member_id,
            status=Status.WAITLISTED,
            session__start__lt=session.end,
            session__end__gt=session.start,
        )
        .exclude(session=session)
        .select_for_update(of=("self",), skip_locked=True)
        .values_list("pk", "session_id")
    )
    Booking.objects.filter(pk__in=[pk for pk, _ in overlapping]).update(
        status=Status.CANCELLED, waitlist_position=None, cancelled_at=now, updated_at=now
    )
    return sorted(session_id for _, session_id in overlapping)


def _record_no_show(booking: Booking, session: ClassSession, now: dt.datetime, *, actor) -> None:
    timeline.record(
        booking.member,
        Kind.TRIAL_NO_SHOW if booking.is_trial else Kind.CLASS_NO_SHOW,
        at=now,
        actor=actor,
        **_about(booking, session),
    )
    _record_penalty(booking, session, now, reason="no_show", actor=actor)


def _record_penalty(
    booking: Booking, session: ClassSession, now: dt.datetime, *, reason: str, actor
) -> None:
    """With penalties on, write the penalty where member and staff can see it. A trial
    visitor is never penalised: they are a guest, not yet a member."""
    club = session.club
    if not club.booking_penalties_enabled or booking.is_trial:
        return
    timeline.record(
        booking.member,
        Kind.BOOKING_PENALTY,
        at=now,
        actor=actor,
        **_about(booking, session),
        reason=reason,
        days=club.booking_penalty_days,
        until=now + dt.timedelta(days=club.booking_penalty_days),
    )


def _about(booking: Booking, session: ClassSession) -> dict:
    """What every booking event on the timeline says about the class."""
    return {
        "booking": booking.pk,
        "session": session.pk,
        "club": session.club_id,
        "class_name": session.class_type.name,
        "start": session.start,
    }
