"""A card of another club's member scanned at the desk: the turnstile's verdict, not "No member
matches … register a walk-in lead", and nothing more of them than the turnstile shows.

Maya is Downtown's; Olga runs Riverside's desk, where Maya's record does not exist for her.
"""

import datetime as dt
import re
from urllib.parse import quote

import pytest
from django.urls import reverse

from checkin.models import CheckInAttempt, Visit
from club.models import Integration
from tests.factories import PlanFactory

DESK = {"HTTP_HX_REQUEST": "true", "HTTP_HX_CURRENT_URL": "http://testserver/admin/desk/"}


@pytest.fixture
def riverside_desk(client, olga):
    client.force_login(olga)
    return client


@pytest.fixture
def all_clubs_annual(maya, downtown):
    """Maya's Monthly swapped for Downtown's annual plan that is valid at every club."""
    membership = maya.memberships.get()
    membership.plan = PlanFactory(
        club=downtown, name="Annual all clubs", duration_days=365, valid_at_all_clubs=True
    )
    membership.save()
    return membership


def scan(client, card: str) -> str:
    return client.post(reverse("desk:scan"), {"q": card}, **DESK).content.decode()


def assert_shows_only_her_first_name(html: str, maya) -> None:
    assert "Maya" in html
    for private in ("Jansen", "maya.jansen", "612345678", "MAYA-0001"):
        assert private not in html
    assert reverse("desk:member", args=[maya.pk]) not in html


def test_a_card_whose_plan_is_not_valid_here_is_denied_naming_her_club(
    riverside_desk, frozen_clock, maya, riverside
):
    html = scan(riverside_desk, "MAYA-0001")

    assert 'data-outcome="denied"' in html
    assert 'data-reason="wrong_club"' in html
    assert "card of a Downtown member:\n      plan not valid here" in html
    assert "No member matches" not in html
    assert reverse("desk:new_lead") not in html
    assert_shows_only_her_first_name(html, maya)
    attempt = CheckInAttempt.objects.get(member=maya)
    assert (attempt.club, attempt.reason, attempt.source) == (riverside, "wrong_club", "desk")
    assert not Visit.objects.exists()


def test_a_card_with_a_plan_valid_at_every_club_is_admitted(
    riverside_desk, frozen_clock, maya, riverside, all_clubs_annual
):
    response = riverside_desk.post(reverse("desk:scan"), {"q": "maya-0001"}, **DESK)

    html = response.content.decode()
    assert 'data-outcome="admitted"' in html
    assert "member of Downtown, plan valid at every club" in html
    assert response["X-Desk-Outcome"] == "admitted"
    assert_shows_only_her_first_name(html, maya)
    visit = Visit.objects.get(member=maya)
    assert (visit.club, visit.membership, visit.source) == (riverside, all_clubs_annual, "desk")


@pytest.mark.parametrize("valid_everywhere", [False, True], ids=["own-club-plan", "all-clubs"])
def test_the_desk_answers_as_the_turnstile_does(
    client, frozen_clock, maya, olga, riverside, downtown, valid_everywhere
):
    # given Maya's Monthly, or a plan valid at every club
    if valid_everywhere:
        membership = maya.memberships.get()
        membership.plan = PlanFactory(club=downtown, valid_at_all_clubs=True)
        membership.save()
    _, token = Integration.issue(club=riverside, name="Riverside gate", scopes=["checkin"])

    # when her card is held to Riverside's turnstile, and later scanned at Riverside's desk
    api = client.post(
        reverse("api:checkins"),
        {"card": "MAYA-0001"},
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    ).json()
    frozen_clock.shift(dt.timedelta(minutes=5))  # past the repeat-scan window
    client.force_login(olga)
    html = scan(client, "MAYA-0001")

    # then both say the same: admitted, or denied for the same reason, naming "Maya"
    desk_outcome = re.search(r'data-outcome="(\w+)"', html).group(1)
    assert (desk_outcome == "admitted") is api["allowed"] is valid_everywhere
    assert api["member"]["first_name"] == "Maya"
    if not valid_everywhere:
        assert f'data-reason="{api["reason"]}"' in html


def test_the_recent_list_names_a_visitor_from_another_club_by_first_name_only(
    riverside_desk, frozen_clock, maya, all_clubs_annual
):
    html = scan(riverside_desk, "MAYA-0001")

    recent = re.search(r'<section id="desk-recent".*?</section>', html, re.S).group(0)
    assert 'Maya <span class="help-text">(another club)</span>' in recent
    assert_shows_only_her_first_name(recent, maya)
    page = riverside_desk.get(reverse("desk:desk")).content.decode()
    assert_shows_only_her_first_name(page, maya)


def test_the_own_club_s_recent_list_still_links_her_card(desk, frozen_clock, maya):
    html = scan(desk, "MAYA-0001")

    recent = re.search(r'<section id="desk-recent".*?</section>', html, re.S).group(0)
    assert f'<a href="{reverse("desk:member", args=[maya.pk])}">Maya Jansen</a>' in recent


def test_an_unknown_card_still_offers_a_walk_in_lead_and_records_nothing(
    riverside_desk, frozen_clock, maya
):
    html = scan(riverside_desk, "DEADBEEF0000")

    assert "No member matches" in html
    assert reverse("desk:new_lead") in html
    assert not CheckInAttempt.objects.exists()
    assert not Visit.objects.exists()


@pytest.mark.parametrize(
    "query", ["maya", "Jansen", "Maya Jansen", "5678", "+31612345678", "maya.jansen@example.com"]
)
def test_names_phones_and_emails_never_find_another_club_s_member(
    riverside_desk, frozen_clock, maya, all_clubs_annual, query
):
    typed = riverside_desk.get(reverse("desk:search"), {"q": query}, **DESK).content.decode()
    entered = scan(riverside_desk, query)

    for html in (typed, entered):
        assert "No member matches" in html
        # The query comes back as typed (in the box, and in the walk-in link's ?q=), no more.
        assert "Maya" not in html.replace(query, "").replace(quote(query), "")
    assert not CheckInAttempt.objects.exists()
    assert not Visit.objects.exists()
