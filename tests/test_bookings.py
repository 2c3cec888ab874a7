"""The booking rules: seats, waitlist, cancellations, penalties, trials and attendance.

The clock is frozen at Monday 23 Nov 2026 17:00 UTC (18:00 in Amsterdam); the club's
defaults: booking opens 14 days ahead, closes 15 minutes before, a cancel within 120
minutes is late, penalties off (7 days when on).
"""

import datetime as dt

import pytest

from checkin import bookings
from checkin.bookings import BookingError
from checkin.models import Booking, ClassSession
from club import clock
from members.models import Member, MemberEvent
from tests.factories import (
    BookingFactory,
    ClassSessionFactory,
    ClassTypeFactory,
    ClubFactory,
    FreezeFactory,
    MemberFactory,
    MembershipFactory,
    PlanFactory,
)

Status = Booking.Status
Kind = MemberEvent.Kind
HOUR = dt.timedelta(hours=1)
MINUTE = dt.timedelta(minutes=1)


def session_at(club, starts_in: dt.timedelta, *, capacity: int = 12, **kwargs) -> ClassSession:
    start = clock.now() + starts_in
    return ClassSessionFactory(
        club=club, start=start, end=start + HOUR, capacity=capacity, **kwargs
    )


def member_with_classes(club, **kwargs) -> Member:
    """A member whose monthly plan (with classes) started today."""
    member = MemberFactory(home_club=club, status=Member.Status.MEMBER, **kwargs)
    MembershipFactory(member=member, plan=PlanFactory(club=club))
    return member


def kinds(member) -> list[str]:
    return list(member.events.order_by("at", "id").values_list("kind", flat=True))


def booked_a_day_ago(frozen_clock, member, session) -> Booking:
    """A booking made yesterday: its grace period (bookings.LATE_CANCEL_GRACE) long over."""
    now = clock.now()
    frozen_clock.move_to(now - dt.timedelta(days=1))
    booking = bookings.book(member, session)
    frozen_clock.move_to(now)
    return booking


def waitlist(session) -> list[tuple[str, int]]:
    rows = Booking.objects.filter(session=session, status=Status.WAITLISTED)
    return [
        (b.member.first_name, b.waitlist_position)
        for b in rows.order_by("waitlist_position").select_related("member")
    ]


@pytest.fixture
def spin(frozen_clock, downtown):
    """Tomorrow 18:00 at Downtown, 2 seats."""
    return session_at(downtown, dt.timedelta(days=1), capacity=2)


# --- booking ---------------------------------------------------------------------------


def test_booking_a_seat_writes_class_booked_to_the_timeline(spin, maya):
    booking = bookings.book(maya, spin)

    assert booking.status == Status.BOOKED
    assert booking.waitlist_position is None
    assert booking.is_trial is False
    assert booking.created_at == clock.now()
    event = maya.events.get(kind=Kind.CLASS_BOOKED)
    assert event.data == {
        "booking": booking.pk,
        "session": spin.pk,
        "club": spin.club_id,
        "class_name": spin.class_type.name,
        "start": "2026-11-24T17:00:00Z",
        "status": "booked",
        "waitlist_position": None,
    }


def test_a_full_class_puts_the_next_members_on_the_waitlist_in_order(spin, downtown):
    ana, ben, cas, dirk = (member_with_classes(downtown, first_name=n) for n in "ABCD")

    statuses = [bookings.book(m, spin).status for m in (ana, ben, cas, dirk)]

    assert statuses == [Status.BOOKED, Status.BOOKED, Status.WAITLISTED, Status.WAITLISTED]
    assert waitlist(spin) == [("C", 1), ("D", 2)]
    assert cas.events.get(kind=Kind.CLASS_BOOKED).data["waitlist_position"] == 1


def test_booking_twice_is_refused(spin, maya):
    bookings.book(maya, spin)

    with pytest.raises(BookingError) as error:
        bookings.book(maya, spin)

    assert error.value.code == "already_booked"
    assert str(error.value) == "You are already booked for this class."
    assert Booking.objects.filter(member=maya).count() == 1


def test_joining_the_waitlist_twice_is_refused_in_waitlist_words(spin, downtown, maya):
    BookingFactory.create_batch(2, session=spin)
    bookings.book(maya, spin)

    with pytest.raises(BookingError) as error:
        bookings.book(maya, spin)

    assert error.value.code == "already_booked"
    assert error.value.message == "You are already on the waitlist for this class."


def test_booking_again_after_cancelling_is_a_new_booking(spin, maya):
    first = bookings.cancel(bookings.book(maya, spin))

    second = bookings.book(maya, spin)

    assert second.pk != first.pk
    assert second.status == Status.BOOKED
    statuses = Booking.objects.filter(member=maya).order_by("pk").values_list("status", flat=True)
    assert list(statuses) == [
        Status.CANCELLED,
        Status.BOOKED,
    ]


def test_a_cancelled_class_cannot_be_booked(spin, maya):
    bookings.cancel_session(spin)

    with pytest.raises(BookingError) as error:
        bookings.book(maya, spin)

    assert error.value.code == "session_cancelled"


def test_a_class_that_started_cannot_be_booked_even_by_staff(frozen_clock, downtown, maya, fiona):
    started = session_at(downtown, -5 * MINUTE)

    with pytest.raises(BookingError) as error:
        bookings.book(maya, started, by=fiona)

    assert error.value.code == "session_started"


