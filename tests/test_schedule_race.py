"""A booking and a slot's save at the same moment, on PostgreSQL: the save locks the slot's
classes before it reads their bookings, so a class someone booked is never moved or deleted
under the booking (a deleted class took its bookings with it)."""

import datetime as dt

import pytest

from checkin import bookings, schedule
from checkin.models import Booking, ClassSession, ClassTemplate
from tests.factories import ClassTypeFactory, MemberFactory
from tests.race import run_overlapping

pytestmark = [pytest.mark.race, pytest.mark.django_db(transaction=True)]

THURSDAY = 3


@pytest.fixture
def turned_off(postgres, frozen_clock, downtown):
    """Thursday's Yoga, its classes made, then the slot turned off (not yet synced)."""
    yoga = ClassTemplate.objects.create(
        club=downtown,
        class_type=ClassTypeFactory(club=downtown, trial_eligible=True),
        weekday=THURSDAY,
        start_time=dt.time(9),
        capacity=10,
        starts_on=dt.date(2026, 1, 1),
    )
    schedule.sync_slot(yoga.pk)
    ClassTemplate.objects.filter(pk=yoga.pk).update(is_active=False)
    return yoga


def first_class(yoga) -> ClassSession:
    return ClassSession.objects.filter(template=yoga).earliest("start")


def test_a_booking_made_while_the_slot_is_saved_keeps_its_class(turned_off, downtown):
    lead = MemberFactory(home_club=downtown)
    session = first_class(turned_off)

    outcome = run_overlapping(
        lambda: bookings.book(lead, session, trial=True),
        lambda: schedule.sync_slot(turned_off.pk),
    )

    assert outcome.errors == []
    assert outcome.results[1] == schedule.SlotSync(removed=3, kept=1)
    assert Booking.objects.get(member=lead).session_id == session.pk


def test_a_booking_after_the_save_removed_its_class_is_refused(turned_off, downtown):
    lead = MemberFactory(home_club=downtown)
    session = first_class(turned_off)

    outcome = run_overlapping(
        lambda: schedule.sync_slot(turned_off.pk),
        lambda: bookings.book(lead, session, trial=True),
    )

    assert outcome.results[0] == schedule.SlotSync(removed=4)
    assert [type(error) for error in outcome.errors] == [ClassSession.DoesNotExist]
    assert not Booking.objects.exists()
    assert not ClassSession.objects.exists()
