"""Ending a freeze from a denied check-in brings the desk back with "Check in now" for the
member, as renewing from one does. Today is 23 Nov 2026."""

import datetime as dt

import pytest
from django.urls import reverse

from checkin.models import Visit
from memberships import freezes
from tests.factories import MemberEventFactory

DESK = {"HTTP_HX_REQUEST": "true", "HTTP_HX_CURRENT_URL": "http://testserver/admin/desk/"}


@pytest.fixture
def frozen_week(frozen_clock, maya_membership):
    """Maya's month frozen from today for a week."""
    return freezes.freeze(maya_membership, start=dt.date(2026, 11, 23), end=dt.date(2026, 11, 29))


def end_from_the_desk(client, frozen, on: str = "2026-11-23"):
    return client.post(
        reverse("desk:unfreeze", args=[frozen.pk]), {"on": on, "next": reverse("desk:desk")}
    )


def test_after_end_freeze_the_desk_offers_check_in_now_and_it_admits(
    desk, frozen_clock, maya, frozen_week
):
    # given Maya turned away: frozen
    denied = desk.post(reverse("desk:scan"), {"q": "MAYA-0001"}, **DESK).content.decode()
    assert 'data-reason="frozen"' in denied

    # when the desk ends the freeze from the red result and lands back on the desk
    response = end_from_the_desk(desk, frozen_week)
    event = maya.events.get(kind="membership_unfrozen")
    assert response["Location"] == f"{reverse('desk:desk')}?unfrozen={event.pk}"
    html = desk.get(response["Location"]).content.decode()

    # then the desk says so with "Check in now", which checks her in, and nothing before
    assert 'data-outcome="unfrozen"' in html
    assert "✔ FREEZE ENDED" in html
    assert "Monthly · now ends 12 Dec 2026" in html
    check_in = reverse("desk:check_in", args=[maya.pk])
    assert f'hx-post="{check_in}"' in html
    assert "Check in now" in html
    assert not Visit.objects.exists()
    admitted = desk.post(check_in, **DESK)
    assert 'data-outcome="admitted"' in admitted.content.decode()

    # and reloaded, the offer shows the visit, not the button
    reloaded = desk.get(response["Location"]).content.decode()
    assert "Check in now" not in reloaded
    assert "Checked in at 18:00" in reloaded


def test_a_freeze_ended_from_a_later_day_offers_no_check_in(desk, frozen_clock, maya, frozen_week):
    response = end_from_the_desk(desk, frozen_week, on="2026-11-25")

    assert response["Location"] == reverse("desk:desk")


def test_ending_a_freeze_from_the_card_goes_back_to_the_card(desk, frozen_clock, maya, frozen_week):
    response = desk.post(reverse("desk:unfreeze", args=[frozen_week.pk]), {"on": "2026-11-23"})

    assert response["Location"] == reverse("desk:member", args=[maya.pk])


@pytest.mark.parametrize("which", ["theirs", "not-an-unfreeze", "both", "abc"])
def test_an_offer_for_no_ended_freeze_of_ours_shows_the_plain_desk(
    client, desk, frozen_clock, olga, maya, frozen_week, which
):
    # given the freeze ended at Downtown, and Olga at Riverside's desk for "theirs"
    end_from_the_desk(desk, frozen_week)
    event = maya.events.get(kind="membership_unfrozen")
    query = {
        "theirs": {"unfrozen": event.pk},
        "not-an-unfreeze": {"unfrozen": MemberEventFactory(member=maya, kind="note").pk},
        "both": {"unfrozen": event.pk, "renewed": maya.memberships.get().pk},
        "abc": {"unfrozen": "abc"},
    }[which]
    if which == "theirs":
        client.force_login(olga)
    else:
        client = desk

    html = client.get(reverse("desk:desk"), query).content.decode()

    assert "FREEZE ENDED" not in html
    assert "Check in now" not in html