def test_booking_opens_fourteen_days_ahead(frozen_clock, downtown, maya, monthly_plan):
    MembershipFactory(member=maya, plan=monthly_plan, start=clock.today(downtown))
    too_early = session_at(downtown, dt.timedelta(days=14, hours=1))

    with pytest.raises(BookingError) as error:
        bookings.book(maya, too_early)

    assert error.value.code == "window_not_open"
    assert error.value.message == "Booking for this class opens on Mon 23 Nov at 19:00."
    frozen_clock.shift(HOUR)
    assert bookings.book(maya, too_early).status == Status.BOOKED


def test_booking_closes_fifteen_minutes_before_the_class(frozen_clock, downtown, maya):
    soon = session_at(downtown, 14 * MINUTE)

    with pytest.raises(BookingError) as error:
        bookings.book(maya, soon)

    assert error.value.code == "window_closed"
    assert error.value.message == "Booking closed 15 minutes before the class."
    assert bookings.book(maya, session_at(downtown, 15 * MINUTE)).status == Status.BOOKED


def test_staff_book_outside_the_window_but_never_above_capacity(frozen_clock, downtown, fiona):
    soon = session_at(downtown, 5 * MINUTE, capacity=1)
    ana, ben = member_with_classes(downtown), member_with_classes(downtown)

    first = bookings.book(ana, soon, by=fiona)
    second = bookings.book(ben, soon, by=fiona)

    assert (first.status, second.status) == (Status.BOOKED, Status.WAITLISTED)
    assert ana.events.get(kind=Kind.CLASS_BOOKED).actor == fiona


def test_the_booking_window_is_the_one_rule_for_book_and_the_screens(frozen_clock, downtown):
    # given a class 15 minutes away (the last moment to book) and one 14 minutes away
    last_moment, too_late = session_at(downtown, 15 * MINUTE), session_at(downtown, 14 * MINUTE)
    too_early = session_at(downtown, dt.timedelta(days=14, hours=1))
    now = clock.now()

    assert bookings.booking_window(last_moment) == (
        last_moment.start - dt.timedelta(days=14),
        now,
    )
    assert bookings.window_error(last_moment, now) is None
    assert bookings.window_error(too_late, now).code == "window_closed"
    assert bookings.window_error(too_early, now).code == "window_not_open"


def test_a_member_login_is_not_staff_for_the_window(frozen_clock, downtown, maya):
    member_login = type("PortalUser", (), {"is_staff": False})()

    with pytest.raises(BookingError) as error:
        bookings.book(maya, session_at(downtown, 5 * MINUTE), by=member_login)

    assert error.value.code == "window_closed"


def _no_membership(member, club):
    pass


def _plan_without_classes(member, club):
    MembershipFactory(member=member, plan=PlanFactory(club=club, allows_classes=False))


def _ended_before_the_class(member, club):
    ended = clock.today(club) - dt.timedelta(days=30)
    MembershipFactory(member=member, plan=PlanFactory(club=club), start=ended)


def _cancelled(member, club):
    MembershipFactory(member=member, plan=PlanFactory(club=club), status="cancelled")


def _frozen_on_the_day(member, club):
    membership = MembershipFactory(member=member, plan=PlanFactory(club=club))
    FreezeFactory(membership=membership, start=clock.today(club), end=clock.today(club) + 2 * ONE)


def _plan_of_another_club(member, club):
    MembershipFactory(member=member, plan=PlanFactory(club=ClubFactory()))


ONE = dt.timedelta(days=1)


@pytest.mark.parametrize(
    "set_up",
    [
        _no_membership,
        _plan_without_classes,
        _ended_before_the_class,
        _cancelled,
        _plan_of_another_club,
    ],
)
def test_booking_needs_a_membership_with_classes_on_the_day(spin, downtown, set_up):
    member = MemberFactory(home_club=downtown)
    set_up(member, downtown)

    with pytest.raises(BookingError) as error:
        bookings.book(member, spin)

    assert error.value.code == "no_class_membership"
    assert error.value.message == (
        "You need a membership that includes classes on Tue 24 Nov to book this class."
    )
    assert not Booking.objects.exists()


def test_a_frozen_member_is_told_until_when_the_freeze_runs(spin, downtown):
    # given a membership with classes frozen from today to Wed 25 Nov, over the class's day
    member = MemberFactory(home_club=downtown)
    _frozen_on_the_day(member, downtown)

    # when they book Tuesday's class
    with pytest.raises(BookingError) as error:
        bookings.book(member, spin)

    # then the refusal names the freeze and its last day, not a missing membership
    assert error.value.code == "membership_frozen"
    assert error.value.message == "Your membership is frozen until 25 Nov."
    assert not Booking.objects.exists()


def test_the_freeze_runs_on_through_a_second_freeze_that_follows_it(spin, downtown):
    member = MemberFactory(home_club=downtown)
    membership = MembershipFactory(member=member, plan=PlanFactory(club=downtown))
    today = clock.today(downtown)
    FreezeFactory(membership=membership, start=today, end=today + 2 * ONE)
    FreezeFactory(membership=membership, start=today + 3 * ONE, end=today + 9 * ONE)
    # A later freeze after a gap is not part of this one.
    FreezeFactory(membership=membership, start=today + 12 * ONE, end=today + 13 * ONE)

    refusals = bookings.class_refusals(member, downtown, [today + ONE, today + 10 * ONE])

    assert refusals == {today + ONE: bookings.Refusal("frozen", until=dt.date(2026, 12, 2))}


