"""The portal's membership card says what happens at the end — "Renews automatically on …
€X due" or "Ends …, won't renew" — and an unpaid one what is due; the member stops automatic
renewal after a confirm page and switches it back on while it runs. Another member's
membership is a 404. Today is 23 Nov 2026; Maya's month ends 12 Dec 2026."""

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse

from cms.portal import auth
from members.models import MemberEvent
from memberships.models import Membership
from tests.factories import MemberFactory, MembershipFactory

TODAY = dt.date(2026, 11, 23)


@pytest.fixture
def renewing(frozen_clock, maya_membership):
    """Maya's month on a plan that renews automatically, auto-renew on."""
    maya_membership.plan.auto_renew = True
    maya_membership.plan.save()
    Membership.objects.filter(pk=maya_membership.pk).update(auto_renew=True)
    maya_membership.refresh_from_db()
    return maya_membership


@pytest.fixture
def portal(client, frozen_clock, maya):
    # The clock first: Maya's dates are counted from the frozen today, not the real one.
    client.force_login(auth.portal_user(maya))
    return client


def page(client) -> str:
    response = client.get(reverse("portal:membership"))
    assert response.status_code == 200
    return response.content.decode()


def switch(client, membership, value):
    return client.post(reverse("portal:auto_renew", args=[membership.pk]), {"auto_renew": value})


def test_the_card_says_when_it_renews_and_what_will_be_due(portal, renewing):
    html = page(portal)

    assert "Renews automatically on 13 Dec 2026 — €49.00 due." in html
    stop = reverse("portal:auto_renew", args=[renewing.pk])
    assert f'href="{stop}">Stop automatic renewal' in html
    assert "auto-renews" not in html


def test_the_card_of_a_plan_that_does_not_renew_says_it_ends(portal, frozen_clock, maya_membership):
    html = page(portal)

    assert "Ends 12 Dec 2026, won't renew." in html
    assert "Renew automatically…" not in html
    assert "Renews automatically" not in html


def test_the_card_of_a_withdrawn_plan_says_it_ends(portal, renewing):
    renewing.plan.is_active = False
    renewing.plan.save()

    html = page(portal)

    assert "Ends 12 Dec 2026, won't renew." in html
    assert "Renew automatically…" not in html


def test_an_unpaid_automatic_renewal_says_what_is_due_at_the_desk(portal, renewing):
    # given the task renewed Maya's month and she has not paid yet
    Membership.objects.filter(pk=renewing.pk).update(status=Membership.Status.PAST_DUE)

    html = page(portal)

    assert "<b>€49.00 due</b>: pay at the desk." in html
    assert "Renews automatically on 13 Dec 2026 once this is paid." in html


def test_the_member_stops_automatic_renewal_after_confirming(portal, maya, renewing):
    # when Maya opens "Stop automatic renewal"
    confirm = portal.get(reverse("portal:auto_renew", args=[renewing.pk])).content.decode()

    # then she is asked first, and nothing has changed yet
    assert "Stop automatic renewal?" in confirm
    assert "ends on 12 Dec 2026 and won't renew" in confirm
    assert 'name="auto_renew" value="off"' in confirm
    renewing.refresh_from_db()
    assert renewing.auto_renew is True

    # when she confirms
    response = switch(portal, renewing, "off")

    # then it is off, on her timeline, and the card says it ends and offers to switch it on
    assert response["Location"] == reverse("portal:membership")
    renewing.refresh_from_db()
    assert renewing.auto_renew is False
    event = maya.events.get(kind=MemberEvent.Kind.AUTO_RENEW_CHANGED)
    assert (event.actor, event.data["auto_renew"], event.data["source"]) == (None, False, "portal")
    html = page(portal)
    assert "Automatic renewal stopped: your Monthly ends on 12 Dec 2026." in html
    assert "Ends 12 Dec 2026, won't renew." in html
    # switching back on is a link to a page that asks first, not a one-tap button
    assert 'name="auto_renew" value="on"' not in html
    on = reverse("portal:auto_renew", args=[renewing.pk])
    assert f'href="{on}">Renew automatically…</a>' in html


