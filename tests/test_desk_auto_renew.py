"""The member card's automatic-renewal switch: front desk and managers turn it off and on,
each change on the timeline with who did it; trainers and marketing cannot, and Olga from
another club does not find our member's membership. Today is 23 Nov 2026."""

import pytest
from django.urls import reverse

from members.models import MemberEvent
from memberships.models import Membership


@pytest.fixture
def renewing(frozen_clock, maya_membership):
    """Maya's month on a plan that renews automatically, auto-renew on."""
    maya_membership.plan.auto_renew = True
    maya_membership.plan.save()
    Membership.objects.filter(pk=maya_membership.pk).update(auto_renew=True)
    maya_membership.refresh_from_db()
    return maya_membership


def switch(client, membership, value):
    return client.post(reverse("desk:auto_renew", args=[membership.pk]), {"auto_renew": value})


def test_the_desk_stops_automatic_renewal_from_the_card(desk, fiona, maya, renewing):
    # given the card says it renews, with the switch
    card = desk.get(reverse("desk:member", args=[maya.pk])).content.decode()
    assert "Renews automatically" in card
    assert "Stop auto-renew</button>" in card

    # when Fiona stops it
    response = switch(desk, renewing, "off")

    # then it is off, on the timeline with Fiona's name, and the card offers to turn it on
    assert response["Location"] == reverse("desk:member", args=[maya.pk])
    renewing.refresh_from_db()
    assert renewing.auto_renew is False
    event = maya.events.get(kind=MemberEvent.Kind.AUTO_RENEW_CHANGED)
    assert (event.actor, event.data["auto_renew"], event.data["source"]) == (fiona, False, "desk")
    card = desk.get(reverse("desk:member", args=[maya.pk])).content.decode()
    assert "Won't renew" in card
    assert "Turn auto-renew on</button>" in card
    assert "Automatic renewal changed" in card


@pytest.mark.parametrize("persona", ["fiona", "max"])
def test_front_desk_and_managers_switch_it_back_on(client, request, maya, renewing, persona):
    user = request.getfixturevalue(persona)
    client.force_login(user)
    Membership.objects.filter(pk=renewing.pk).update(auto_renew=False)

    switch(client, renewing, "on")

    renewing.refresh_from_db()
    assert renewing.auto_renew is True
    assert maya.events.get(kind=MemberEvent.Kind.AUTO_RENEW_CHANGED).actor == user


@pytest.mark.parametrize("persona", ["tom", "mia"])
def test_trainers_and_marketing_cannot_switch_it(client, request, maya, renewing, persona):
    client.force_login(request.getfixturevalue(persona))

    response = switch(client, renewing, "off")

    # Wagtail answers PermissionDenied in the admin with a redirect to its dashboard.
    assert response["Location"] == reverse("wagtailadmin_home")
    renewing.refresh_from_db()
    assert renewing.auto_renew is True
    assert not maya.events.filter(kind=MemberEvent.Kind.AUTO_RENEW_CHANGED).exists()


def test_trainers_and_marketing_see_no_switch_on_the_card(client, mia, maya, renewing):
    client.force_login(mia)

    card = client.get(reverse("desk:member", args=[maya.pk])).content.decode()

    assert "Renews automatically" in card
    assert "Stop auto-renew" not in card


def test_another_clubs_desk_does_not_find_the_membership(client, olga, renewing):
    client.force_login(olga)

    response = switch(client, renewing, "off")

    assert response.status_code == 404
    renewing.refresh_from_db()
    assert renewing.auto_renew is True


def test_a_value_other_than_on_or_off_is_refused(desk, maya, renewing):
    response = switch(desk, renewing, "maybe")

    assert response.status_code == 400
    renewing.refresh_from_db()
    assert renewing.auto_renew is True


def test_a_plan_that_does_not_renew_cannot_be_switched_on(desk, maya, renewing):
    renewing.plan.auto_renew = False
    renewing.plan.save()
    Membership.objects.filter(pk=renewing.pk).update(auto_renew=False)

    response = switch(desk, renewing, "on")

    assert response.status_code == 302
    renewing.refresh_from_db()
    assert renewing.auto_renew is False
    card = desk.get(reverse("desk:member", args=[maya.pk])).content.decode()
    assert "does not renew automatically" in card
    assert "Turn auto-renew on" not in card
