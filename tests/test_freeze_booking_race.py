"""A class booking and a freeze of the same member, on PostgreSQL with real transactions: they
queue on the member's lock (docs/architecture.md, "Lock order"), so a booking is either seen
and cancelled by the freeze or refused because of it; never left inside it.

The clock is frozen at Monday 23 Nov 2026 18:00 in Amsterdam (conftest); the freezes run from
next Monday to the Sunday after, and the classes start inside them.
"""

import datetime as dt
import threading
from collections.abc import Callable

import pytest

from checkin import bookings
from checkin.bookings import BookingError
from checkin.models import Booking, ClassSession
from club import clock
from members.models import Member
from memberships.models import Freeze, Membership
from tests.factories import (
    BookingFactory,
    ClassSessionFactory,
    ClassTypeFactory,
    MemberFactory,
    MembershipFactory,
    PlanFactory,
)
from tests.race import RaceOutcome, run_concurrently, run_overlapping

pytestmark = [pytest.mark.race, pytest.mark.django_db(transaction=True)]

Status = Booking.Status
TODAY = dt.date(2026, 11, 23)
DAY = dt.timedelta(days=1)
FREEZE = {"start": TODAY + 7 * DAY, "end": TODAY + 13 * DAY}


def member_with_classes(club, plan=None) -> Membership:
    """A member's month with classes, started today, loaded as a desk loads it."""
    member = MemberFactory(home_club=club, status=Member.Status.MEMBER)
    month = MembershipFactory(member=member, plan=plan or PlanFactory(club=club))
    return Membership.objects.select_related("member__home_club", "plan").get(pk=month.pk)


def class_on(club, days: int, *, capacity: int = 10, **kwargs) -> ClassSession:
    start = clock.now() + days * DAY
    return ClassSessionFactory(
        club=club, start=start, end=start + dt.timedelta(hours=1), capacity=capacity, **kwargs
    )


def live_inside_freeze(member: Member) -> list[Booking]:
    """The member's live, non-trial bookings of classes inside FREEZE: what must never be."""
    frozen = Freeze.objects.filter(membership__member=member)
    assert frozen.exists(), "the freeze was not made"
    return list(
        Booking.objects.filter(
            member=member,
            status__in=(Status.BOOKED, Status.WAITLISTED),
            is_trial=False,
            session__start__date__gte=FREEZE["start"],
            session__start__date__lte=FREEZE["end"],
        )
    )


def collide(calls: list[Callable[[], object]]) -> RaceOutcome:
    """Each call in its own thread (and connection), all released together by a barrier."""
    order, lock = iter(calls), threading.Lock()

    def next_call():
        with lock:
            call = next(order)
        return call()

    return run_concurrently(next_call, threads=len(calls), timeout=60)


def refused_codes(outcome: RaceOutcome) -> list[str]:
    """The booking rules' refusals among the errors; anything else (a deadlock) fails here."""
    others = [error for error in outcome.errors if not isinstance(error, BookingError)]
    assert others == []
    return sorted(error.code for error in outcome.errors)


# --- one booking landing inside one freeze, both ways round -----------------------------


def test_a_freeze_landing_while_a_booking_is_open_waits_and_cancels_it(frozen_clock, downtown):
    # given Maya's month and a class inside next week's freeze
    month = member_with_classes(downtown)
    session = class_on(downtown, 8)

    # when the desk freezes her month while her booking's transaction is still open
    outcome = run_overlapping(
        lambda: bookings.book(month.member, session),
        lambda: bookings.freeze_membership(month, **FREEZE),
    )

    # then the freeze waited for the booking, saw it, and cancelled it
    assert outcome.errors == []
    booked, frozen = outcome.results
    assert [b.pk for b in frozen.cancelled] == [booked.pk]
    assert live_inside_freeze(month.member) == []


def test_a_booking_landing_while_a_freeze_is_open_waits_and_is_refused(frozen_clock, downtown):
    # given Maya's month and a class inside next week's freeze
    month = member_with_classes(downtown)
    session = class_on(downtown, 8)

    # when she books while the desk's freeze is still open
    outcome = run_overlapping(
        lambda: bookings.freeze_membership(month, **FREEZE),
        lambda: bookings.book(month.member, session),
    )

    # then the booking waited for the freeze and was refused as frozen
    assert refused_codes(outcome) == ["membership_frozen"]
    assert live_inside_freeze(month.member) == []
    assert not Booking.objects.filter(session=session).exists()


def test_a_booking_and_a_freeze_racing_many_times_never_leave_a_booking_inside_it(
    frozen_clock, downtown
):
    # given 25 members, each with a month and a class of their own inside next week
    plan = PlanFactory(club=downtown)
    rounds = [(member_with_classes(downtown, plan), class_on(downtown, 8)) for _ in range(25)]

    for month, session in rounds:
        # when each books their class at the same instant as the desk freezes their month
        outcome = collide(
            [
                lambda m=month, s=session: bookings.book(m.member, s),
                lambda m=month: bookings.freeze_membership(m, **FREEZE),
            ]
        )

        # then the booking was refused or cancelled by the freeze, every time
        assert refused_codes(outcome) in ([], ["membership_frozen"])
        assert live_inside_freeze(month.member) == []