def test_switching_on_from_the_home_page_asks_first_with_plan_price_date_and_payment(
    portal, maya, renewing
):
    # given Maya stopped it
    switch(portal, renewing, "off")
    home = portal.get(reverse("portal:home")).content.decode()
    assert 'name="auto_renew" value="on"' not in home

    # when she opens "Renew automatically…"
    confirm = portal.get(reverse("portal:auto_renew", args=[renewing.pk])).content.decode()

    # then she reads what it means, and nothing has changed yet
    assert "Renew automatically?" in confirm
    facts = confirm[confirm.index("data-switch-on") : confirm.index("</dl>")]
    for said in (
        "Monthly (30 days)",
        "€49.00 each time it renews",
        "13 Dec 2026, the day after yours ends",
        "you pay €49.00 at the front desk",
    ):
        assert said in facts
    assert 'name="auto_renew" value="on"' in confirm
    renewing.refresh_from_db()
    assert renewing.auto_renew is False

    # when she confirms, it is on
    response = switch(portal, renewing, "on")
    assert response["Location"] == reverse("portal:membership")
    renewing.refresh_from_db()
    assert renewing.auto_renew is True


def test_a_plan_that_does_not_renew_offers_no_switch_on_page(portal, maya_membership):
    confirm = portal.get(reverse("portal:auto_renew", args=[maya_membership.pk])).content.decode()

    assert "Renew automatically?" not in confirm
    assert 'name="auto_renew" value="on"' not in confirm
    assert "does not renew automatically: it ends on 12 Dec 2026" in confirm


def test_the_member_switches_it_back_on_while_it_runs(portal, maya, renewing):
    switch(portal, renewing, "off")

    switch(portal, renewing, "on")

    renewing.refresh_from_db()
    assert renewing.auto_renew is True
    assert list(
        maya.events.filter(kind=MemberEvent.Kind.AUTO_RENEW_CHANGED)
        .order_by("pk")
        .values_list("data__auto_renew", flat=True)
    ) == [False, True]
    assert "Your Monthly renews automatically after 12 Dec 2026." in page(portal)


@pytest.mark.parametrize("method", ["get", "post"])
def test_another_members_membership_is_not_found(portal, frozen_clock, downtown, renewing, method):
    other = MembershipFactory(
        member=MemberFactory(home_club=downtown), plan=renewing.plan, auto_renew=True
    )

    response = getattr(portal, method)(
        reverse("portal:auto_renew", args=[other.pk]), {"auto_renew": "off"}
    )

    assert response.status_code == 404
    other.refresh_from_db()
    assert other.auto_renew is True


@pytest.mark.parametrize("value", ["", "yes", "OFF"])
def test_a_value_other_than_on_or_off_is_refused(portal, maya, renewing, value):
    response = switch(portal, renewing, value)

    assert response.status_code == 400
    renewing.refresh_from_db()
    assert renewing.auto_renew is True
    assert not maya.events.filter(kind=MemberEvent.Kind.AUTO_RENEW_CHANGED).exists()


def test_an_ended_membership_cannot_be_switched(portal, maya, renewing):
    Membership.objects.filter(pk=renewing.pk).update(
        start=TODAY - dt.timedelta(days=40), end=TODAY - dt.timedelta(days=11)
    )

    response = portal.post(
        reverse("portal:auto_renew", args=[renewing.pk]), {"auto_renew": "off"}, follow=True
    )

    assert "there is nothing to renew" in response.content.decode()
    renewing.refresh_from_db()
    assert renewing.auto_renew is True


def test_signed_out_the_switch_asks_to_sign_in(client, renewing):
    response = client.post(reverse("portal:auto_renew", args=[renewing.pk]), {"auto_renew": "off"})

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("portal:login"))
    renewing.refresh_from_db()
    assert renewing.auto_renew is True
    assert Decimal(renewing.price_paid) == Decimal("49.00")
