"""Bookings under real concurrency, on PostgreSQL: capacity holds, the waitlist keeps commit
order, and each freed seat is given away exactly once.

PostgreSQL allows 100 connections by default and other test runs may share the server, so
the many requests of a test go through a pool of at most 40 threads: each thread opens
its connection, waits at the barrier with the others, then takes requests from a shared
queue until it is empty. Every request is its own transaction.
"""

import datetime as dt
import queue
from collections import Counter
from collections.abc import Callable

import pytest

from checkin import bookings
from checkin.bookings import BookingError
from checkin.models import Booking, ClassSession
from club import clock
from members.models import Member, MemberEvent
from tests.factories import (
    BookingFactory,
    ClassSessionFactory,
    ClubFactory,
    MemberFactory,
    MembershipFactory,
    PlanFactory,
)
from tests.race import RaceOutcome, run_concurrently

pytestmark = [pytest.mark.race, pytest.mark.django_db(transaction=True)]

Status = Booking.Status
POOL = 40


def run_pool(calls: list[Callable[[], object]], *, threads: int = POOL) -> RaceOutcome:
    """Run every call once, from `threads` threads released together; per-call results and
    errors are returned flat."""
    todo: queue.Queue = queue.Queue()
    for call in calls:
        todo.put(call)

    def drain() -> list[tuple[str, object]]:
        done = []
        while True:
            try:
                call = todo.get_nowait()
            except queue.Empty:
                return done
            try:
                done.append(("ok", call()))
            except BookingError as error:
                done.append(("refused", error))

    outcome = run_concurrently(drain, threads=min(threads, len(calls)), timeout=120)
    flat = [item for per_thread in outcome.results for item in per_thread]
    return RaceOutcome(
        results=[value for kind, value in flat if kind == "ok"],
        errors=outcome.errors + [value for kind, value in flat if kind == "refused"],
    )


def members_with_classes(club, n: int) -> list[Member]:
    plan = PlanFactory(club=club)
    members = [MemberFactory(home_club=club, status=Member.Status.MEMBER) for _ in range(n)]
    for member in members:
        MembershipFactory(member=member, plan=plan)
    return members


def session_tomorrow(club, capacity: int) -> ClassSession:
    start = clock.now() + dt.timedelta(days=1)
    return ClassSessionFactory(
        club=club, start=start, end=start + dt.timedelta(hours=1), capacity=capacity
    )


def promotion_events(session) -> Counter:
    events = MemberEvent.objects.filter(
        kind=MemberEvent.Kind.WAITLIST_PROMOTED, data__session=session.pk
    )
    return Counter(events.values_list("data__booking", flat=True))


def test_200_members_booking_20_free_seats_at_once():
    # given a class of 24 with 4 seats taken and 200 members with classes in their plan
    club = ClubFactory()
    session = session_tomorrow(club, capacity=24)
    BookingFactory.create_batch(4, session=session)
    members = members_with_classes(club, 200)

    # when all 200 book at once
    outcome = run_pool([lambda m=m: bookings.book(m, session).pk for m in members])

    # then 20 got a seat and 180 wait, numbered 1..180 in the order their transactions
    # committed (they commit under the session lock, in the order they inserted: by id)
    assert outcome.errors == []
    new = Booking.objects.filter(session=session, member__in=members)
    assert new.count() == 200
    assert new.values("member").distinct().count() == 200
    assert new.filter(status=Status.BOOKED).count() == 20
    assert Booking.objects.filter(session=session, status=Status.BOOKED).count() == 24
    in_commit_order = list(
        new.filter(status=Status.WAITLISTED)
        .order_by("pk")
        .values_list("waitlist_position", "created_at")
    )
    assert [position for position, _ in in_commit_order] == list(range(1, 181))
    created = [at for _, at in in_commit_order]
    assert created == sorted(created)
    # Every seat went to someone who asked before the first waitlister's commit.
    first_waiting = new.filter(status=Status.WAITLISTED).order_by("pk").first()
    assert new.filter(status=Status.BOOKED, pk__gt=first_waiting.pk).count() == 0
    assert MemberEvent.objects.filter(kind=MemberEvent.Kind.CLASS_BOOKED).count() == 200


