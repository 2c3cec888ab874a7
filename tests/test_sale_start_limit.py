"""How far ahead a sale may start. Sell and "Add membership" take a date: 90 days from today at
most, or the day after the membership in force ends when that is later (sales.latest_start).
Renew's start is the day after the renewed membership ends, and a renewal that would start more
than 90 days ahead is not sold (sales.too_early_to_renew). Today is 23 Nov 2026 (frozen_clock)."""

import datetime as dt
import re

import pytest
from django.urls import reverse

from memberships import sales
from memberships.models import Membership, Payment
from tests.factories import MembershipFactory, PlanFactory

TOO_FAR = (
    "1 Jan 2099 is too far ahead: a membership sold now starts within 90 days, by 21 Feb 2027."
)


@pytest.fixture
def annual(downtown):
    return PlanFactory(club=downtown, name="Annual", duration_days=365)


def test_the_desk_refuses_a_start_years_ahead_and_sells_nothing(desk, frozen_clock, tom_berg):
    plan = tom_berg.memberships.get().plan

    response = desk.post(
        reverse("desk:sell", args=[tom_berg.pk]),
        {"plan": plan.pk, "start": "2099-01-01", "method": "cash"},
    )

    assert response.status_code == 400
    assert response.context["form"].errors == {"start": [TOO_FAR]}
    assert tom_berg.memberships.count() == 1
    assert not Payment.objects.filter(member=tom_berg).exists()


def test_the_desk_sells_a_start_on_the_last_day_allowed(desk, frozen_clock, tom_berg):
    plan = tom_berg.memberships.get().plan

    response = desk.post(
        reverse("desk:sell", args=[tom_berg.pk]),
        {"plan": plan.pk, "start": "2027-02-21", "method": "cash"},
    )

    assert response.status_code == 302
    assert tom_berg.memberships.latest("start").start == dt.date(2027, 2, 21)


def test_the_sell_form_s_date_picker_stops_at_the_last_day_allowed(desk, frozen_clock, tom_berg):
    form = desk.get(reverse("desk:sell", args=[tom_berg.pk])).context["form"]

    assert form.fields["start"].widget.attrs == {"min": "2026-11-23", "max": "2027-02-21"}


@pytest.mark.parametrize(
    ("start", "error"),
    [
        pytest.param("2027-11-23", None, id="day-after-the-annual"),
        pytest.param(
            "2027-11-24",
            "24 Nov 2027 is too far ahead: a membership sold now starts by 23 Nov 2027, "
            "the day after the membership in force ends.",
            id="a-day-later",
        ),
    ],
)
def test_a_sale_may_follow_the_membership_in_force_however_far_it_ends(
    desk, frozen_clock, maya, annual, start, error
):
    # given Maya on an annual bought today: it runs until 22 Nov 2027
    maya.memberships.update(status=Membership.Status.CANCELLED)
    MembershipFactory(member=maya, plan=annual)

    response = desk.post(
        reverse("desk:sell", args=[maya.pk]), {"plan": annual.pk, "start": start, "method": "cash"}
    )

    if error is None:
        assert response.status_code == 302
        assert maya.memberships.filter(start=dt.date(2027, 11, 23)).exists()
    else:
        assert response.context["form"].errors == {"start": [error]}
        assert maya.memberships.not_cancelled().count() == 1


def test_an_annual_ending_in_a_year_is_not_renewed_now_and_nothing_is_taken(
    desk, frozen_clock, maya, annual
):
    # given an annual from today: its renewal would start 23 Nov 2027, a year ahead
    maya.memberships.update(status=Membership.Status.CANCELLED)
    current = MembershipFactory(member=maya, plan=annual)
    url = reverse("desk:renew", args=[current.pk])

    shown = desk.get(url)
    response = desk.post(url, {"plan": annual.pk, "method": "cash"})

    too_early = (
        "Renewal opens on 25 Aug 2027: 90 days before it would start on 23 Nov 2027, the day "
        "after this Annual ends."
    )
    assert too_early in shown.content.decode()
    # no button that would take the money and be refused
    assert re.search(r'<button type="submit" class="button" disabled>Renewal not open yet<',
                     shown.content.decode())  # fmt: skip
    assert response.status_code == 400
    assert response.context["form"].non_field_errors() == [too_early]
    assert not Membership.objects.filter(renewed_from=current).exists()
    assert not Payment.objects.filter(membership__member=maya, membership__plan=annual).exists()