def test_a_frozen_member_books_again_the_day_after_the_freeze(frozen_clock, downtown):
    member = MemberFactory(home_club=downtown)
    _frozen_on_the_day(member, downtown)
    thursday = session_at(downtown, dt.timedelta(days=3))

    assert bookings.book(member, thursday).status == Status.BOOKED


def test_a_chain_wide_plan_books_at_another_club(spin, riverside):
    member = MemberFactory(home_club=riverside)
    MembershipFactory(member=member, plan=PlanFactory(club=riverside, valid_at_all_clubs=True))

    assert bookings.book(member, spin).status == Status.BOOKED


def test_the_membership_must_cover_the_class_date_at_the_club_not_in_utc(frozen_clock, downtown):
    # 00:30 on Thursday in Amsterdam is still Wednesday in UTC.
    thursday = clock.local_datetime(dt.date(2026, 11, 26), dt.time(0, 30), downtown)
    late_night = ClassSessionFactory(club=downtown, start=thursday, end=thursday + HOUR)
    member = MemberFactory(home_club=downtown)
    MembershipFactory(member=member, plan=PlanFactory(club=downtown), start=dt.date(2026, 11, 26))

    assert bookings.book(member, late_night).status == Status.BOOKED


# --- trials ----------------------------------------------------------------------------


def test_a_lead_books_a_trial_without_a_membership(spin, downtown):
    lead = MemberFactory(home_club=downtown, status=Member.Status.LEAD)

    booking = bookings.book(lead, spin, trial=True)

    assert booking.status == Status.BOOKED
    assert booking.is_trial is True
    assert kinds(lead) == [Kind.TRIAL_BOOKED]


def test_a_trial_needs_a_trial_eligible_class(frozen_clock, downtown):
    lead = MemberFactory(home_club=downtown)
    members_only = ClassTypeFactory(club=downtown, trial_eligible=False)
    session = session_at(downtown, ONE, class_type=members_only)

    with pytest.raises(BookingError) as error:
        bookings.book(lead, session, trial=True)

    assert error.value.code == "not_trial_eligible"
    assert error.value.message == "This class is not open for trial visits."


def test_a_member_cannot_book_a_trial(spin, maya):
    with pytest.raises(BookingError) as error:
        bookings.book(maya, spin, trial=True)

    assert error.value.code == "not_trial_eligible"


def test_one_trial_per_person_until_it_is_missed(frozen_clock, spin, downtown):
    lead = MemberFactory(home_club=downtown, status=Member.Status.TRIAL)
    first = bookings.book(lead, spin, trial=True)
    other = session_at(downtown, 2 * ONE)

    with pytest.raises(BookingError) as error:
        bookings.book(lead, other, trial=True)
    frozen_clock.move_to(spin.start + MINUTE)
    bookings.mark_no_show(first)
    again = bookings.book(lead, other, trial=True)

    assert error.value.code == "not_trial_eligible"
    assert again.is_trial is True


def test_without_trial_a_lead_needs_a_membership(spin, downtown):
    lead = MemberFactory(home_club=downtown)

    with pytest.raises(BookingError) as error:
        bookings.book(lead, spin)

    assert error.value.code == "no_class_membership"


# --- cancelling ------------------------------------------------------------------------


def test_cancelling_early_frees_the_seat_for_the_first_on_the_waitlist(spin, downtown, maya):
    mine = bookings.book(maya, spin)
    other = bookings.book(member_with_classes(downtown), spin)
    cas, dirk = member_with_classes(downtown), member_with_classes(downtown)
    # Dirk asked first but Cas holds the lower position: position decides.
    BookingFactory(session=spin, member=dirk, status=Status.WAITLISTED, waitlist_position=2)
    BookingFactory(session=spin, member=cas, status=Status.WAITLISTED, waitlist_position=1)

    cancelled = bookings.cancel(mine)

    assert cancelled.status == Status.CANCELLED
    assert cancelled.cancelled_at == clock.now()
    assert cancelled.is_late_cancel is False
    assert maya.events.get(kind=Kind.CLASS_CANCELLED_BY_MEMBER).data["late_cancel"] is False
    promoted = Booking.objects.get(member=cas)
    assert promoted.status == Status.BOOKED
    assert promoted.promoted_at == clock.now()
    assert promoted.waitlist_position is None
    assert kinds(cas) == [Kind.WAITLIST_PROMOTED]
    assert Booking.objects.get(member=dirk).status == Status.WAITLISTED
    assert other.status == Status.BOOKED


def test_cancelling_within_two_hours_is_a_late_cancel_without_penalty_by_default(
    frozen_clock, downtown, maya
):
    session = session_at(downtown, 119 * MINUTE)
    booking = booked_a_day_ago(frozen_clock, maya, session)

    cancelled = bookings.cancel(booking)

    assert cancelled.is_late_cancel is True
    assert kinds(maya) == [Kind.CLASS_BOOKED, Kind.CLASS_CANCELLED_BY_MEMBER]
    assert bookings.book(maya, session_at(downtown, ONE)).status == Status.BOOKED


