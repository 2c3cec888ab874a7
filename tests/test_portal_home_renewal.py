"""The portal home offers renewal where the membership page does (selectors.renewal_offer):
"Renew online" to the membership page's Renew section when it can be paid online, "ask at the
front desk" only when it cannot.

The clock is frozen at Monday 23 Nov 2026, 18:00 in Amsterdam.
"""

import datetime as dt
import re

import pytest
from django.urls import reverse

from memberships.models import Membership
from tests.stripe_helpers import stripe_on_fixture  # noqa: F401 (fixture stripe_on)
from tests.test_portal import sign_in

DESK = "Ask at the front desk of Downtown to renew."


@pytest.fixture
def ending_soon(frozen_clock, maya, maya_membership):
    """Maya's month, moved to 27 Oct – 25 Nov: three days left, no renewal queued."""
    Membership.objects.filter(pk=maya_membership.pk).update(
        start=dt.date(2026, 10, 27), end=dt.date(2026, 11, 25)
    )
    return maya


def words(response) -> str:
    assert response.status_code == 200, response.status_code
    return " ".join(re.sub(r"<[^>]+>", " ", response.content.decode()).split())


def renew_link(response) -> str | None:
    page = response.content.decode()
    found = re.search(r'<a class="button primary" href="([^"]+)" data-renew>', page)
    return found[1] if found else None


@pytest.mark.parametrize("who", ["ending_soon", "tom_berg"])
def test_with_online_payment_home_links_to_the_membership_pages_renewal(
    stripe_on, client, frozen_clock, request, who
):
    member = request.getfixturevalue(who)
    portal = sign_in(client, member)

    home = portal.get(reverse("portal:home"))
    membership = portal.get(reverse("portal:membership"))

    assert renew_link(home) == "/account/membership/#renew"
    assert "Renew online · €49.00" in words(home)
    assert "Renew online · €49.00" in words(membership)  # the page it leads to offers it
    assert DESK not in words(home)


@pytest.mark.parametrize("who", ["ending_soon", "tom_berg"])
def test_without_online_payment_home_says_to_ask_at_the_desk(client, frozen_clock, request, who):
    member = request.getfixturevalue(who)

    home = sign_in(client, member).get(reverse("portal:home"))

    assert renew_link(home) is None
    assert "Renew online" not in words(home)
    assert DESK in words(home)


def test_a_membership_not_ending_soon_is_not_offered_renewal(stripe_on, client, frozen_clock, maya):
    # Maya's month has 19 days left: the membership page offers no renewal either.
    portal = sign_in(client, maya)

    home = portal.get(reverse("portal:home"))
    membership = portal.get(reverse("portal:membership"))

    assert renew_link(home) is None
    assert "Renew online" not in words(membership)
    assert DESK not in words(home)


def test_a_plan_no_longer_sold_is_renewed_at_the_desk(
    stripe_on, client, frozen_clock, tom_berg, monthly_plan
):
    monthly_plan.is_active = False
    monthly_plan.save()

    home = sign_in(client, tom_berg).get(reverse("portal:home"))

    assert renew_link(home) is None
    assert DESK in words(home)
