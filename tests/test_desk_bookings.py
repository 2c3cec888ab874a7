"""Booking a class for a member from the desk: the member card's "Book class".

The clock is frozen at Monday 23 Nov 2026 18:00 in Amsterdam (conftest); the factory's
class is tomorrow at 18:00.
"""

import datetime as dt
import re

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from checkin.models import Booking
from club import clock
from members.models import Member, MemberEvent
from tests.factories import (
    BookingFactory,
    ClassSessionFactory,
    ClassTypeFactory,
    FreezeFactory,
    MemberFactory,
    MembershipFactory,
    PlanFactory,
)


@pytest.fixture
def spin(downtown):
    return ClassSessionFactory(club=downtown, class_type__name="Spin", capacity=2)


def said(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def book(client, member, session):
    return client.post(reverse("desk:book_class", args=[member.pk]), {"session": session.pk})


def test_the_page_shows_the_week_and_the_members_bookings(desk, frozen_clock, maya, spin):
    BookingFactory(session=spin, member=maya)
    later = ClassSessionFactory(
        club=spin.club, class_type__name="Core", start=clock.now() + dt.timedelta(days=3)
    )

    html = desk.get(reverse("desk:book_class", args=[maya.pk])).content.decode()

    assert "Maya’s coming classes" in html
    assert reverse("desk:cancel_booking", args=[maya.pk, maya.bookings.get().pk]) in html
    assert "Core" in html and f'value="{later.pk}"' in html  # bookable
    assert f'value="{spin.pk}"' not in html  # already booked: no second Book button


def test_booking_a_member_in_records_who_booked(desk, frozen_clock, fiona, maya, spin):
    response = book(desk, maya, spin)

    assert response.status_code == 302
    assert said(response) == ["Maya is booked for Spin on Tue 24 Nov, 18:00."]
    booking = maya.bookings.get()
    assert (booking.session, booking.status, booking.is_trial) == (spin, "booked", False)
    event = maya.events.get(kind=MemberEvent.Kind.CLASS_BOOKED)
    assert event.actor == fiona


def test_a_full_class_puts_the_member_on_the_waitlist(desk, frozen_clock, maya, spin):
    BookingFactory.create_batch(2, session=spin)

    response = book(desk, maya, spin)

    assert said(response) == [
        "Spin on Tue 24 Nov, 18:00 is full: Maya is number 1 on the waitlist."
    ]
    assert maya.bookings.get().status == Booking.Status.WAITLISTED


def test_staff_book_outside_the_members_booking_window(desk, frozen_clock, maya, downtown):
    far = ClassSessionFactory(club=downtown, start=clock.now() + dt.timedelta(days=40))
    # given Maya's membership runs then too
    MembershipFactory(
        member=maya, plan=maya.memberships.get().plan, start=clock.today() + dt.timedelta(days=20)
    )

    book(desk, maya, far)

    assert maya.bookings.get().session == far


def test_a_lead_is_booked_for_their_free_trial(desk, frozen_clock, downtown, spin):
    lead = MemberFactory(home_club=downtown, status=Member.Status.LEAD, first_name="Joris")

    book(desk, lead, spin)

    assert lead.bookings.get().is_trial is True
    assert lead.events.filter(kind=MemberEvent.Kind.TRIAL_BOOKED).exists()


def test_a_rule_that_says_no_is_shown_and_nothing_is_booked(desk, frozen_clock, downtown, spin):
    member = MemberFactory(home_club=downtown, first_name="Piet", status=Member.Status.MEMBER)
    MembershipFactory(member=member, plan=PlanFactory(club=downtown, allows_classes=False))

    response = book(desk, member, spin)

    (message,) = said(response)
    assert message.startswith(
        "Piet is not booked for Spin on Tue 24 Nov, 18:00: You need a membership"
    )
    assert not member.bookings.exists()


def test_a_frozen_member_is_told_until_when_not_that_a_membership_is_missing(
    desk, frozen_clock, maya, spin
):
    FreezeFactory(membership=maya.memberships.get(), start=clock.today(), end=dt.date(2026, 12, 7))

    response = book(desk, maya, spin)

    assert said(response) == [
        "Maya is not booked for Spin on Tue 24 Nov, 18:00: Your membership is frozen until 7 Dec."
    ]
    assert not maya.bookings.exists()


def test_a_lead_cannot_take_a_class_closed_to_trials(desk, frozen_clock, downtown):
    closed = ClassSessionFactory(
        club=downtown, class_type=ClassTypeFactory(club=downtown, trial_eligible=False)
    )
    lead = MemberFactory(home_club=downtown, status=Member.Status.LEAD)

    response = book(desk, lead, closed)

    assert "not open for trial visits" in said(response)[0]
    assert not lead.bookings.exists()


@pytest.mark.parametrize("session", ["", "nonsense", "999999"])
def test_a_bad_class_is_an_error_and_books_nothing(desk, frozen_clock, maya, session):
    response = desk.post(reverse("desk:book_class", args=[maya.pk]), {"session": session})

    assert said(response) == ["That class is not on this club's timetable."]
    assert not maya.bookings.exists()


def test_a_class_at_a_club_the_user_does_not_work_at_cannot_be_booked(
    desk, frozen_clock, maya, riverside
):
    theirs = ClassSessionFactory(club=riverside)

    response = book(desk, maya, theirs)

    assert said(response) == ["That class is not on this club's timetable."]
    assert not maya.bookings.exists()


def test_cancelling_from_the_desk_frees_the_seat_for_the_waitlist(
    desk, frozen_clock, fiona, maya, spin
):
    booking = BookingFactory(session=spin, member=maya)
    BookingFactory(session=spin)
    waiting = BookingFactory(session=spin, status=Booking.Status.WAITLISTED, waitlist_position=1)

    response = desk.post(reverse("desk:cancel_booking", args=[maya.pk, booking.pk]))

    assert said(response) == ["Booking for Spin cancelled."]
    booking.refresh_from_db()
    waiting.refresh_from_db()
    assert (booking.status, waiting.status) == ("cancelled", "booked")
    assert maya.events.get(kind=MemberEvent.Kind.CLASS_CANCELLED_BY_MEMBER).actor == fiona

    # and a second click (or the other desk) is told so, and changes nothing
    again = desk.post(reverse("desk:cancel_booking", args=[maya.pk, booking.pk]))
    assert said(again)[-1] == "The booking for Spin was already cancelled."
    assert maya.events.filter(kind=MemberEvent.Kind.CLASS_CANCELLED_BY_MEMBER).count() == 1


def test_booking_inside_the_late_window_tells_the_desk_when_cancelling_becomes_late(
    desk, frozen_clock, maya, downtown
):
    start = clock.now() + dt.timedelta(hours=1)
    soon = ClassSessionFactory(
        club=downtown, class_type__name="Core", start=start, end=start + dt.timedelta(hours=1)
    )

    response = book(desk, maya, soon)

    assert said(response) == [
        "Maya is booked for Core on Mon 23 Nov, 19:00. The class starts in less than 2 hours: "
        "cancelling after 18:15 (15 minutes from booking) counts as a late cancellation."
    ]


def test_taking_a_member_off_the_waitlist_at_the_desk_says_they_left_it(
    desk, frozen_clock, maya, spin
):
    BookingFactory(session=spin)
    waiting = BookingFactory(
        session=spin, member=maya, status=Booking.Status.WAITLISTED, waitlist_position=1
    )

    page = desk.get(reverse("desk:book_class", args=[maya.pk])).content.decode()
    response = desk.post(reverse("desk:cancel_booking", args=[maya.pk, waiting.pk]))

    assert "Take off waitlist</button>" in page
    assert "Cancel booking</button>" not in page
    assert "return confirm('Take Maya off the waitlist for Spin on " in page
    assert said(response) == ["Maya left the waitlist for Spin."]
    waiting.refresh_from_db()
    assert waiting.status == "cancelled"


def test_another_members_booking_is_not_found(desk, frozen_clock, maya, spin):
    someone_else = BookingFactory(session=spin)

    response = desk.post(reverse("desk:cancel_booking", args=[maya.pk, someone_else.pk]))

    assert response.status_code == 404
    someone_else.refresh_from_db()
    assert someone_else.status == "booked"


def test_the_member_card_offers_book_class_to_the_desk(desk, frozen_clock, maya):
    html = desk.get(reverse("desk:member", args=[maya.pk])).content.decode()

    assert reverse("desk:book_class", args=[maya.pk]) in html


# --- what the timetable offers ----------------------------------------------------------


def buttons(client, member) -> dict[str, str]:
    """{class name: what its row offers}: the button's words, or why it cannot be booked."""
    html = client.get(reverse("desk:book_class", args=[member.pk])).content.decode()
    rows = html.split('aria-label="Timetable"')[1].split("<tbody>")[1].split("</tbody>")[0]
    offered = {}
    for row in rows.split("<tr>")[1:]:
        cells = [re.sub(r"<[^>]+>|\s+", " ", cell).strip() for cell in row.split("<td>")[1:]]
        offered[cells[1].split(" ·")[0].strip()] = re.sub(r"\s+", " ", cells[4])
    return offered


def test_a_lead_is_offered_the_trial_on_trial_classes_only(desk, frozen_clock, downtown, spin):
    # given Joris, a lead, and besides Spin a class closed to trials
    ClassSessionFactory(
        club=downtown,
        class_type=ClassTypeFactory(club=downtown, name="Reformer", trial_eligible=False),
    )
    lead = MemberFactory(home_club=downtown, status=Member.Status.LEAD, first_name="Joris")

    # then Spin offers his trial, and the closed class says why not
    assert buttons(desk, lead) == {"Spin": "Book (trial)", "Reformer": "Not open for trials"}


def test_after_the_trial_is_booked_no_class_offers_another(desk, frozen_clock, downtown, spin):
    # given Joris, a lead booked for his trial on Spin, and another trial class on Thursday
    lead = MemberFactory(home_club=downtown, status=Member.Status.LEAD, first_name="Joris")
    ClassSessionFactory(
        club=downtown, class_type__name="Core", start=clock.now() + dt.timedelta(days=3)
    )
    book(desk, lead, spin)

    # when the desk opens Book class again
    html = desk.get(reverse("desk:book_class", args=[lead.pk])).content.decode()

    # then nothing offers a second trial (the service would refuse it), and the page says so
    assert buttons(desk, lead) == {"Spin": "Booked", "Core": "No membership with classes"}
    assert "(trial)</button>" not in html
    assert "Joris’s one free trial class is booked or taken" in html
    assert reverse("desk:sell", args=[lead.pk]) in html


def test_a_cancelled_trial_may_be_booked_again(desk, frozen_clock, downtown, spin):
    lead = MemberFactory(home_club=downtown, status=Member.Status.LEAD)
    BookingFactory(session=spin, member=lead, is_trial=True, status=Booking.Status.CANCELLED)

    assert buttons(desk, lead) == {"Spin": "Book (trial)"}


def test_a_member_is_told_why_a_day_cannot_be_booked(desk, frozen_clock, tom_berg_like, spin):
    # given a member whose month ended on 3 November
    # then the class offers no button the booking service would refuse
    assert buttons(desk, tom_berg_like) == {"Spin": "After the membership ends: renew to book"}


def test_a_member_with_classes_is_offered_book(desk, frozen_clock, maya, spin):
    assert buttons(desk, maya) == {"Spin": "Book"}


@pytest.fixture
def tom_berg_like(downtown):
    member = MemberFactory(home_club=downtown, status=Member.Status.FORMER, first_name="Tom")
    MembershipFactory(member=member, plan=PlanFactory(club=downtown), start=dt.date(2026, 10, 5))
    return member


def test_a_class_already_marked_attended_says_so_instead_of_book(
    desk, frozen_clock, downtown, maya, spin
):
    # given Maya's Spin tomorrow, marked attended early by the trainer, and a second class
    BookingFactory(
        session=spin, member=maya, status=Booking.Status.ATTENDED, attended_at=clock.now()
    )
    ClassSessionFactory(club=downtown, class_type__name="Yoga")

    offered = buttons(desk, maya)

    assert offered == {"Spin": "Attended", "Yoga": "Book"}
    assert maya.bookings.count() == 1