def test_exactly_two_hours_before_is_not_late(frozen_clock, downtown, maya):
    booking = bookings.book(maya, session_at(downtown, 120 * MINUTE))

    assert bookings.cancel(booking).is_late_cancel is False


@pytest.mark.parametrize(
    ("after_booking", "late"),
    [
        (MINUTE, False),
        (bookings.LATE_CANCEL_GRACE, False),
        (bookings.LATE_CANCEL_GRACE + MINUTE, True),
    ],
)
def test_a_booking_made_inside_the_late_window_may_be_cancelled_within_the_grace_period(
    frozen_clock, downtown, maya, after_booking, late
):
    downtown.booking_penalties_enabled = True
    downtown.save()
    booking = bookings.book(maya, session_at(downtown, HOUR))
    frozen_clock.shift(after_booking)

    notice = bookings.late_cancel_notice(booking)
    cancelled = bookings.cancel(booking)

    assert cancelled.is_late_cancel is late
    assert bool(notice) is late  # the cancel box says so exactly when it is
    assert maya.events.filter(kind=Kind.BOOKING_PENALTY).exists() is late


def test_the_grace_period_runs_from_the_booking_not_from_the_late_window(
    frozen_clock, downtown, maya
):
    # given a booking made yesterday, cancelled a minute after the late window opened
    booking = booked_a_day_ago(frozen_clock, maya, session_at(downtown, 119 * MINUTE))

    assert bookings.cancel(booking).is_late_cancel is True


def test_booking_inside_the_late_window_says_when_cancelling_becomes_late(
    frozen_clock, downtown, maya
):
    downtown.booking_penalties_enabled, downtown.booking_penalty_days = True, 3
    downtown.save()

    inside = bookings.book(maya, session_at(downtown, HOUR))
    outside = bookings.book(maya, session_at(downtown, 3 * HOUR))

    # 18:00 in Amsterdam now: free to cancel until 18:15.
    assert bookings.booked_late_notice(inside) == (
        "The class starts in less than 2 hours: cancelling after 18:15 (15 minutes from "
        "booking) counts as a late cancellation. You can't book classes for 3 days after one."
    )
    assert bookings.booked_late_notice(outside) == ""


def test_a_waitlist_place_inside_the_late_window_gets_no_late_notice(frozen_clock, downtown):
    session = session_at(downtown, HOUR, capacity=1)
    bookings.book(member_with_classes(downtown), session)

    waiting = bookings.book(member_with_classes(downtown), session)

    assert waiting.status == Status.WAITLISTED
    assert bookings.booked_late_notice(waiting) == ""


def test_with_penalties_on_a_late_cancel_blocks_booking_for_the_penalty_days(
    frozen_clock, downtown, maya
):
    downtown.booking_penalties_enabled = True
    downtown.save()
    booking = booked_a_day_ago(frozen_clock, maya, session_at(downtown, HOUR))

    bookings.cancel(booking)

    penalty = maya.events.get(kind=Kind.BOOKING_PENALTY)
    assert penalty.data["reason"] == "late_cancel"
    assert penalty.data["until"] == "2026-11-30T17:00:00Z"
    tomorrow = session_at(downtown, ONE)
    with pytest.raises(BookingError) as error:
        bookings.book(maya, tomorrow)
    assert error.value.code == "penalty"
    assert error.value.message == (
        "Because of a late cancellation on 23 Nov, you can book classes again from "
        "Mon 30 Nov at 18:00."
    )
    frozen_clock.shift(7 * ONE)
    assert bookings.book(maya, session_at(downtown, ONE)).status == Status.BOOKED


def test_class_refusals_name_a_running_penalty_on_every_day_the_membership_allows(
    frozen_clock, downtown, maya
):
    downtown.booking_penalties_enabled = True
    downtown.save()
    bookings.cancel(booked_a_day_ago(frozen_clock, maya, session_at(downtown, HOUR)))
    days = [dt.date(2026, 11, 24), dt.date(2099, 1, 1)]  # the second: no membership then

    refusals = bookings.class_refusals(maya, downtown, days)

    amsterdam = clock.zone(downtown)
    assert refusals == {
        days[0]: bookings.Refusal(
            "penalty",
            until=dt.datetime(2026, 11, 30, 18, tzinfo=amsterdam),
            cause="a late cancellation",
            on=dt.datetime(2026, 11, 23, 18, tzinfo=amsterdam),
        ),
        days[1]: bookings.Refusal("expired"),
    }
    frozen_clock.shift(7 * ONE)
    assert bookings.class_refusals(maya, downtown, days[:1]) == {}


def test_a_late_cancel_from_before_penalties_were_on_is_never_applied_silently(
    frozen_clock, downtown, maya
):
    bookings.cancel(booked_a_day_ago(frozen_clock, maya, session_at(downtown, HOUR)))
    downtown.booking_penalties_enabled = True
    downtown.save()

    assert bookings.book(maya, session_at(downtown, ONE)).status == Status.BOOKED
    assert not maya.events.filter(kind=Kind.BOOKING_PENALTY).exists()


def test_turning_penalties_off_lifts_a_running_penalty(frozen_clock, downtown, maya):
    downtown.booking_penalties_enabled = True
    downtown.save()
    bookings.cancel(booked_a_day_ago(frozen_clock, maya, session_at(downtown, HOUR)))
    downtown.booking_penalties_enabled = False
    downtown.save()

    assert bookings.book(maya, session_at(downtown, ONE)).status == Status.BOOKED


