"""Sell and Renew record a payment as soon as they are submitted: their button says what it
takes, for the plan and payment as they stand, and each plan option carries its price for the
page's script to say it again when another is chosen."""

import re
from decimal import Decimal

import pytest
from django.urls import reverse

from memberships.models import Payment
from tests.factories import PlanFactory


def button(html: str) -> str:
    return re.search(r'<button type="submit" class="button"[^>]*>([^<]*)</button>', html).group(1)


@pytest.fixture
def pack(downtown):
    return PlanFactory(club=downtown, pack=True, name="10 visits", price=Decimal("120.00"))


def test_renew_names_the_price_and_payment_it_records_untouched(
    desk, frozen_clock, maya, maya_membership, pack
):
    url = reverse("desk:renew", args=[maya_membership.pk])

    html = desk.get(url).content.decode()

    assert button(html) == "Renew · take €49.00 by card terminal"
    assert re.search(r'data-charge="Renew"', html)
    # what the button said is what an untouched submit records
    desk.post(url, {"plan": maya_membership.plan.pk, "method": "card_terminal"})
    payment = Payment.objects.get(membership__renewed_from=maya_membership)
    assert (payment.amount, payment.method) == (Decimal("49.00"), "card_terminal")


def test_each_plan_and_payment_option_carries_what_the_button_says(
    desk, frozen_clock, maya, maya_membership, pack
):
    html = desk.get(reverse("desk:renew", args=[maya_membership.pk])).content.decode()

    assert re.search(rf'<option value="{pack.pk}" data-price="€120.00"', html)
    assert re.search(r'<option value="cash" data-taken="in cash"', html)
    assert re.search(r'<option value="card_terminal" data-taken="by card terminal"', html)


def test_a_refused_renewal_names_what_was_chosen(desk, frozen_clock, maya, maya_membership, pack):
    url = reverse("desk:renew", args=[maya_membership.pk])

    response = desk.post(url, {"plan": pack.pk, "method": "paper"})

    assert response.status_code == 400
    # the plan chosen stands; a method that is none of ours reads as the first
    assert button(response.content.decode()) == "Renew · take €120.00 by card terminal"
    assert not Payment.objects.exists()


def test_sell_names_nothing_until_a_plan_is_chosen(desk, frozen_clock, maya, pack):
    url = reverse("desk:sell", args=[maya.pk])

    assert button(desk.get(url).content.decode()) == "Sell"

    refused = desk.post(url, {"plan": pack.pk, "method": "cash", "start": "not a date"})
    assert refused.status_code == 400
    assert button(refused.content.decode()) == "Sell · take €120.00 in cash"


@pytest.mark.parametrize("plan", ["", "999999", "x"])
def test_sell_with_no_plan_of_ours_names_no_price(desk, frozen_clock, maya, plan):
    response = desk.post(reverse("desk:sell", args=[maya.pk]), {"plan": plan, "method": "cash"})

    assert response.status_code == 400
    assert button(response.content.decode()) == "Sell"
