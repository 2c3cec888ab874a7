"""What a QA pass in a browser found in the member portal: a lead whose free trial ended met
only "renew" and refusals; My bookings placed an attended class by its mark, not its start,
listed a rebooked class as cancelled too and a waitlist left as "cancelled"; cancelling from
the booking's page and making a new calendar link did not ask first; a booking's address
opened with GET was a blank 405; and some wording. Today is Monday 23 Nov 2026, 18:00 in
Amsterdam."""

import datetime as dt
import re

import pytest
from django.urls import reverse

from checkin import bookings
from checkin.models import Booking
from cms.models import PlansPage
from cms.portal import views
from members.models import Member
from tests.factories import (
    BookingFactory,
    ClassSessionFactory,
    ClassTypeFactory,
    MemberFactory,
    MembershipFactory,
    PlanFactory,
)
from tests.test_portal import at_club, schedule_rows, sign_in

TODAY = dt.date(2026, 11, 23)
TRIAL_OVER = "Your free trial is over — choose a membership"


def html(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def words(response) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html(response)).split())


@pytest.fixture
def spin(downtown):
    return ClassTypeFactory(club=downtown, name="Spin")


@pytest.fixture
def lotte(frozen_clock, downtown):
    """A lead whose free trial week ran 9–15 Nov, and who never bought a membership."""
    lead = MemberFactory(home_club=downtown, status=Member.Status.TRIAL, first_name="Lotte")
    MembershipFactory(
        member=lead, plan=PlanFactory(club=downtown, trial=True), start=dt.date(2026, 11, 9)
    )
    return lead


# --- 1. a lead whose free trial ended ------------------------------------------------------


def test_a_lead_whose_trial_ended_is_offered_the_plans_not_renewing_or_booking(
    client, lotte, downtown, spin
):
    ClassSessionFactory(club=downtown, class_type=spin)
    portal = sign_in(client, lotte)

    home = portal.get(reverse("portal:home"))
    membership = portal.get(reverse("portal:membership"))
    schedule = html(portal.get(reverse("portal:schedule")))
    my_bookings = html(portal.get(reverse("portal:bookings")))

    assert f"{TRIAL_OVER}." in words(home)
    assert 'href="/plans/" data-lead-plans>See plans and prices</a>' in html(home)
    assert "renew" not in words(home).lower()
    assert "Book a class</a>" not in html(home)
    assert "Book a free trial class" not in html(home)
    assert f"{TRIAL_OVER}." in words(membership)
    assert "See plans and prices" in words(membership)
    assert "Renew your" not in words(membership)
    assert schedule_rows(portal) == {"Tuesday 24 Nov": "Booking needs a membership"}
    assert 'href="/plans/" data-refusal>Booking needs a membership</a>' in schedule
    assert "Book a class</a>" not in my_bookings
    assert "See plans and prices" in my_bookings


def test_a_trial_ended_without_a_plans_page_says_the_front_desk(client, lotte, downtown, spin):
    PlansPage.objects.update(live=False)
    ClassSessionFactory(club=downtown, class_type=spin)
    portal = sign_in(client, lotte)

    home = words(portal.get(reverse("portal:home")))
    schedule = html(portal.get(reverse("portal:schedule")))

    assert f"{TRIAL_OVER} at the front desk of Downtown." in home
    assert "See plans and prices" not in home
    # the refusal still leads somewhere: the membership page, which names the desk
    assert 'href="/account/membership/" data-refusal>Booking needs a membership</a>' in schedule


def test_a_lead_with_no_membership_and_one_whose_trial_ended_read_the_same(
    client, frozen_clock, lotte, downtown, spin
):
    ClassSessionFactory(club=downtown, class_type=spin)
    never = MemberFactory(home_club=downtown, status=Member.Status.LEAD)

    assert schedule_rows(sign_in(client, never)) == schedule_rows(sign_in(client, lotte))
    assert views.refusal_text(bookings.Refusal("expired"), had_membership=False) == (
        views.refusal_text(bookings.Refusal("no_class_membership"), had_membership=False)
    )


def test_a_former_member_is_still_told_to_renew(client, frozen_clock, tom_berg, downtown, spin):
    # the bad path: someone who had a membership of their own renews it
    ClassSessionFactory(club=downtown, class_type=spin)
    portal = sign_in(client, tom_berg)

    home = html(portal.get(reverse("portal:home")))

    assert schedule_rows(portal) == {"Tuesday 24 Nov": "Renew your membership to book"}
    assert "to renew." in home
    assert "Book a class</a>" in home
    assert TRIAL_OVER not in home


def test_a_trial_still_running_books_classes_and_is_not_over(client, frozen_clock, downtown, spin):
    lead = MemberFactory(home_club=downtown, status=Member.Status.TRIAL)
    MembershipFactory(member=lead, plan=PlanFactory(club=downtown, trial=True), start=TODAY)
    ClassSessionFactory(club=downtown, class_type=spin)
    portal = sign_in(client, lead)

    home = html(portal.get(reverse("portal:home")))

    assert TRIAL_OVER not in home
    assert "Book a class</a>" in home
    assert schedule_rows(portal) == {"Tuesday 24 Nov": "Book"}


def test_a_lead_whose_free_class_is_behind_them_is_told_the_trial_is_over(
    client, frozen_clock, downtown, spin
):
    lead = MemberFactory(home_club=downtown, status=Member.Status.LEAD)
    BookingFactory(
        member=lead,
        session=ClassSessionFactory(
            club=downtown, class_type=spin, start=at_club(downtown, TODAY - dt.timedelta(days=2), 9)
        ),
        is_trial=True,
        status=Booking.Status.ATTENDED,
    )

    home = words(sign_in(client, lead).get(reverse("portal:home")))

    assert f"{TRIAL_OVER}." in home
    assert "Book a free trial class" not in home
