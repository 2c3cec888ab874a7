"""Freezing a membership cancels the member's classes inside the freeze, at the desk and in the
back-office alike, so no roster lists someone the door will turn away.

The clock is frozen at Monday 23 Nov 2026 18:00 in Amsterdam (conftest); Maya's monthly
membership runs from 13 Nov to 13 Dec.
"""

import datetime as dt

import pytest
from django.contrib.messages import get_messages
from django.core.exceptions import ValidationError
from django.urls import reverse

from checkin import bookings
from checkin.models import Booking
from club import clock
from members import timeline
from members.models import MemberEvent
from memberships import freezes
from memberships.models import Freeze
from tests.factories import BookingFactory, ClassSessionFactory, MembershipFactory, PlanFactory

pytestmark = pytest.mark.django_db

Status = Booking.Status
Kind = MemberEvent.Kind


def at(day: int, hour: int, club) -> dt.datetime:
    return clock.local_datetime(dt.date(2026, 11, day), dt.time(hour, 0), club)


def said(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def freeze_at_desk(client, membership, first: str, last: str):
    return client.post(reverse("desk:freeze", args=[membership.pk]), {"start": first, "end": last})


@pytest.fixture
def classes(frozen_clock, downtown, maya):
    """Maya's classes: HIIT on Wed 25 Nov (full, Noor waiting), Yoga on Thu 26 Nov (Maya
    waiting), Spin on Tue 24 and Mon 30 Nov, just outside a 25–29 Nov freeze."""
    hiit = ClassSessionFactory(
        club=downtown, class_type__name="HIIT", start=at(25, 18, downtown), capacity=1
    )
    yoga = ClassSessionFactory(
        club=downtown, class_type__name="Yoga", start=at(26, 7, downtown), capacity=1
    )
    BookingFactory(session=yoga)
    before = ClassSessionFactory(club=downtown, class_type__name="Spin", start=at(24, 9, downtown))
    after = ClassSessionFactory(
        club=downtown, class_type=before.class_type, start=at(30, 9, downtown)
    )
    booked = {
        "hiit": BookingFactory(session=hiit, member=maya),
        "yoga": BookingFactory(
            session=yoga, member=maya, status=Status.WAITLISTED, waitlist_position=1
        ),
        "before": BookingFactory(session=before, member=maya),
        "after": BookingFactory(session=after, member=maya),
    }
    booked["noor"] = BookingFactory(session=hiit, status=Status.WAITLISTED, waitlist_position=1)
    return booked


def status(booking: Booking) -> str:
    booking.refresh_from_db()
    return booking.status


def test_a_desk_freeze_cancels_the_classes_inside_it_and_says_which(
    desk, fiona, maya, maya_membership, classes
):
    # when the desk freezes Maya from Wed 25 to Sun 29 Nov
    response = freeze_at_desk(desk, maya_membership, "2026-11-25", "2026-11-29")

    # then the confirmation names the classes it cancelled
    assert response.status_code == 302
    assert said(response) == [
        "Frozen 25 Nov – 29 Nov; now ends 17 Dec 2026. Cancelled 2 class bookings in the "
        "freeze: HIIT Wed 25 Nov at 18:00, Yoga Thu 26 Nov at 07:00 (waitlist)."
    ]
    # and her seat and her waitlist place inside the freeze are gone, those outside it stay
    assert [status(classes[name]) for name in ("hiit", "yoga", "before", "after")] == [
        Status.CANCELLED,
        Status.CANCELLED,
        Status.BOOKED,
        Status.BOOKED,
    ]
    # and her HIIT seat went to Noor, first on its waitlist, as a cancellation gives it
    assert status(classes["noor"]) == Status.BOOKED
    # and each cancellation is on her timeline, by Fiona, because of the freeze, never late
    freeze = Freeze.objects.get()
    events = maya.events.filter(kind=Kind.CLASS_CANCELLED_BY_MEMBER).order_by("pk")
    assert [(e.data["class_name"], e.data["was_waitlisted"]) for e in events] == [
        ("HIIT", False),
        ("Yoga", True),
    ]
    assert {
        (e.actor, e.data["reason"], e.data["freeze"], e.data["late_cancel"]) for e in events
    } == {(fiona, "frozen", freeze.pk, False)}
    assert timeline.label(events[0], "reason") == "Membership frozen"
    assert not maya.events.filter(kind=Kind.BOOKING_PENALTY).exists()
    # and her card's timeline tells the cancellations apart by class and time
    card = desk.get(reverse("desk:member", args=[maya.pk])).content.decode()
    assert "HIIT, Wed 25 Nov 18:00" in card and "Yoga, Thu 26 Nov 07:00" in card


def test_a_freeze_with_no_classes_inside_it_says_nothing_more(desk, maya_membership, classes):
    response = freeze_at_desk(desk, maya_membership, "2026-12-01", "2026-12-03")

    assert said(response) == ["Frozen 1 Dec – 3 Dec; now ends 15 Dec 2026."]
    assert not Booking.objects.filter(status=Status.CANCELLED).exists()


def test_a_refused_freeze_cancels_nothing(desk, maya_membership, classes):
    # when the desk asks for a freeze that ends before it starts
    response = freeze_at_desk(desk, maya_membership, "2026-11-29", "2026-11-25")

    # then it is a form error, and every class is as it was
    assert response.status_code == 400
    assert not Freeze.objects.exists()
    assert not Booking.objects.filter(status=Status.CANCELLED).exists()
    assert status(classes["noor"]) == Status.WAITLISTED


def test_cancelling_the_freeze_does_not_book_the_classes_again(
    desk, maya, maya_membership, classes
):
    # given a freeze that cancelled her HIIT and her Yoga waitlist place
    freeze_at_desk(desk, maya_membership, "2026-11-25", "2026-11-29")

    # when it is cancelled before it starts
    freezes.cancel(Freeze.objects.get())

    # then the classes stay cancelled: her HIIT seat is Noor's now
    assert status(classes["hiit"]) == Status.CANCELLED
    assert status(classes["yoga"]) == Status.CANCELLED
    assert status(classes["noor"]) == Status.BOOKED


def test_trial_classes_and_classes_under_another_membership_stay(
    fiona, downtown, maya, maya_membership, frozen_clock
):
    # given a trial booking inside the freeze (a trial admits without a membership)
    trial = BookingFactory(
        session=ClassSessionFactory(club=downtown, start=at(25, 9, downtown)),
        member=maya,
        is_trial=True,
    )
    # and a class on a day a second membership with classes, not frozen, covers
    MembershipFactory(
        member=maya,
        plan=PlanFactory(club=downtown, pack=True),
        start=dt.date(2026, 11, 27),
        end=dt.date(2026, 11, 27),
    )
    covered = BookingFactory(
        session=ClassSessionFactory(club=downtown, start=at(27, 9, downtown)), member=maya
    )
    # and one the freeze leaves her no membership for
    frozen_day = BookingFactory(
        session=ClassSessionFactory(club=downtown, start=at(28, 9, downtown)), member=maya
    )

    done = bookings.freeze_membership(
        maya_membership, start=dt.date(2026, 11, 25), end=dt.date(2026, 11, 29), by=fiona
    )

    assert done.cancelled == [frozen_day]
    assert [status(trial), status(covered), status(frozen_day)] == [
        Status.BOOKED,
        Status.BOOKED,
        Status.CANCELLED,
    ]


def test_a_freeze_from_today_leaves_a_class_that_has_started(
    fiona, downtown, maya, maya_membership, frozen_clock
):
    started = BookingFactory(
        session=ClassSessionFactory(club=downtown, start=clock.now() - dt.timedelta(minutes=5)),
        member=maya,
    )

    done = bookings.freeze_membership(
        maya_membership, start=dt.date(2026, 11, 23), end=dt.date(2026, 11, 25), by=fiona
    )

    assert done.cancelled == []
    assert done.cancelled_text() == ""
    assert status(started) == Status.BOOKED


def test_classes_text_marks_the_waitlisted_ones(classes):
    # given Maya's HIIT seat and her Yoga waitlist place
    hiit, yoga = classes["hiit"], classes["yoga"]

    # when they are worded with Yoga marked as waitlisted
    text = bookings.classes_text([hiit, yoga], waitlisted={yoga.pk})

    # then
    assert text == "HIIT Wed 25 Nov at 18:00, Yoga Thu 26 Nov at 07:00 (waitlist)"


def test_classes_text_of_no_bookings_is_empty():
    assert bookings.classes_text([], waitlisted={1}) == ""


def test_a_refused_freeze_raises_and_cancels_nothing(fiona, maya_membership, classes):
    with pytest.raises(ValidationError):
        bookings.freeze_membership(
            maya_membership, start=dt.date(2026, 11, 25), end=dt.date(2027, 11, 25), by=fiona
        )

    assert not Freeze.objects.exists()
    assert not Booking.objects.filter(status=Status.CANCELLED).exists()


def test_add_freeze_in_the_back_office_cancels_the_classes_too(
    client, fiona, maya_membership, classes
):
    client.force_login(fiona)

    response = client.post(
        reverse("freezes:add"),
        {
            "membership": maya_membership.pk,
            "start": "2026-11-25",
            "end": "2026-11-29",
            "reason": "Holiday",
        },
    )

    assert response.status_code == 302
    assert (
        " created. Cancelled 2 class bookings in the freeze: HIIT Wed 25 Nov at 18:00, "
        "Yoga Thu 26 Nov at 07:00 (waitlist)."
    ) in said(response)[-1]
    assert status(classes["hiit"]) == Status.CANCELLED
    assert status(classes["noor"]) == Status.BOOKED