def test_an_annual_renews_from_90_days_before_its_renewal_starts(desk, frozen_clock, maya, annual):
    # given an annual ending 20 Feb 2027: the renewal starts 21 Feb, 90 days from today
    maya.memberships.update(status=Membership.Status.CANCELLED)
    current = MembershipFactory(
        member=maya, plan=annual, start=dt.date(2026, 2, 21), end=dt.date(2027, 2, 20)
    )

    response = desk.post(
        reverse("desk:renew", args=[current.pk]), {"plan": annual.pk, "method": "cash"}
    )

    assert response.status_code == 302
    renewal = Membership.objects.get(renewed_from=current)
    assert renewal.start == dt.date(2027, 2, 21)
    assert sales.too_early_to_renew(renewal, today=dt.date(2026, 11, 23)).startswith(
        "Renewal opens on 23 Nov 2027"
    )


def test_a_renewal_queued_within_90_days_can_be_renewed_in_turn(
    desk, frozen_clock, maya, maya_membership
):
    # given Maya's month (until 12 Dec) and its renewal queued behind it (13 Dec - 11 Jan)
    queued = sales.renew(maya_membership, method="cash")

    response = desk.post(
        reverse("desk:renew", args=[queued.pk]), {"plan": queued.plan_id, "method": "cash"}
    )

    assert response.status_code == 302
    assert Membership.objects.get(renewed_from=queued).start == dt.date(2027, 1, 12)


def test_renewing_the_renewal_of_an_annual_two_years_ahead_is_refused(
    desk, frozen_clock, maya, annual
):
    # given an annual in force until 20 Feb 2027 and its renewal queued behind it
    maya.memberships.update(status=Membership.Status.CANCELLED)
    current = MembershipFactory(
        member=maya, plan=annual, start=dt.date(2026, 2, 21), end=dt.date(2027, 2, 20)
    )
    queued = sales.renew(current, method="cash")

    response = desk.post(
        reverse("desk:renew", args=[queued.pk]), {"plan": annual.pk, "method": "cash"}
    )

    assert response.status_code == 400
    assert response.context["form"].non_field_errors() == [
        "Renewal opens on 23 Nov 2027: 90 days before it would start on 21 Feb 2028, the day "
        "after this Annual ends."
    ]
    assert not Membership.objects.filter(renewed_from=queued).exists()
    assert not Payment.objects.filter(membership__renewed_from=queued).exists()


def test_add_membership_refuses_a_start_years_ahead(client, frozen_clock, fiona, tom_berg):
    client.force_login(fiona)
    plan = tom_berg.memberships.get().plan

    response = client.post(
        reverse("memberships:add"),
        {"member": tom_berg.pk, "plan": plan.pk, "start": "2099-01-01", "method": "cash"},
    )

    assert response.status_code == 200
    assert response.context["form"].errors == {"start": [TOO_FAR]}
    assert tom_berg.memberships.count() == 1
    assert not Payment.objects.filter(member=tom_berg).exists()


def test_a_pack_valid_for_a_year_is_renewed_whenever_its_visits_run_low(
    desk, frozen_clock, maya, downtown
):
    # given a 10-visit pack bought today and valid for a year
    maya.memberships.update(status=Membership.Status.CANCELLED)
    pack = PlanFactory(club=downtown, name="10 visits", pack=True, duration_days=365)
    current = MembershipFactory(member=maya, plan=pack)

    # when the desk renews it now
    response = desk.post(
        reverse("desk:renew", args=[current.pk]), {"plan": pack.pk, "method": "cash"}
    )

    # then the new pack is sold: the 90-day limit is for time plans, not visits
    assert response.status_code == 302
    assert sales.too_early_to_renew(current, today=dt.date(2026, 11, 23)) == ""
    assert Membership.objects.filter(renewed_from=current).exists()
