"""Generating class sessions from the weekly timetable: local times, DST, idempotence."""

import datetime as dt

import pytest

from checkin import schedule
from checkin.models import ClassSession, ClassTemplate
from checkin.tasks import generate_sessions_task
from tests.factories import ClassSessionFactory, ClassTypeFactory, ClubFactory

UTC = dt.UTC
MONDAY, WEDNESDAY, SUNDAY = 0, 2, 6
# Monday 23 Nov 2026, the frozen clock's day.
TODAY = dt.date(2026, 11, 23)


def slot(club, *, weekday: int, at: str, **kwargs) -> ClassTemplate:
    defaults = {
        "class_type": ClassTypeFactory(club=club),
        "room": "Studio 2",
        "duration_minutes": 60,
        "capacity": 20,
        "starts_on": dt.date(2026, 1, 1),
    }
    return ClassTemplate.objects.create(
        club=club,
        weekday=weekday,
        start_time=dt.time.fromisoformat(at),
        **{**defaults, **kwargs},
    )


def starts(club) -> list[dt.datetime]:
    return list(
        ClassSession.objects.filter(club=club).order_by("start").values_list("start", flat=True)
    )


def test_four_weeks_of_sessions_at_the_clubs_local_time(downtown, tom):
    spin = slot(downtown, weekday=MONDAY, at="07:00", trainer=tom, capacity=18, room="Studio 1")
    slot(downtown, weekday=WEDNESDAY, at="18:30", duration_minutes=45)

    created = schedule.generate_sessions(downtown, today=TODAY)

    assert created == 8
    # Amsterdam is UTC+1 in winter.
    assert starts(downtown) == [
        dt.datetime(2026, 11, 23, 6, 0, tzinfo=UTC),
        dt.datetime(2026, 11, 25, 17, 30, tzinfo=UTC),
        dt.datetime(2026, 11, 30, 6, 0, tzinfo=UTC),
        dt.datetime(2026, 12, 2, 17, 30, tzinfo=UTC),
        dt.datetime(2026, 12, 7, 6, 0, tzinfo=UTC),
        dt.datetime(2026, 12, 9, 17, 30, tzinfo=UTC),
        dt.datetime(2026, 12, 14, 6, 0, tzinfo=UTC),
        dt.datetime(2026, 12, 16, 17, 30, tzinfo=UTC),
    ]
    first = ClassSession.objects.filter(template=spin).earliest("start")
    assert (first.class_type, first.trainer, first.room, first.capacity) == (
        spin.class_type,
        tom,
        "Studio 1",
        18,
    )
    assert first.end - first.start == dt.timedelta(hours=1)
    assert first.is_cancelled is False


def test_running_twice_creates_nothing_new(downtown):
    slot(downtown, weekday=MONDAY, at="07:00")
    schedule.generate_sessions(downtown, today=TODAY)

    again = schedule.generate_sessions(downtown, today=TODAY)

    assert again == 0
    assert ClassSession.objects.count() == 4


def test_a_day_later_only_the_new_days_are_added(downtown):
    slot(downtown, weekday=MONDAY, at="07:00")
    schedule.generate_sessions(downtown, today=TODAY)

    created = schedule.generate_sessions(downtown, today=TODAY + dt.timedelta(days=7))

    assert created == 1
    assert starts(downtown)[-1] == dt.datetime(2026, 12, 21, 6, 0, tzinfo=UTC)


def test_a_cancelled_session_stays_cancelled(downtown):
    slot(downtown, weekday=MONDAY, at="07:00")
    schedule.generate_sessions(downtown, today=TODAY)
    ClassSession.objects.filter(start__date=dt.date(2026, 11, 30)).update(is_cancelled=True)

    assert schedule.generate_sessions(downtown, today=TODAY) == 0
    assert ClassSession.objects.filter(is_cancelled=True).count() == 1


