"""Renewing from a denied check-in brings the desk back with "Check in now" for the member, and
the renew form says whether the membership it renews has ended. Today is 23 Nov 2026."""

import datetime as dt

import pytest
from django.urls import reverse

from checkin.models import Visit
from memberships import sales
from memberships.models import Membership
from tests.factories import MemberFactory, MembershipFactory

DESK = {"HTTP_HX_REQUEST": "true", "HTTP_HX_CURRENT_URL": "http://testserver/admin/desk/"}


def renew_from_the_desk(client, membership) -> Membership:
    response = client.post(
        reverse("desk:renew", args=[membership.pk]),
        {"plan": membership.plan_id, "method": "cash", "next": reverse("desk:desk")},
    )
    # Tom's month ended 20 days ago, past the grace days: sold as a rejoin, so found by member.
    renewal = Membership.objects.filter(member=membership.member).exclude(pk=membership.pk).get()
    assert response["Location"] == f"{reverse('desk:desk')}?renewed={renewal.pk}"
    return renewal


def test_after_renew_now_the_desk_offers_check_in_now_and_it_admits(desk, frozen_clock, tom_berg):
    # given Tom turned away: his month ended on 3 November
    denied = desk.post(reverse("desk:scan"), {"q": "TOM-BERG"}, **DESK).content.decode()
    assert 'data-reason="expired"' in denied

    # when the desk renews it from the red result and lands back on the desk
    renewal = renew_from_the_desk(desk, tom_berg.memberships.get())
    html = desk.get(reverse("desk:desk"), {"renewed": renewal.pk}).content.decode()

    # then the renewal is on screen with "Check in now", which checks him in, and nothing before
    assert 'data-outcome="renewed"' in html
    assert "✔ REJOINED" in html  # ended 20 days ago, past the 14 grace days
    assert "23 Nov 2026 – 22 Dec 2026" in html
    # said once, in the panel: no message above it that would stay after "Check in now"
    assert "Rejoined: " not in html
    check_in = reverse("desk:check_in", args=[tom_berg.pk])
    assert f'hx-post="{check_in}"' in html
    assert "Check in now" in html
    assert not Visit.objects.exists()
    admitted = desk.post(check_in, **DESK)
    assert 'data-outcome="admitted"' in admitted.content.decode()
    assert Visit.objects.get(member=tom_berg).membership == renewal


def test_the_offer_reloaded_after_checking_in_shows_the_visit_not_the_button(
    desk, frozen_clock, tom_berg
):
    renewal = renew_from_the_desk(desk, tom_berg.memberships.get())
    desk.post(reverse("desk:check_in", args=[tom_berg.pk]), **DESK)
    frozen_clock.shift(dt.timedelta(minutes=10))  # past the repeat-scan window

    html = desk.get(reverse("desk:desk"), {"renewed": renewal.pk}).content.decode()

    assert "Check in now" not in html
    assert "Checked in at 18:00" in html
    assert Visit.objects.filter(member=tom_berg).count() == 1


def test_renewing_from_the_card_goes_back_to_the_card(desk, frozen_clock, tom_berg):
    membership = tom_berg.memberships.get()

    response = desk.post(
        reverse("desk:renew", args=[membership.pk]), {"plan": membership.plan_id, "method": "cash"}
    )

    assert response["Location"] == reverse("desk:member", args=[tom_berg.pk])


@pytest.mark.parametrize("renewed", ["abc", "-1", "0", "9" * 30, "theirs"])
def test_an_offer_for_no_membership_of_ours_shows_the_plain_desk(
    client, frozen_clock, olga, tom_berg, renewed
):
    # given Olga at Riverside's desk, and a renewal of Downtown's Tom among the bad ids
    renewal = sales.renew(tom_berg.memberships.get(), method="cash")
    client.force_login(olga)
    value = renewal.pk if renewed == "theirs" else renewed

    response = client.get(reverse("desk:desk"), {"renewed": value})

    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="desk-q"' in html
    assert "Check in now" not in html
    assert "Tom" not in html


@pytest.fixture
def lena(downtown, monthly_plan):
    """A member whose month ended on 18 November, five days ago: within the grace days."""
    member = MemberFactory(home_club=downtown, first_name="Lena")
    MembershipFactory(member=member, plan=monthly_plan, start=dt.date(2026, 10, 20))
    return member


@pytest.mark.parametrize(
    ("who", "intro"),
    [
        pytest.param(
            "tom_berg",
            "Membership ended 3 Nov 2026, more than 14 days ago: a rejoin, which starts "
            "23 Nov 2026.",
            id="ended-past-the-grace-days",
        ),
        pytest.param(
            "lena",
            "Membership ended 18 Nov 2026: the renewal starts 23 Nov 2026.",
            id="ended-within-the-grace-days",
        ),
        pytest.param(
            "maya",
            "Current membership ends 12 Dec 2026: the renewal starts 13 Dec 2026.",
            id="in-force",
        ),
    ],
)
def test_the_renew_form_says_ended_for_a_membership_that_has_ended(
    desk, frozen_clock, request, who, intro
):
    membership = request.getfixturevalue(who).memberships.get()

    response = desk.get(reverse("desk:renew", args=[membership.pk]))

    assert response.context["intro"] == intro
    assert intro in response.content.decode()
