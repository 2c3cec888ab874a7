"""The club clock: one "now", and each club's "today" in its own time zone."""

import datetime as dt

import pytest
import time_machine

from club import clock
from tests.factories import ClubFactory


@pytest.mark.parametrize(
    ("utc", "time_zone", "today"),
    [
        # Winter (CET, UTC+1): 23:30 UTC is already half past midnight in Amsterdam.
        ("2026-01-15 22:30", "Europe/Amsterdam", dt.date(2026, 1, 15)),
        ("2026-01-15 23:30", "Europe/Amsterdam", dt.date(2026, 1, 16)),
        # Summer (CEST, UTC+2): midnight comes an hour earlier.
        ("2026-07-15 21:59", "Europe/Amsterdam", dt.date(2026, 7, 15)),
        ("2026-07-15 22:00", "Europe/Amsterdam", dt.date(2026, 7, 16)),
        # New York (EST, UTC-5) is still on the day before until 05:00 UTC.
        ("2026-01-15 23:30", "America/New_York", dt.date(2026, 1, 15)),
        ("2026-01-16 04:59", "America/New_York", dt.date(2026, 1, 15)),
        ("2026-01-16 05:00", "America/New_York", dt.date(2026, 1, 16)),
        # Sydney (AEDT, UTC+11) is a day ahead from 13:00 UTC.
        ("2026-01-15 12:59", "Australia/Sydney", dt.date(2026, 1, 15)),
        ("2026-01-15 13:00", "Australia/Sydney", dt.date(2026, 1, 16)),
    ],
)
def test_today_is_the_date_at_the_club(utc, time_zone, today):
    # given a club in `time_zone`
    club = ClubFactory.build(time_zone=time_zone)

    # when the clock reads `utc`
    with time_machine.travel(dt.datetime.fromisoformat(f"{utc}+00:00"), tick=False):
        # then the club's today is its local date
        assert clock.today(club) == today


@pytest.mark.parametrize(
    ("utc", "today"),
    [("2026-01-15 22:59", dt.date(2026, 1, 15)), ("2026-01-15 23:00", dt.date(2026, 1, 16))],
)
def test_today_without_a_club_uses_the_default_time_zone(settings, utc, today):
    # given the default club time zone is Amsterdam
    settings.DEFAULT_CLUB_TIME_ZONE = "Europe/Amsterdam"

    # when the clock reads `utc`
    with time_machine.travel(dt.datetime.fromisoformat(f"{utc}+00:00"), tick=False):
        # then today is Amsterdam's date
        assert clock.today() == today


def test_now_is_utc_and_local_now_is_the_same_instant_at_the_club():
    # given a club in New York, and the clock at 03:15 UTC on 16 January
    club = ClubFactory.build(time_zone="America/New_York")
    instant = dt.datetime(2026, 1, 16, 3, 15, tzinfo=dt.UTC)

    with time_machine.travel(instant, tick=False):
        # when now and local_now are read
        now, local = clock.now(), clock.local_now(club)

    # then both are the same instant, the local one on New York's wall clock
    assert now == local == instant
    assert now.utcoffset() == dt.timedelta(0)
    assert (local.date(), local.time(), local.utcoffset()) == (
        dt.date(2026, 1, 15),
        dt.time(22, 15),
        dt.timedelta(hours=-5),
    )


def test_local_datetime_is_the_wall_clock_time_at_the_club():
    # given clubs in Amsterdam and New York
    amsterdam = ClubFactory.build(time_zone="Europe/Amsterdam")
    new_york = ClubFactory.build(time_zone="America/New_York")

    # when 18:00 on 1 July is asked for at each
    at_amsterdam = clock.local_datetime(dt.date(2026, 7, 1), dt.time(18, 0), amsterdam)
    at_new_york = clock.local_datetime(dt.date(2026, 7, 1), dt.time(18, 0), new_york)

    # then each is 18:00 local, which is 16:00 and 22:00 UTC
    assert at_amsterdam.astimezone(dt.UTC) == dt.datetime(2026, 7, 1, 16, 0, tzinfo=dt.UTC)
    assert at_new_york.astimezone(dt.UTC) == dt.datetime(2026, 7, 1, 22, 0, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    ("local", "quiet"),
    [
        (dt.time(20, 59), False),
        (dt.time(21, 0), True),
        (dt.time(23, 59), True),
        (dt.time(0, 0), True),
        (dt.time(8, 59), True),
        (dt.time(9, 0), False),
        (dt.time(13, 0), False),
    ],
)
def test_quiet_hours_across_midnight(local, quiet):
    # given the default quiet hours, 21:00 to 09:00
    club = ClubFactory.build(quiet_hours_start=dt.time(21, 0), quiet_hours_end=dt.time(9, 0))

    # when / then a local time is quiet from the start, up to but not including the end
    assert club.in_quiet_hours(local) is quiet


@pytest.mark.parametrize(
    ("local", "quiet"),
    [
        (dt.time(12, 59), False),
        (dt.time(13, 0), True),
        (dt.time(14, 59), True),
        (dt.time(15, 0), False),
        (dt.time(0, 0), False),
        (dt.time(23, 0), False),
    ],
)
def test_quiet_hours_within_the_day(local, quiet):
    # given a club that stays quiet over lunch, 13:00 to 15:00
    club = ClubFactory.build(quiet_hours_start=dt.time(13, 0), quiet_hours_end=dt.time(15, 0))

    # when / then only the lunch hours are quiet
    assert club.in_quiet_hours(local) is quiet


def test_the_frozen_clock_fixture_stops_and_moves_time(frozen_clock):
    # given the frozen clock (17:00 UTC on 23 November 2026, 18:00 in Amsterdam)
    club = ClubFactory.build(time_zone="Europe/Amsterdam")
    first = clock.now()

    # then it does not tick
    assert clock.now() == first == dt.datetime(2026, 11, 23, 17, 0, tzinfo=dt.UTC)
    assert clock.today(club) == dt.date(2026, 11, 23)

    # when it is moved past midnight in Amsterdam
    frozen_clock.move_to("2026-11-23 23:30:00+00:00")

    # then the club is on the next day
    assert clock.now() == dt.datetime(2026, 11, 23, 23, 30, tzinfo=dt.UTC)
    assert clock.today(club) == dt.date(2026, 11, 24)