def test_a_penalty_at_another_club_does_not_block_this_one(frozen_clock, downtown, riverside):
    for club in (downtown, riverside):
        club.booking_penalties_enabled = True
        club.save()
    member = member_with_classes(riverside)
    MembershipFactory(member=member, plan=PlanFactory(club=downtown))
    bookings.cancel(booked_a_day_ago(frozen_clock, member, session_at(riverside, HOUR)))

    assert bookings.book(member, session_at(downtown, ONE)).status == Status.BOOKED


def test_a_member_promoted_inside_the_late_window_may_cancel_without_it_being_late(
    frozen_clock, downtown
):
    session = session_at(downtown, HOUR, capacity=1)
    ana, ben = member_with_classes(downtown), member_with_classes(downtown)
    first = bookings.book(ana, session)
    waiting = bookings.book(ben, session)
    bookings.cancel(first)
    frozen_clock.shift(bookings.LATE_CANCEL_GRACE + MINUTE)  # past the grace of his new seat

    cancelled = bookings.cancel(Booking.objects.get(pk=waiting.pk))

    assert cancelled.is_late_cancel is False


def test_leaving_the_waitlist_is_never_late_and_renumbers_nobody(frozen_clock, downtown):
    session = session_at(downtown, HOUR, capacity=1)
    ana, ben, cas, dirk = (member_with_classes(downtown, first_name=n) for n in "ABCD")
    bookings.book(ana, session)
    ben_waits, cas_waits, dirk_waits = (bookings.book(m, session) for m in (ben, cas, dirk))

    left = bookings.cancel(cas_waits)

    assert left.is_late_cancel is False
    assert left.waitlist_position is None
    assert waitlist(session) == [("B", 1), ("D", 3)]
    assert bookings.waitlist_place(Booking.objects.get(pk=dirk_waits.pk)) == 2
    assert bookings.waitlist_place(ben_waits) == 1
    assert bookings.waitlist_place(left) is None
    # Whoever joins now goes to the end, after Dirk.
    assert bookings.book(cas, session).waitlist_position == 4


def test_cancelling_twice_changes_nothing(spin, maya):
    booking = bookings.book(maya, spin)
    first = bookings.cancel(booking)

    second = bookings.cancel(booking)

    assert second.pk == first.pk
    assert second.cancelled_at == first.cancelled_at
    assert kinds(maya).count(Kind.CLASS_CANCELLED_BY_MEMBER) == 1


def test_members_cannot_cancel_after_the_start_but_staff_can(frozen_clock, spin, maya, fiona):
    booking = bookings.book(maya, spin)
    frozen_clock.move_to(spin.start + MINUTE)

    with pytest.raises(BookingError) as error:
        bookings.cancel(booking)
    by_staff = bookings.cancel(booking, by=fiona)

    assert error.value.code == "session_started"
    assert by_staff.status == Status.CANCELLED
    assert by_staff.is_late_cancel is True


def test_an_attended_booking_cannot_be_cancelled(frozen_clock, spin, maya):
    booked = bookings.book(maya, spin)
    frozen_clock.move_to(spin.start - 10 * MINUTE)
    booking = bookings.mark_attended(booked)

    with pytest.raises(BookingError) as error:
        bookings.cancel(booking)

    assert error.value.code == "session_started"
    assert Booking.objects.get(pk=booking.pk).status == Status.ATTENDED


# --- the waitlist and capacity -----------------------------------------------------------


def test_promote_waitlist_fills_free_seats_in_position_then_arrival_order(
    frozen_clock, spin, downtown
):
    ana, ben, cas = (member_with_classes(downtown, first_name=n) for n in "ABC")
    BookingFactory(session=spin, member=ben, status=Status.WAITLISTED, waitlist_position=1)
    frozen_clock.shift(MINUTE)
    BookingFactory(session=spin, member=cas, status=Status.WAITLISTED, waitlist_position=1)
    BookingFactory(session=spin, member=ana, status=Status.WAITLISTED, waitlist_position=2)

    promoted = bookings.promote_waitlist(spin)

    assert [b.member.first_name for b in promoted] == ["B", "C"]
    assert waitlist(spin) == [("A", 2)]
    assert bookings.promote_waitlist(spin) == []


def test_a_promoted_member_leaves_waitlists_of_overlapping_classes(frozen_clock, downtown):
    maya_ = member_with_classes(downtown)
    spin = session_at(downtown, ONE, capacity=0)
    # Overlaps the second half of spin; yoga starts when spin ends.
    core = session_at(downtown, ONE + 30 * MINUTE, capacity=0)
    yoga = session_at(downtown, ONE + HOUR, capacity=0)
    waiting = {s: bookings.book(maya_, s) for s in (spin, core, yoga)}

    bookings.set_capacity(spin, 1)

    assert Booking.objects.get(pk=waiting[spin].pk).status == Status.BOOKED
    left = Booking.objects.get(pk=waiting[core].pk)
    assert (left.status, left.waitlist_position, left.cancelled_at) == (
        Status.CANCELLED,
        None,
        clock.now(),
    )
    assert Booking.objects.get(pk=waiting[yoga].pk).status == Status.WAITLISTED
    event = maya_.events.get(kind=Kind.WAITLIST_PROMOTED)
    assert event.data["left_waitlists"] == [core.pk]


