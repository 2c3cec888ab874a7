"""An expired member's card offers Renew, as the denial panel's "Renew now" does: the latest
membership renewed, linked by renewed_from when within the grace days. Today is 23 Nov 2026."""

import datetime as dt

from django.urls import reverse

from memberships.models import Membership, Plan
from tests.factories import MemberFactory, MembershipFactory, PlanFactory


def card(client, member) -> str:
    return client.get(reverse("desk:member", args=[member.pk])).content.decode()


def test_an_expired_member_s_card_offers_renew_of_the_latest_membership(
    desk, frozen_clock, downtown, monthly_plan
):
    # given Tom's month, ended 13 Nov, after an older one
    tom = MemberFactory(home_club=downtown, first_name="Tom")
    MembershipFactory(member=tom, plan=monthly_plan, start=dt.date(2026, 9, 15))
    ended = MembershipFactory(member=tom, plan=monthly_plan, start=dt.date(2026, 10, 15))
    renew = reverse("desk:renew", args=[ended.pk])

    # then his card has Renew for the latest, and renewing from it links the renewal
    html = card(desk, tom)
    assert f'href="{renew}"' in html
    assert "Sell membership" in html
    response = desk.post(renew, {"plan": monthly_plan.pk, "method": "cash"})
    assert response["Location"] == reverse("desk:member", args=[tom.pk])
    renewal = Membership.objects.get(renewed_from=ended)
    assert renewal.start == dt.date(2026, 11, 23)


def test_a_card_in_force_or_after_a_trial_or_with_nothing_has_no_second_renew(
    desk, frozen_clock, downtown, maya, maya_membership
):
    trial = PlanFactory(club=downtown, kind=Plan.Kind.TRIAL, price=0, duration_days=7)
    tried = MemberFactory(home_club=downtown)
    MembershipFactory(member=tried, plan=trial, start=dt.date(2026, 11, 1))
    lead = MemberFactory(home_club=downtown)

    # Maya's card renews the month in force, once; the trial's and the lead's have no Renew
    assert card(desk, maya).count(">Renew</a>") == 1
    assert ">Renew</a>" not in card(desk, tried)
    assert ">Renew</a>" not in card(desk, lead)


def test_the_card_s_renew_is_for_sellers_only(client, frozen_clock, mia, tom_berg):
    client.force_login(mia)  # marketing reads cards, does not sell

    html = card(client, tom_berg)

    assert ">Renew</a>" not in html
    refused = client.get(reverse("desk:renew", args=[tom_berg.memberships.get().pk]))
    assert refused.status_code == 302  # Wagtail's "no permission" redirect
    assert refused["Location"] == "/admin/"