def test_a_trial_visitor_booking_two_classes_at_once_gets_one_trial(frozen_clock, downtown):
    # given a lead and two trial classes this week
    lead = MemberFactory(home_club=downtown, status=Member.Status.LEAD)
    trial_type = ClassTypeFactory(club=downtown, trial_eligible=True)
    first, second = (class_on(downtown, days, class_type=trial_type) for days in (2, 3))

    # when the second trial is booked while the first's transaction is open
    outcome = run_overlapping(
        lambda: bookings.book(lead, first, trial=True),
        lambda: bookings.book(lead, second, trial=True),
    )

    # then the second waited for the first and was refused: one trial per person
    assert refused_codes(outcome) == ["not_trial_eligible"]
    assert Booking.objects.filter(member=lead, is_trial=True).count() == 1


# --- each alone, and other members not held up -----------------------------------------


def test_booking_and_freezing_alone_still_work(frozen_clock, downtown):
    month = member_with_classes(downtown)
    inside, after = class_on(downtown, 8), class_on(downtown, 14)

    assert bookings.book(month.member, inside).status == Status.BOOKED
    assert bookings.book(month.member, after).status == Status.BOOKED
    frozen = bookings.freeze_membership(month, **FREEZE)

    assert [b.session_id for b in frozen.cancelled] == [inside.pk]
    assert live_inside_freeze(month.member) == []
    assert Booking.objects.get(session=after).status == Status.BOOKED


def test_booking_a_frozen_day_is_refused_and_a_day_after_it_is_not(frozen_clock, downtown):
    month = member_with_classes(downtown)
    bookings.freeze_membership(month, **FREEZE)

    with pytest.raises(BookingError) as refused:
        bookings.book(month.member, class_on(downtown, 13))
    assert refused.value.code == "membership_frozen"
    assert bookings.book(month.member, class_on(downtown, 14)).status == Status.BOOKED


def test_another_members_booking_does_not_wait_for_a_freeze(frozen_clock, downtown):
    # given Maya's freeze open, holding her lock, and Noor about to book a class of her own
    maya, noor = member_with_classes(downtown), member_with_classes(downtown)
    session = class_on(downtown, 8)

    # when Noor books while Maya's freeze is open
    def book_and_look():
        booked = bookings.book(noor.member, session)
        return booked, Freeze.objects.filter(membership=maya).exists()

    outcome = run_overlapping(lambda: bookings.freeze_membership(maya, **FREEZE), book_and_look)

    # then Noor was booked before Maya's freeze committed: she did not wait for it
    assert outcome.errors == []
    booked, saw_the_freeze = outcome.results[1]
    assert booked.status == Status.BOOKED
    assert not saw_the_freeze


def test_two_members_booking_the_last_seat_at_once_get_one_seat(frozen_clock, downtown):
    plan = PlanFactory(club=downtown)
    for _ in range(10):
        # given a class with one seat left and two members who want it
        session = class_on(downtown, 2, capacity=2)
        BookingFactory(session=session)
        first, second = (member_with_classes(downtown, plan).member for _ in range(2))

        # when both book at the same instant
        outcome = collide([lambda m=m, s=session: bookings.book(m, s) for m in (first, second)])

        # then one has the seat and the other is first on the waitlist
        assert outcome.errors == []
        assert sorted(b.status for b in outcome.results) == [Status.BOOKED, Status.WAITLISTED]
        assert Booking.objects.filter(session=session, status=Status.BOOKED).count() == 2


# --- bookings, freezes and cancellations all at once -----------------------------------


def test_bookings_freezes_and_cancellations_all_at_once_do_not_deadlock(frozen_clock, downtown):
    # given three full classes inside next week, in start order A, B, C; six members to be
    # frozen, each booked in C and waiting for B and A (the freeze locks A, B, C in that
    # order), and six others holding the seats, some of whom cancel
    plan = PlanFactory(club=downtown)
    a, b, c = (class_on(downtown, days, capacity=6) for days in (8, 9, 10))
    frozen = [member_with_classes(downtown, plan) for _ in range(6)]
    others = [member_with_classes(downtown, plan) for _ in range(6)]
    seats = {
        session: [BookingFactory(session=session, member=o.member) for o in others]
        for session in (a, b)
    }
    for position, month in enumerate(frozen, start=1):
        BookingFactory(session=c, member=month.member)
        for session in (a, b):
            BookingFactory(
                session=session,
                member=month.member,
                status=Status.WAITLISTED,
                waitlist_position=position,
            )
    late = class_on(downtown, 11, capacity=3)

    # when, at once: each of the six is frozen and books another class inside the freeze,
    # the others cancel their seats in A and B (promoting the six), and book one more class
    calls = [lambda m=m: bookings.freeze_membership(m, **FREEZE) for m in frozen]
    calls += [lambda m=m: bookings.book(m.member, late) for m in frozen]
    calls += [lambda s=s: bookings.cancel(s) for s in seats[a][:3] + seats[b][3:]]
    calls += [lambda m=m: bookings.book(m.member, c) for m in others]
    outcome = collide(calls)

    # then nothing deadlocked or failed but the booking rules, the six have nothing live
    # inside their freezes, and no class holds more than its seats
    assert set(refused_codes(outcome)) <= {"membership_frozen"}
    for month in frozen:
        assert live_inside_freeze(month.member) == []
    for session in (a, b, c, late):
        taken = Booking.objects.filter(session=session, status__in=bookings.SEAT_STATUSES)
        assert taken.count() <= session.capacity
