"""The member's calendar feed: valid iCalendar that lists exactly their booked classes, at
the right local times, at a secret URL."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from icalendar import Calendar, vDuration

from checkin.models import Booking
from club import clock
from members.models import Member
from tests.factories import (
    BookingFactory,
    ClassSessionFactory,
    ClassTypeFactory,
    ClubFactory,
    MemberFactory,
)

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
NEW_YORK = ZoneInfo("America/New_York")
TOKEN = "maya-calendar-token-0123456789abcdefghijklmnop"


@pytest.fixture
def feed_url(maya):
    Member.objects.filter(pk=maya.pk).update(calendar_token=TOKEN)
    return reverse("portal:calendar_feed", args=[TOKEN])


def fetch(client, url) -> Calendar:
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    return Calendar.from_ical(response.content)


def session_at(club, local: dt.datetime, name: str, **kwargs):
    start = local.replace(tzinfo=clock.zone(club))
    return ClassSessionFactory(
        club=club,
        class_type=ClassTypeFactory(club=club, name=name),
        start=start,
        end=start + dt.timedelta(minutes=45),
        **kwargs,
    )


def test_the_feed_lists_exactly_the_members_booked_classes(
    client, frozen_clock, downtown, maya, feed_url
):
    # given (the clock says Monday 23 Nov 2026, 18:00 in Amsterdam)
    spin = session_at(downtown, dt.datetime(2026, 11, 24, 18, 30), "Spin", room="Studio 2")
    yoga = session_at(downtown, dt.datetime(2026, 11, 20, 9, 0), "Yoga")  # attended last week
    missed = session_at(downtown, dt.datetime(2026, 11, 16, 7, 0), "Core")  # a no-show
    booked = BookingFactory(member=maya, session=spin)
    attended = BookingFactory(member=maya, session=yoga, status=Booking.Status.ATTENDED)
    no_show = BookingFactory(member=maya, session=missed, status=Booking.Status.NO_SHOW)
    # and what must not be in it
    full = session_at(downtown, dt.datetime(2026, 11, 25, 7, 0), "Waitlisted class")
    BookingFactory(member=maya, session=full, status=Booking.Status.WAITLISTED, waitlist_position=1)
    dropped = session_at(downtown, dt.datetime(2026, 11, 26, 7, 0), "Cancelled booking")
    BookingFactory(member=maya, session=dropped, status=Booking.Status.CANCELLED)
    called_off = session_at(
        downtown, dt.datetime(2026, 11, 27, 7, 0), "Cancelled class", is_cancelled=True
    )
    BookingFactory(member=maya, session=called_off)
    long_ago = session_at(downtown, dt.datetime(2026, 10, 1, 7, 0), "Long ago")
    BookingFactory(member=maya, session=long_ago, status=Booking.Status.ATTENDED)
    BookingFactory(member=MemberFactory(home_club=downtown, first_name="Bram"), session=spin)

    calendar = fetch(client, feed_url)

    events = calendar.walk("VEVENT")
    assert [str(event["SUMMARY"]) for event in events] == ["Core", "Yoga", "Spin"]
    assert [str(event["UID"]) for event in events] == [
        f"booking-{no_show.pk}@127.0.0.1",
        f"booking-{attended.pk}@127.0.0.1",
        f"booking-{booked.pk}@127.0.0.1",
    ]
    spin_event = events[2]
    assert str(spin_event["LOCATION"]) == "Downtown, Studio 2"
    assert str(calendar["X-WR-CALNAME"]) == "Downtown classes"


def test_times_carry_the_clubs_time_zone_in_winter_and_summer(
    client, frozen_clock, downtown, maya, feed_url
):
    winter = session_at(downtown, dt.datetime(2026, 11, 24, 18, 30), "Winter spin")
    summer = session_at(downtown, dt.datetime(2027, 6, 1, 7, 15), "Summer spin")
    BookingFactory(member=maya, session=winter)
    BookingFactory(member=maya, session=summer)

    calendar = fetch(client, feed_url)

    winter_event, summer_event = calendar.walk("VEVENT")
    # read as the club's wall-clock time, with its zone named
    assert winter_event["DTSTART"].params["TZID"] == "Europe/Amsterdam"
    assert winter_event.start == dt.datetime(2026, 11, 24, 18, 30, tzinfo=AMSTERDAM)
    assert winter_event.end == dt.datetime(2026, 11, 24, 19, 15, tzinfo=AMSTERDAM)
    assert summer_event.start == dt.datetime(2027, 6, 1, 7, 15, tzinfo=AMSTERDAM)
    # and as instants in UTC: CET is UTC+1, CEST UTC+2
    assert winter_event.start.astimezone(dt.UTC) == dt.datetime(2026, 11, 24, 17, 30, tzinfo=dt.UTC)
    assert summer_event.start.astimezone(dt.UTC) == dt.datetime(2027, 6, 1, 5, 15, tzinfo=dt.UTC)
    assert winter_event.start == winter.start
    assert summer_event.end == summer.end


def test_the_feed_carries_a_vtimezone_for_every_zone_it_uses(
    client, frozen_clock, downtown, maya, feed_url
):
    new_york = ClubFactory(name="Midtown", time_zone="America/New_York")
    BookingFactory(member=maya, session=session_at(downtown, dt.datetime(2026, 11, 24, 18), "Spin"))
    BookingFactory(
        member=maya, session=session_at(new_york, dt.datetime(2026, 11, 25, 6, 30), "NY Spin")
    )

    calendar = fetch(client, feed_url)

    assert calendar.get_missing_tzids() == set()
    assert {tz.tz_name for tz in calendar.timezones} == {"Europe/Amsterdam", "America/New_York"}
    ny_event = calendar.walk("VEVENT")[1]
    assert ny_event["DTSTART"].params["TZID"] == "America/New_York"
    assert ny_event.start == dt.datetime(2026, 11, 25, 6, 30, tzinfo=NEW_YORK)
    assert ny_event.start.astimezone(dt.UTC) == dt.datetime(2026, 11, 25, 11, 30, tzinfo=dt.UTC)
    assert str(ny_event["LOCATION"]) == "Midtown, Studio 1"
    # the VTIMEZONE itself, not only the name, gives the right offset
    [ny_zone] = [tz for tz in calendar.timezones if tz.tz_name == "America/New_York"]
    assert ny_zone.to_tz().utcoffset(dt.datetime(2026, 11, 25, 6, 30)) == dt.timedelta(hours=-5)


def test_uids_are_stable_between_fetches(client, frozen_clock, downtown, maya, feed_url):
    BookingFactory(member=maya, session=session_at(downtown, dt.datetime(2026, 11, 24, 18), "A"))
    BookingFactory(member=maya, session=session_at(downtown, dt.datetime(2026, 11, 25, 18), "B"))

    first = [str(e["UID"]) for e in fetch(client, feed_url).walk("VEVENT")]
    frozen_clock.shift(dt.timedelta(minutes=30))
    second = [str(e["UID"]) for e in fetch(client, feed_url).walk("VEVENT")]

    assert first == second
    assert len(set(first)) == 2


def test_an_empty_feed_is_still_a_valid_calendar(client, frozen_clock, maya, feed_url):
    calendar = fetch(client, feed_url)

    assert calendar.walk("VEVENT") == []
    assert str(calendar["VERSION"]) == "2.0"
    assert str(calendar["PRODID"]) == "-//ClubCycle//Member classes//EN"


def test_the_feed_needs_no_session_but_the_right_token(client, frozen_clock, maya, feed_url):
    assert client.get(feed_url).status_code == 200
    for token in ("nope", TOKEN[:-1], TOKEN.upper()):
        assert client.get(reverse("portal:calendar_feed", args=[token])).status_code == 404


def test_a_member_without_a_token_has_no_feed(client, maya, db):
    assert maya.calendar_token is None

    assert client.get("/account/calendar/None.ics").status_code == 404
    assert client.get("/account/calendar/.ics").status_code == 404


def test_older_calendar_apps_are_told_to_refresh_hourly_in_an_iso_8601_duration(
    client, frozen_clock, maya, feed_url
):
    response = client.get(feed_url)

    # Outlook's property takes an ISO 8601 duration; Python's "1:00:00" is not one.
    lines = response.content.decode().splitlines()
    assert [line for line in lines if line.startswith("X-PUBLISHED-TTL")] == [
        "X-PUBLISHED-TTL:PT1H"
    ]
    calendar = Calendar.from_ical(response.content)
    assert vDuration.from_ical(str(calendar["X-PUBLISHED-TTL"])) == dt.timedelta(hours=1)
    assert calendar.refresh_interval == dt.timedelta(hours=1)


def test_calendar_apps_are_told_to_refresh_hourly_as_rfc_7986_writes_it(
    client, frozen_clock, maya, feed_url
):
    response = client.get(feed_url)

    # RFC 7986 §5.7: the value type is required, so a strict client reads this line only.
    lines = response.content.decode().splitlines()
    assert [line for line in lines if line.startswith("REFRESH-INTERVAL")] == [
        "REFRESH-INTERVAL;VALUE=DURATION:PT1H"
    ]
    calendar = Calendar.from_ical(response.content)
    assert calendar.refresh_interval == dt.timedelta(hours=1)
