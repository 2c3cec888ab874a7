"""Ending a freeze early names the class bookings the freeze cancelled that are still ahead, so
the desk can book the member again; they stay cancelled (the seat may be someone else's by now).
Today is Mon 23 Nov 2026, 18:00 in Amsterdam."""

import datetime as dt

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from checkin import bookings
from checkin.models import Booking
from club import clock
from tests.factories import BookingFactory, ClassSessionFactory

Status = Booking.Status


def at(day: int, hour: int, club) -> dt.datetime:
    return clock.local_datetime(dt.date(2026, 11, day), dt.time(hour, 0), club)


def said(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


@pytest.fixture
def classes(frozen_clock, downtown, maya):
    """Maya booked for HIIT Tue 24 Nov 18:00, Yoga Thu 26 Nov 07:00, Spin Mon 30 Nov 09:00."""
    sessions = {
        name: ClassSessionFactory(
            club=downtown, class_type__name=name, start=at(day, hour, downtown)
        )
        for name, day, hour in [("HIIT", 24, 18), ("Yoga", 26, 7), ("Spin", 30, 9)]
    }
    return {name: BookingFactory(session=s, member=maya) for name, s in sessions.items()}


def freeze_from_today(desk, membership, last: str):
    desk.post(
        reverse("desk:freeze", args=[membership.pk]),
        {"start": "2026-11-23", "end": last},
        follow=True,  # its message read, as the card shows it
    )
    return membership.freezes.get()


def test_ending_a_freeze_on_its_first_day_names_the_classes_it_cancelled(
    desk, maya_membership, classes
):
    # given Maya frozen today to Sat 28 Nov: HIIT and Yoga cancelled, Spin kept
    frozen = freeze_from_today(desk, maya_membership, "2026-11-28")
    assert {n: (b.refresh_from_db() or b.status) for n, b in classes.items()} == {
        "HIIT": Status.CANCELLED,
        "Yoga": Status.CANCELLED,
        "Spin": Status.BOOKED,
    }

    # when the desk ends it, back from today
    response = desk.post(reverse("desk:unfreeze", args=[frozen.pk]), {"on": "2026-11-23"})

    # then the freeze is gone and the message names both, still cancelled
    assert response.status_code == 302
    assert not maya_membership.freezes.exists()
    assert said(response) == [
        "Freeze ended; the unused days came off the end date.",
        "The freeze cancelled 2 class bookings still to come: HIIT Tue 24 Nov at 18:00, "
        "Yoga Thu 26 Nov at 07:00. They stay cancelled: book Maya again under Book class if "
        "they still want them.",
    ]
    classes["HIIT"].refresh_from_db()
    assert classes["HIIT"].status == Status.CANCELLED


def test_a_class_booked_again_is_not_named(desk, maya, maya_membership, classes):
    # given the freeze to Sat 28 Nov, and Maya back in HIIT (on a second booking row)
    frozen = freeze_from_today(desk, maya_membership, "2026-11-28")
    BookingFactory(session=classes["HIIT"].session, member=maya)

    response = desk.post(reverse("desk:unfreeze", args=[frozen.pk]), {"on": "2026-11-23"})

    assert said(response)[1].startswith(
        "The freeze cancelled 1 class booking still to come: Yoga Thu 26 Nov at 07:00."
    )


def test_a_class_on_a_day_still_frozen_is_not_named(desk, frozen_clock, maya_membership, classes):
    # given the freeze to Sat 28 Nov
    frozen = freeze_from_today(desk, maya_membership, "2026-11-28")

    # when, on Tue 24 Nov in the morning, the desk ends it back from Wed 25 Nov
    frozen_clock.move_to("2026-11-24 09:00:00+00:00")
    response = desk.post(reverse("desk:unfreeze", args=[frozen.pk]), {"on": "2026-11-25"})

    # then HIIT tonight, still in the freeze, is not named; Yoga on Thursday is
    assert said(response)[1].startswith(
        "The freeze cancelled 1 class booking still to come: Yoga Thu 26 Nov at 07:00."
    )


def test_a_freeze_that_cancelled_nothing_says_nothing_more(desk, frozen_clock, maya_membership):
    frozen = freeze_from_today(desk, maya_membership, "2026-11-28")

    response = desk.post(reverse("desk:unfreeze", args=[frozen.pk]), {"on": "2026-11-23"})

    assert said(response) == ["Freeze ended; the unused days came off the end date."]


def test_the_classes_of_another_freeze_are_not_named(frozen_clock, maya, maya_membership, classes):
    frozen = bookings.freeze_membership(
        maya_membership, start=dt.date(2026, 11, 23), end=dt.date(2026, 11, 28)
    )

    assert (
        bookings.cancelled_by_freeze(frozen.freeze.pk + 1, member=maya, since=frozen.freeze.start)
        == []
    )
    assert [
        b.pk
        for b in bookings.cancelled_by_freeze(
            frozen.freeze.pk, member=maya, since=frozen.freeze.start
        )
    ] == [classes["HIIT"].pk, classes["Yoga"].pk]
