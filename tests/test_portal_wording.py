"""What the portal and the trial form say, as QA read it: days left with their plural, what
renewing a pack early does to its visits, what a lead can do, the thank-you page only after a
sign-up, and a mobile example for the mobile number. Today is Monday 23 Nov 2026."""

import datetime as dt
import re

import pytest
from django.urls import reverse

from checkin.models import Booking
from cms.portal import auth, selectors
from members.models import Member
from tests.factories import (
    BookingFactory,
    ClassSessionFactory,
    MemberFactory,
    MembershipFactory,
    PlanFactory,
)
from tests.test_trial_signup import form_data

TODAY = dt.date(2026, 11, 23)


def words(response) -> str:
    assert response.status_code == 200
    return " ".join(re.sub(r"<[^>]+>", " ", response.content.decode()).split())


def signed_in(client, member: Member):
    client.force_login(auth.portal_user(member))
    return client


@pytest.mark.parametrize(
    ("days", "said"),
    [(0, "ends today"), (1, "ends tomorrow"), (2, "2 days left"), (19, "19 days left")],
)
def test_days_left_are_said_with_their_plural(days, said):
    assert selectors.days_left_words(days) == said


def test_the_day_before_the_end_the_card_says_it_ends_tomorrow(
    client, frozen_clock, downtown, monthly_plan
):
    member = MemberFactory(home_club=downtown, status=Member.Status.MEMBER)
    MembershipFactory(member=member, plan=monthly_plan, start=TODAY - dt.timedelta(days=28))

    page = words(signed_in(client, member).get(reverse("portal:home")))

    assert "Active · ends tomorrow" in page
    assert "1 days left" not in page


def test_renewing_a_pack_early_says_its_unused_visits_expire(client, frozen_clock, downtown):
    # given Sem's 10-visit card (180 days) ends on 30 Nov with 3 visits left
    member = MemberFactory(home_club=downtown, status=Member.Status.MEMBER)
    pack = PlanFactory(club=downtown, pack=True, name="10-visit card")
    MembershipFactory(
        member=member, plan=pack, start=dt.date(2026, 6, 3), end=dt.date(2026, 11, 30)
    )
    member.memberships.update(visits_left=3)

    page = words(signed_in(client, member).get(reverse("portal:membership")))

    assert "Renew your visit pack: 10-visit card" in page
    assert (
        "Your new pack starts the day after this one's last day, 30 Nov 2026. Use your 3 visits "
        "left by then: visits not used by that day expire and are not added to the new pack."
    ) in page
    assert "loses no days" not in page


def test_a_time_plan_renewed_early_still_loses_no_days(
    client, frozen_clock, downtown, monthly_plan
):
    member = MemberFactory(home_club=downtown, status=Member.Status.MEMBER)
    MembershipFactory(member=member, plan=monthly_plan, start=dt.date(2026, 11, 1))

    page = words(signed_in(client, member).get(reverse("portal:membership")))

    assert "whose last day is 30 Nov 2026: renewing early loses no days" in page


def test_a_lead_is_offered_a_free_trial_and_the_plans_not_booking(client, frozen_clock, downtown):
    lead = MemberFactory(home_club=downtown, status=Member.Status.LEAD)

    response = signed_in(client, lead).get(reverse("portal:home"))
    page = response.content.decode()

    assert 'href="/trial/" data-lead-trial>Book a free trial class</a>' in page
    assert 'href="/plans/" data-lead-plans>See plans and prices ›</a>' in page
    assert "Book a class</a>" not in page
    assert "Membership details" not in page


def test_a_lead_whose_trial_is_taken_sees_the_plans_only(client, frozen_clock, downtown):
    lead = MemberFactory(home_club=downtown, status=Member.Status.LEAD)
    BookingFactory(
        member=lead,
        session=ClassSessionFactory(club=downtown),
        is_trial=True,
        status=Booking.Status.ATTENDED,
    )

    page = signed_in(client, lead).get(reverse("portal:home")).content.decode()

    assert "Book a free trial class" not in page
    assert "See plans and prices" in page
    assert "Book a class</a>" not in page


def test_a_member_still_books_classes_from_home(client, frozen_clock, maya):
    page = signed_in(client, maya).get(reverse("portal:home")).content.decode()

    assert "Book a class</a>" in page
    assert "Membership details" in page
    assert "Book a free trial class" not in page


def test_the_thank_you_page_opened_directly_goes_to_the_form(client, frozen_clock, downtown):
    response = client.get("/trial/thanks/")

    assert (response.status_code, response["Location"]) == (302, "/trial/")


def test_a_bots_sign_up_still_looks_thanked(client, frozen_clock, downtown):
    response = client.post("/trial/", form_data(None, leave_this_empty="spam"))

    assert response["Location"] == "/trial/thanks/"
    assert "Thank you!" in client.get("/trial/thanks/").content.decode()


def test_a_wrong_mobile_number_is_answered_with_a_mobile_example(client, frozen_clock, downtown):
    response = client.post("/trial/", form_data(None, phone="12"))

    assert response.status_code == 200
    assert response.context["form"].errors["phone"] == [
        "Enter a valid mobile number (e.g. 06 12345678) or a number with an international "
        "call prefix."
    ]
    assert "010 123 4567" not in response.content.decode()