def test_nobody_is_promoted_once_the_class_has_started(frozen_clock, spin, downtown):
    BookingFactory(session=spin, status=Status.WAITLISTED, waitlist_position=1)
    frozen_clock.move_to(spin.start)

    assert bookings.promote_waitlist(spin) == []


def test_raising_the_capacity_promotes_that_many(spin, downtown):
    BookingFactory.create_batch(2, session=spin)
    for position in (1, 2, 3):
        BookingFactory(session=spin, status=Status.WAITLISTED, waitlist_position=position)

    session = bookings.set_capacity(spin, 4)

    assert session.capacity == 4
    assert Booking.objects.filter(session=spin, status=Status.BOOKED).count() == 4
    assert list(
        Booking.objects.filter(session=spin, status=Status.WAITLISTED).values_list(
            "waitlist_position", flat=True
        )
    ) == [3]


def test_the_capacity_cannot_go_below_the_seats_taken(spin):
    BookingFactory(session=spin)
    BookingFactory(session=spin, status=Status.ATTENDED)

    with pytest.raises(BookingError) as error:
        bookings.set_capacity(spin, 1)
    with pytest.raises(BookingError) as negative:
        bookings.set_capacity(spin, -1)

    assert error.value.code == "capacity_below_booked"
    assert (
        error.value.message
        == "2 people are already booked; the capacity cannot be lower than that."
    )
    assert negative.value.code == "capacity_below_booked"
    spin.refresh_from_db()
    assert spin.capacity == 2
    assert bookings.set_capacity(spin, 2).capacity == 2


def test_a_newcomer_does_not_jump_a_waitlist_when_seats_free_up_by_hand(spin, downtown, maya):
    BookingFactory.create_batch(2, session=spin)
    waiting = BookingFactory(session=spin, status=Status.WAITLISTED, waitlist_position=1)
    ClassSession.objects.filter(pk=spin.pk).update(capacity=3)

    mine = bookings.book(maya, spin)

    assert Booking.objects.get(pk=waiting.pk).status == Status.BOOKED
    assert mine.status == Status.WAITLISTED
    assert mine.waitlist_position == 1


# --- attendance --------------------------------------------------------------------------


def test_marking_attended_records_the_time_and_trial_attended_for_a_trial(
    frozen_clock, spin, downtown, tom
):
    lead = MemberFactory(home_club=downtown)
    booking = bookings.book(lead, spin, trial=True)
    at = spin.start - 5 * MINUTE
    frozen_clock.move_to(spin.start)

    marked = bookings.mark_attended(booking, by=tom, at=at)
    again = bookings.mark_attended(booking, by=tom)

    assert (marked.status, marked.attended_at) == (Status.ATTENDED, at)
    assert again.attended_at == at
    assert kinds(lead) == [Kind.TRIAL_BOOKED, Kind.TRIAL_ATTENDED]
    assert lead.events.get(kind=Kind.TRIAL_ATTENDED).actor == tom


def test_a_member_attending_writes_nothing_to_the_timeline(frozen_clock, spin, maya):
    booking = bookings.book(maya, spin)
    frozen_clock.move_to(spin.start)

    bookings.mark_attended(booking)

    assert kinds(maya) == [Kind.CLASS_BOOKED]


@pytest.mark.parametrize("status", [Status.WAITLISTED, Status.CANCELLED])
def test_only_a_booked_place_can_be_marked(spin, status):
    position = 1 if status == Status.WAITLISTED else None
    booking = BookingFactory(session=spin, status=status, waitlist_position=position)

    with pytest.raises(BookingError) as error:
        bookings.mark_attended(booking)

    assert error.value.code == "not_booked"
    assert Booking.objects.get(pk=booking.pk).status == status


def test_a_no_show_needs_the_class_to_have_started(spin, maya):
    booking = bookings.book(maya, spin)

    with pytest.raises(BookingError) as error:
        bookings.mark_no_show(booking)

    assert error.value.code == "not_started"
    assert Booking.objects.get(pk=booking.pk).status == Status.BOOKED


@pytest.mark.parametrize(
    ("before_start", "marked"),
    [
        (61 * MINUTE, False),
        (60 * MINUTE, True),  # CHECK_IN_BEFORE_CLASS: when a check-in at the door marks it
        (10 * MINUTE, True),
        (-50 * MINUTE, True),  # a trainer catching up after the class
    ],
)
def test_staff_mark_attended_from_an_hour_before_the_class(
    frozen_clock, spin, maya, tom, before_start, marked
):
    booking = bookings.book(maya, spin)
    frozen_clock.move_to(spin.start - before_start)

    if marked:
        assert bookings.mark_attended(booking, by=tom).status == Status.ATTENDED
    else:
        with pytest.raises(BookingError) as error:
            bookings.mark_attended(booking, by=tom)
        assert error.value.code == "attendance_not_open"
    assert Booking.objects.get(pk=booking.pk).status == (
        Status.ATTENDED if marked else Status.BOOKED
    )


