"""The card saved for automatic renewals in the member portal and on the desk's card: the
renewal says it is charged to the card ending 4242 (with Stripe on), the member removes the card
(detached in Stripe after the commit) and renewals go back to unpaid until paid. Today is
23 Nov 2026; Maya's month runs 1–30 Nov on a plan that renews automatically."""

import datetime as dt
import re

import pytest
import responses
from django.urls import reverse

from members.models import Member, MemberEvent
from memberships.models import Membership
from tests.stripe_helpers import (
    API,
    eager_tasks_fixture,  # noqa: F401 (fixture eager_tasks)
    stripe_on_fixture,  # noqa: F401 (fixture stripe_on)
)
from tests.test_portal import sign_in


def words(response) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", response.content.decode()).split())


@pytest.fixture
def renewing(frozen_clock, maya_membership):
    maya_membership.plan.auto_renew = True
    maya_membership.plan.save()
    Membership.objects.filter(pk=maya_membership.pk).update(
        auto_renew=True, start=dt.date(2026, 11, 1), end=dt.date(2026, 11, 30)
    )
    maya_membership.refresh_from_db()
    return maya_membership


@pytest.fixture
def maya_with_card(maya, renewing):
    Member.objects.filter(pk=maya.pk).update(
        stripe_customer_id="cus_maya",
        stripe_payment_method_id="pm_visa",
        card_brand="visa",
        card_last4="4242",
    )
    maya.refresh_from_db()
    return maya


def test_the_portal_says_the_renewal_is_charged_to_the_saved_card(
    stripe_on, client, maya_with_card
):
    page = words(sign_in(client, maya_with_card).get(reverse("portal:membership")))

    assert "Renews automatically on 1 Dec 2026, charged to your saved card ending 4242" in page
    assert "Your Visa ending 4242 is charged when a membership renews automatically." in page


def test_without_stripe_the_portal_keeps_todays_wording(client, maya_with_card):
    page = words(sign_in(client, maya_with_card).get(reverse("portal:membership")))

    assert "Renews automatically on 1 Dec 2026 — €49.00 due." in page
    assert "saved card" not in page


def test_the_member_removes_the_saved_card(
    stripe_on, client, maya_with_card, eager_tasks, django_capture_on_commit_callbacks
):
    portal = sign_in(client, maya_with_card)

    with responses.RequestsMock() as fake:
        fake.post(f"{API}/v1/payment_methods/pm_visa/detach", json={"id": "pm_visa"})
        with django_capture_on_commit_callbacks(execute=True):
            response = portal.post(reverse("portal:remove_card"), follow=True)
        again = portal.post(reverse("portal:remove_card"), follow=True)
        assert len(fake.calls) == 1

    assert "Your saved card is removed" in words(response)
    assert "You have no saved card." in words(again)
    maya_with_card.refresh_from_db()
    assert (maya_with_card.stripe_payment_method_id, maya_with_card.card_last4) == ("", "")
    assert maya_with_card.stripe_customer_id == "cus_maya"
    removed = maya_with_card.events.get(kind=MemberEvent.Kind.CARD_REMOVED)
    assert removed.data == {"brand": "visa", "last4": "4242", "source": "portal"}
    page = words(portal.get(reverse("portal:membership")))
    assert "Renews automatically on 1 Dec 2026 — €49.00 due." in page


def test_removing_the_card_needs_a_post(stripe_on, client, maya_with_card):
    response = sign_in(client, maya_with_card).get(reverse("portal:remove_card"))

    assert response.status_code == 405
    maya_with_card.refresh_from_db()
    assert maya_with_card.stripe_payment_method_id == "pm_visa"


def test_the_desk_card_says_the_renewal_is_charged_to_the_saved_card(
    stripe_on, desk, maya_with_card
):
    card = words(desk.get(reverse("desk:member", args=[maya_with_card.pk])))

    assert "Renews automatically, charged to the saved card ending 4242" in card


def test_switching_on_says_the_renewals_are_charged_to_the_saved_card(
    stripe_on, client, maya_with_card, renewing
):
    Membership.objects.filter(pk=renewing.pk).update(auto_renew=False)

    confirm = words(
        sign_in(client, maya_with_card).get(reverse("portal:auto_renew", args=[renewing.pk]))
    )

    assert "Renew automatically?" in confirm
    assert "Each renewal is charged to your saved card ending 4242." in confirm
    assert "Nothing is charged automatically" not in confirm