@pytest.mark.parametrize("waiting", [30, 70])
def test_50_cancellations_at_once_promote_each_waitlister_once(waiting):
    # given a full class of 60 and a waitlist of 30 (fewer than the seats about to free up)
    # or 70 (more)
    club = ClubFactory()
    session = session_tomorrow(club, capacity=60)
    seated = [BookingFactory(session=session) for _ in range(60)]
    queue_ = [
        BookingFactory(session=session, status=Status.WAITLISTED, waitlist_position=p)
        for p in range(1, waiting + 1)
    ]

    # when 50 of the booked members cancel at once
    outcome = run_pool([lambda b=b: bookings.cancel(b).pk for b in seated[:50]])

    # then the capacity holds and the booked count is min(capacity, members left) …
    assert outcome.errors == []
    booked = Booking.objects.filter(session=session, status=Status.BOOKED)
    assert booked.count() == min(60, 10 + waiting)
    assert Booking.objects.filter(session=session, status=Status.CANCELLED).count() == 50
    # … the first on the waitlist moved up, in order, each exactly once
    promoted = [b.pk for b in queue_[: min(50, waiting)]]
    assert set(booked.filter(promoted_at__isnull=False).values_list("pk", flat=True)) == set(
        promoted
    )
    assert promotion_events(session) == Counter(dict.fromkeys(promoted, 1))
    assert list(
        Booking.objects.filter(session=session, status=Status.WAITLISTED)
        .order_by("waitlist_position")
        .values_list("pk", flat=True)
    ) == [b.pk for b in queue_[50:]]


def test_one_member_booking_twenty_times_at_once_gets_one_seat():
    club = ClubFactory()
    session = session_tomorrow(club, capacity=10)
    (member,) = members_with_classes(club, 1)

    outcome = run_pool([lambda: bookings.book(member, session).pk] * 20, threads=20)

    assert len(outcome.results) == 1
    assert [error.code for error in outcome.errors] == ["already_booked"] * 19
    assert Booking.objects.filter(session=session, member=member).count() == 1


def test_concurrent_promotions_fill_free_seats_once():
    club = ClubFactory()
    session = session_tomorrow(club, capacity=5)
    waiting = [
        BookingFactory(session=session, status=Status.WAITLISTED, waitlist_position=p)
        for p in range(1, 11)
    ]

    outcome = run_pool([lambda: [b.pk for b in bookings.promote_waitlist(session)]] * 20)

    assert outcome.errors == []
    promoted = [pk for batch in outcome.results for pk in batch]
    assert sorted(promoted) == sorted(b.pk for b in waiting[:5])
    assert promotion_events(session) == Counter(dict.fromkeys(promoted, 1))
    assert Booking.objects.filter(session=session, status=Status.BOOKED).count() == 5


def test_two_overlapping_classes_promoting_the_same_waitlist_at_once_do_not_deadlock():
    # given two full classes at the same time, and the same 20 members waiting for both
    club = ClubFactory()
    first, second = session_tomorrow(club, capacity=20), session_tomorrow(club, capacity=20)
    seats = [BookingFactory(session=s) for s in (first, second) for _ in range(20)]
    for position, member in enumerate(members_with_classes(club, 20), start=1):
        for session in (first, second):
            BookingFactory(
                session=session,
                member=member,
                status=Status.WAITLISTED,
                waitlist_position=position,
            )

    # when every seat of both is cancelled at once
    outcome = run_pool([lambda b=b: bookings.cancel(b).pk for b in seats])

    # then nothing failed, neither class is over capacity, and each promotion happened once
    assert outcome.errors == []
    for session in (first, second):
        assert Booking.objects.filter(session=session, status=Status.BOOKED).count() <= 20
        assert set(promotion_events(session).values()) <= {1}
    # A member moved up in one class left the other's waitlist (only when both promote the
    # same member at the same instant may they keep both seats).
    assert not Booking.objects.filter(status=Status.WAITLISTED).exists()


def test_marking_a_trial_attended_from_many_clicks_at_once_records_it_once():
    # given a trial class that began ten minutes ago
    club = ClubFactory()
    started = ClassSessionFactory(club=club, start=clock.now() - dt.timedelta(minutes=10))
    trial = BookingFactory(session=started, member=MemberFactory(home_club=club), is_trial=True)

    # when the trainer's tablet sends "attended" ten times at once
    outcome = run_pool([lambda: bookings.mark_attended(trial) for _ in range(10)])

    # then every click succeeds, and the trial's attendance is on the timeline once
    assert outcome.errors == []
    assert [b.status for b in outcome.results] == [Status.ATTENDED] * 10
    events = MemberEvent.objects.filter(member=trial.member, kind=MemberEvent.Kind.TRIAL_ATTENDED)
    assert events.count() == 1