def test_the_door_and_the_trainer_agree_on_when_attendance_opens(frozen_clock, downtown, maya, tom):
    # given two classes of Maya's, starting in 60 and in 61 minutes
    in_60 = BookingFactory(session=session_at(downtown, 60 * MINUTE), member=maya)
    in_61 = BookingFactory(session=session_at(downtown, 61 * MINUTE), member=maya)

    # when she checks in now, and a trainer tries the later class too
    marked = bookings.attend_on_check_in(maya, at=clock.now())
    with pytest.raises(BookingError) as error:
        bookings.mark_attended(in_61, by=tom)

    # then the check-in marked the first (the trainer's rule does not block it), not the second
    assert [b.pk for b in marked] == [in_60.pk]
    assert error.value.code == "attendance_not_open"
    assert Booking.objects.get(pk=in_61.pk).status == Status.BOOKED


def test_a_class_days_ahead_cannot_be_marked_attended(spin, maya, tom):
    # given Maya booked tomorrow's 18:00 class (the clock says Monday 18:00)
    booking = bookings.book(maya, spin)

    # when a trainer marks her attended today
    with pytest.raises(BookingError) as error:
        bookings.mark_attended(booking, by=tom)

    # then it is refused, saying when it opens, and nothing changed
    assert error.value.code == "attendance_not_open"
    assert str(error.value) == "Attendance for this class can be marked from Tue 24 Nov at 17:00."
    refused = Booking.objects.get(pk=booking.pk)
    assert (refused.status, refused.attended_at) == (Status.BOOKED, None)
    assert kinds(maya) == [Kind.CLASS_BOOKED]


def test_a_no_show_is_on_the_timeline_without_penalty_by_default(frozen_clock, spin, maya, tom):
    booking = bookings.book(maya, spin)
    frozen_clock.move_to(spin.start + 10 * MINUTE)

    marked = bookings.mark_no_show(booking, by=tom)
    bookings.mark_no_show(booking, by=tom)

    assert marked.status == Status.NO_SHOW
    assert kinds(maya) == [Kind.CLASS_BOOKED, Kind.CLASS_NO_SHOW]


def test_a_no_show_put_right_says_so_on_the_timeline_once(frozen_clock, spin, maya, tom):
    booking = bookings.book(maya, spin)
    frozen_clock.move_to(spin.start + 10 * MINUTE)
    bookings.mark_no_show(booking, by=tom)

    bookings.mark_attended(booking, by=tom)
    bookings.mark_attended(booking, by=tom)  # twice changes nothing

    assert kinds(maya) == [Kind.CLASS_BOOKED, Kind.CLASS_NO_SHOW, Kind.NO_SHOW_CORRECTED]
    corrected = maya.events.get(kind=Kind.NO_SHOW_CORRECTED)
    assert corrected.actor == tom and corrected.data["class_name"] == spin.class_type.name


def test_marking_a_booked_member_attended_corrects_nothing(frozen_clock, spin, maya):
    booking = bookings.book(maya, spin)
    frozen_clock.move_to(spin.start)

    bookings.mark_attended(booking)

    assert kinds(maya) == [Kind.CLASS_BOOKED]


def test_a_trial_no_show_is_trial_no_show_and_never_penalised(frozen_clock, spin, downtown):
    downtown.booking_penalties_enabled = True
    downtown.save()
    lead = MemberFactory(home_club=downtown)
    booking = bookings.book(lead, spin, trial=True)
    frozen_clock.move_to(spin.start + MINUTE)

    bookings.mark_no_show(booking)

    assert kinds(lead) == [Kind.TRIAL_BOOKED, Kind.TRIAL_NO_SHOW]


def test_with_penalties_on_a_no_show_is_penalised_until_it_is_corrected(
    frozen_clock, spin, downtown, maya
):
    downtown.booking_penalties_enabled = True
    downtown.save()
    booking = bookings.book(maya, spin)
    frozen_clock.move_to(spin.start + MINUTE)
    bookings.mark_no_show(booking)
    tomorrow = session_at(downtown, ONE)

    with pytest.raises(BookingError) as error:
        bookings.book(maya, tomorrow)
    bookings.mark_attended(booking)

    assert error.value.code == "penalty"
    assert maya.events.get(kind=Kind.BOOKING_PENALTY).data["reason"] == "no_show"
    assert bookings.book(maya, tomorrow).status == Status.BOOKED


def test_mark_remaining_no_show_marks_only_the_still_booked(frozen_clock, downtown, tom):
    session = session_at(downtown, ONE, capacity=5)
    booked = [BookingFactory(session=session) for _ in range(3)]
    came = BookingFactory(session=session)
    frozen_clock.move_to(session.start - 30 * MINUTE)
    bookings.mark_attended(came)
    waiting = BookingFactory(session=session, status=Status.WAITLISTED, waitlist_position=1)

    with pytest.raises(BookingError) as early:
        bookings.mark_remaining_no_show(session, by=tom)
    frozen_clock.move_to(session.start + 50 * MINUTE)
    marked = bookings.mark_remaining_no_show(session, by=tom)
    again = bookings.mark_remaining_no_show(session, by=tom)

    assert early.value.code == "not_started"
    assert (marked, again) == (3, 0)
    statuses = dict(Booking.objects.filter(session=session).values_list("pk", "status"))
    assert statuses == {
        **{b.pk: Status.NO_SHOW for b in booked},
        came.pk: Status.ATTENDED,
        waiting.pk: Status.WAITLISTED,
    }
    assert MemberEvent.objects.filter(kind=Kind.CLASS_NO_SHOW, actor=tom).count() == 3


