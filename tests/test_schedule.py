"""Generating class sessions from the weekly timetable: local times, DST, idempotence, and a
saved slot's classes following it."""

import datetime as dt
import importlib

import pytest
from django.apps import apps as django_apps

from checkin import schedule
from checkin.models import Booking, ClassSession, ClassTemplate
from checkin.tasks import generate_sessions_task
from tests.factories import BookingFactory, ClassSessionFactory, ClassTypeFactory, ClubFactory

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


# --- saving a slot brings its classes in line at once ---------------------------------------

THURSDAY = 3
# Thursdays to come from the frozen clock's Monday 23 Nov 2026 (18:00 in Amsterdam).
THURSDAYS = [
    dt.date(2026, 11, 26),
    dt.date(2026, 12, 3),
    dt.date(2026, 12, 10),
    dt.date(2026, 12, 17),
]


def thursday_yoga(club, **kwargs) -> ClassTemplate:
    return slot(club, weekday=THURSDAY, at="09:00", **kwargs)


def at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    # Amsterdam is UTC+1 in winter.
    return dt.datetime.combine(day, dt.time(hour - 1, minute), tzinfo=UTC)


def test_a_new_slot_has_its_classes_at_once(frozen_clock, downtown):
    yoga = thursday_yoga(downtown)

    synced = schedule.sync_slot(yoga.pk)

    assert synced == schedule.SlotSync(created=4)
    assert starts(downtown) == [at(day, 9) for day in THURSDAYS]
    assert list(ClassSession.objects.values_list("occurs_on", flat=True)) == THURSDAYS


def test_a_retimed_slot_moves_its_free_classes_and_keeps_booked_ones(frozen_clock, downtown):
    yoga = thursday_yoga(downtown)
    schedule.sync_slot(yoga.pk)
    first = ClassSession.objects.get(occurs_on=THURSDAYS[0])
    BookingFactory(session=first, is_trial=True)
    ClassTemplate.objects.filter(pk=yoga.pk).update(start_time=dt.time(9, 30), room="Studio 3")

    synced = schedule.sync_slot(yoga.pk)

    assert synced == schedule.SlotSync(changed=3, kept=1, kept_time=True)
    assert starts(downtown) == [at(THURSDAYS[0], 9), *(at(day, 9, 30) for day in THURSDAYS[1:])]
    assert list(ClassSession.objects.order_by("start").values_list("room", flat=True)) == [
        "Studio 2",
        "Studio 3",
        "Studio 3",
        "Studio 3",
    ]
    # The nightly run puts no 09:30 class beside the kept 09:00 one.
    assert schedule.generate_sessions(downtown) == 0
    assert ClassSession.objects.filter(occurs_on=THURSDAYS[0]).count() == 1


def test_saving_again_changes_nothing(frozen_clock, downtown):
    yoga = thursday_yoga(downtown)
    schedule.sync_slot(yoga.pk)

    assert schedule.sync_slot(yoga.pk) == schedule.SlotSync()


def test_a_turned_off_slot_takes_its_free_classes_off_the_schedule(frozen_clock, downtown):
    yoga = thursday_yoga(downtown)
    schedule.sync_slot(yoga.pk)
    booked, cancelled_only = ClassSession.objects.filter(occurs_on__in=THURSDAYS[:2])
    BookingFactory(session=booked)
    BookingFactory(session=cancelled_only, status=Booking.Status.CANCELLED)
    ClassTemplate.objects.filter(pk=yoga.pk).update(is_active=False)

    synced = schedule.sync_slot(yoga.pk)

    assert synced == schedule.SlotSync(removed=3, kept=1)
    # The class whose only booking was cancelled keeps that record, cancelled itself.
    left = ClassSession.objects.order_by("start").values_list("occurs_on", "is_cancelled")
    assert list(left) == [(THURSDAYS[0], False), (THURSDAYS[1], True)]


def test_a_slot_moved_to_another_day_moves_its_free_classes(frozen_clock, downtown):
    yoga = thursday_yoga(downtown)
    schedule.sync_slot(yoga.pk)
    ClassTemplate.objects.filter(pk=yoga.pk).update(weekday=WEDNESDAY)

    synced = schedule.sync_slot(yoga.pk)

    assert synced == schedule.SlotSync(created=4, removed=4)
    assert [start.weekday() for start in starts(downtown)] == [WEDNESDAY] * 4


def test_a_class_already_begun_and_other_slots_are_left_alone(frozen_clock, downtown):
    # Monday 07:00 began this morning; it is 18:00 now.
    spin = slot(downtown, weekday=MONDAY, at="07:00")
    pilates = slot(downtown, weekday=MONDAY, at="12:00")
    schedule.generate_sessions(downtown)
    ClassTemplate.objects.filter(pk__in=[spin.pk, pilates.pk]).update(start_time=dt.time(19, 0))

    synced = schedule.sync_slot(spin.pk)

    assert synced == schedule.SlotSync(changed=3)
    assert list(
        ClassSession.objects.filter(template=spin).order_by("start").values_list("start", flat=True)
    ) == [at(TODAY, 7), *(at(TODAY + dt.timedelta(weeks=w), 19) for w in (1, 2, 3))]
    assert not ClassSession.objects.filter(template=pilates, start__hour=18).exists()


def test_a_slot_saved_in_the_day_adds_no_class_that_would_have_begun(frozen_clock, downtown):
    # 18:00 now: today's 17:00 is over, today's 20:00 is still to come.
    over, later = (
        slot(downtown, weekday=MONDAY, at="17:00"),
        slot(downtown, weekday=MONDAY, at="20:00"),
    )

    assert schedule.sync_slot(over.pk) == schedule.SlotSync(created=3)
    assert schedule.sync_slot(later.pk) == schedule.SlotSync(created=4)


def test_a_class_moved_by_hand_stays_where_it_was_put(frozen_clock, downtown):
    yoga = thursday_yoga(downtown)
    schedule.generate_sessions(downtown)
    ClassSession.objects.filter(occurs_on=THURSDAYS[1]).update(
        start=at(THURSDAYS[1] + dt.timedelta(days=1), 10),
        end=at(THURSDAYS[1] + dt.timedelta(days=1), 11),
    )

    # The nightly run adds what is missing and moves nothing.
    assert schedule.generate_sessions(downtown) == 0
    assert ClassSession.objects.filter(template=yoga).count() == 4


def test_sessions_made_before_are_tied_to_their_day_once(downtown):
    # Before migration 0012, a moved slot got a second class beside the one kept that day.
    migration = importlib.import_module("checkin.migrations.0012_class_session_occurs_on")
    yoga = thursday_yoga(downtown)
    kept, second, other_day = (
        ClassSessionFactory(club=downtown, template=yoga, start=start)
        for start in (at(THURSDAYS[0], 9), at(THURSDAYS[0], 9, 30), at(THURSDAYS[1], 9))
    )

    migration.tie_sessions_to_their_day(django_apps, None)

    days = dict(ClassSession.objects.values_list("pk", "occurs_on"))
    assert days == {kept.pk: THURSDAYS[0], second.pk: None, other_day.pk: THURSDAYS[1]}