def test_the_week_clocks_go_forward_keeps_the_local_time(downtown):
    # Summer time starts in Amsterdam on Sunday 28 March 2027 at 02:00.
    slot(downtown, weekday=MONDAY, at="07:00")
    slot(downtown, weekday=SUNDAY, at="10:00")
    slot(downtown, weekday=SUNDAY, at="01:30", duration_minutes=120)

    schedule.generate_sessions(downtown, weeks_ahead=2, today=dt.date(2027, 3, 22))

    sessions = list(ClassSession.objects.order_by("start").values_list("start", "end"))
    assert sessions == [
        # Monday 22 March, winter time: 07:00 = 06:00 UTC.
        (dt.datetime(2027, 3, 22, 6, 0, tzinfo=UTC), dt.datetime(2027, 3, 22, 7, 0, tzinfo=UTC)),
        # Sunday 28 March 01:30 winter time, two real hours, ending at 04:30 summer time.
        (dt.datetime(2027, 3, 28, 0, 30, tzinfo=UTC), dt.datetime(2027, 3, 28, 2, 30, tzinfo=UTC)),
        # Sunday 28 March 10:00 summer time = 08:00 UTC.
        (dt.datetime(2027, 3, 28, 8, 0, tzinfo=UTC), dt.datetime(2027, 3, 28, 9, 0, tzinfo=UTC)),
        # Monday 29 March, summer time: 07:00 = 05:00 UTC.
        (dt.datetime(2027, 3, 29, 5, 0, tzinfo=UTC), dt.datetime(2027, 3, 29, 6, 0, tzinfo=UTC)),
        # Sunday 4 April 01:30 summer time is still Saturday in UTC.
        (dt.datetime(2027, 4, 3, 23, 30, tzinfo=UTC), dt.datetime(2027, 4, 4, 1, 30, tzinfo=UTC)),
        (dt.datetime(2027, 4, 4, 8, 0, tzinfo=UTC), dt.datetime(2027, 4, 4, 9, 0, tzinfo=UTC)),
    ]


def test_times_that_do_not_exist_or_occur_twice_on_a_dst_day(downtown):
    # 02:30 does not exist on 28 March 2027 (it becomes 03:30 summer time), and occurs twice
    # on 25 October 2026 (the first one, in summer time, is taken).
    slot(downtown, weekday=SUNDAY, at="02:30")

    schedule.generate_sessions(downtown, weeks_ahead=1, today=dt.date(2027, 3, 22))
    schedule.generate_sessions(downtown, weeks_ahead=1, today=dt.date(2026, 10, 19))

    assert starts(downtown) == [
        dt.datetime(2026, 10, 25, 0, 30, tzinfo=UTC),
        dt.datetime(2027, 3, 28, 1, 30, tzinfo=UTC),
    ]


def test_a_club_in_another_time_zone(db):
    new_york = ClubFactory(time_zone="America/New_York")
    slot(new_york, weekday=MONDAY, at="07:00")

    schedule.generate_sessions(new_york, weeks_ahead=1, today=TODAY)

    assert starts(new_york) == [dt.datetime(2026, 11, 23, 12, 0, tzinfo=UTC)]


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"is_active": False}, []),
        ({"ends_on": dt.date(2026, 11, 22)}, []),
        ({"ends_on": dt.date(2026, 12, 7)}, [23, 30, 7]),
        ({"starts_on": dt.date(2026, 12, 1)}, [7, 14]),
        ({"starts_on": dt.date(2026, 12, 21)}, []),
    ],
    ids=["inactive", "ended", "ends-in-range", "starts-in-range", "starts-later"],
)
def test_inactive_and_ended_slots(downtown, changes, expected):
    slot(downtown, weekday=MONDAY, at="07:00", **changes)

    created = schedule.generate_sessions(downtown, today=TODAY)

    assert created == len(expected)
    assert [start.day for start in starts(downtown)] == expected


def test_only_the_given_clubs_timetable(downtown, riverside):
    slot(riverside, weekday=MONDAY, at="07:00")

    assert schedule.generate_sessions(downtown, today=TODAY) == 0
    assert not ClassSession.objects.exists()


def test_a_hand_made_session_at_the_same_time_does_not_stop_generation(downtown):
    spin = slot(downtown, weekday=MONDAY, at="07:00")
    ClassSessionFactory(club=downtown, start=dt.datetime(2026, 11, 23, 6, 0, tzinfo=UTC))

    assert schedule.generate_sessions(downtown, today=TODAY) == 4
    assert ClassSession.objects.filter(template=spin).count() == 4


def test_the_task_runs_every_club_and_twice_is_safe(frozen_clock, downtown, riverside):
    slot(downtown, weekday=MONDAY, at="07:00")
    slot(riverside, weekday=WEDNESDAY, at="19:00")

    first = generate_sessions_task()
    second = generate_sessions_task()

    assert (first, second) == (8, 0)
    assert ClassSession.objects.filter(club=riverside).count() == 4