# --- the club cancels --------------------------------------------------------------------


def test_cancel_session_takes_everyone_off_and_tells_their_timeline(frozen_clock, downtown, max):
    session = session_at(downtown, HOUR, capacity=1)
    ana, ben = member_with_classes(downtown), member_with_classes(downtown)
    seat, waiting = bookings.book(ana, session), bookings.book(ben, session)

    cancelled = bookings.cancel_session(session, by=max, reason="Trainer ill")
    bookings.cancel_session(session, by=max, reason="Trainer ill")

    assert cancelled.is_cancelled is True
    for booking in (seat, waiting):
        booking.refresh_from_db()
        assert booking.status == Status.CANCELLED
        assert booking.is_late_cancel is False
        assert booking.waitlist_position is None
    for member, was_waitlisted in ((ana, False), (ben, True)):
        event = member.events.get(kind=Kind.CLASS_CANCELLED_BY_CLUB)
        assert event.actor == max
        assert event.data["reason"] == "Trainer ill"
        assert event.data["was_waitlisted"] is was_waitlisted
    assert not MemberEvent.objects.filter(kind=Kind.BOOKING_PENALTY).exists()


# --- check-in ----------------------------------------------------------------------------


def test_a_check_in_marks_attended_the_classes_about_to_start_or_just_started(
    frozen_clock, downtown, riverside, maya
):
    now = clock.now()
    in_45 = BookingFactory(session=session_at(downtown, 45 * MINUTE), member=maya)
    started_20_ago = BookingFactory(session=session_at(downtown, -20 * MINUTE), member=maya)
    in_2_hours = BookingFactory(session=session_at(downtown, 2 * HOUR), member=maya)
    started_40_ago = BookingFactory(session=session_at(downtown, -40 * MINUTE), member=maya)
    elsewhere = BookingFactory(session=session_at(riverside, 10 * MINUTE), member=maya)
    called_off = BookingFactory(
        session=session_at(downtown, 10 * MINUTE, is_cancelled=True), member=maya
    )
    waiting = BookingFactory(
        session=session_at(downtown, 15 * MINUTE),
        member=maya,
        status=Status.WAITLISTED,
        waitlist_position=1,
    )

    marked = bookings.attend_on_check_in(maya, at=now)

    assert sorted(b.pk for b in marked) == sorted([in_45.pk, started_20_ago.pk])
    assert {b.status for b in marked} == {Status.ATTENDED}
    statuses = dict(Booking.objects.filter(member=maya).values_list("pk", "status"))
    assert statuses == {
        in_45.pk: Status.ATTENDED,
        started_20_ago.pk: Status.ATTENDED,
        in_2_hours.pk: Status.BOOKED,
        started_40_ago.pk: Status.BOOKED,
        elsewhere.pk: Status.BOOKED,
        called_off.pk: Status.BOOKED,
        waiting.pk: Status.WAITLISTED,
    }
    assert Booking.objects.get(pk=in_45.pk).attended_at == now
    assert bookings.attend_on_check_in(maya, at=now) == []
    assert [b.pk for b in bookings.attend_on_check_in(maya, at=now, club=riverside)] == [
        elsewhere.pk
    ]


def test_a_trial_check_in_writes_trial_attended(frozen_clock, downtown):
    lead = MemberFactory(home_club=downtown)
    bookings.book(lead, session_at(downtown, 30 * MINUTE), trial=True)

    bookings.attend_on_check_in(lead, at=clock.now())

    assert kinds(lead) == [Kind.TRIAL_BOOKED, Kind.TRIAL_ATTENDED]


# --- reading -----------------------------------------------------------------------------


def test_upcoming_sessions_counts_seats_and_leaves_out_cancelled_and_other_clubs(
    frozen_clock, downtown, riverside
):
    later = session_at(downtown, 2 * ONE, capacity=2)
    full = session_at(downtown, ONE, capacity=1)
    BookingFactory(session=full)
    BookingFactory(session=full, status=Status.WAITLISTED, waitlist_position=1)
    BookingFactory(session=later, status=Status.CANCELLED)
    BookingFactory(session=later, status=Status.ATTENDED)
    session_at(downtown, ONE, is_cancelled=True)
    session_at(riverside, ONE)
    session_at(downtown, 8 * ONE)
    session_at(downtown, -MINUTE)

    rows = bookings.upcoming_sessions(downtown, start=clock.now())

    assert [(s.pk, s.booked_count, s.waitlist_count, s.seats_left) for s in rows] == [
        (full.pk, 1, 1, 0),
        (later.pk, 1, 0, 1),
    ]


def test_upcoming_sessions_filters_by_class_type(frozen_clock, downtown):
    spin = session_at(downtown, ONE)
    session_at(downtown, ONE)

    rows = bookings.upcoming_sessions(downtown, start=clock.now(), class_type=spin.class_type)

    assert list(rows) == [spin]


def test_seats_left_is_never_negative(frozen_clock, downtown):
    session = session_at(downtown, ONE, capacity=1)
    BookingFactory.create_batch(2, session=session)

    assert bookings.upcoming_sessions(downtown, start=clock.now()).get().seats_left == 0


def test_an_unknown_error_code_is_a_programming_error():
    with pytest.raises(ValueError):
        BookingError("full")
