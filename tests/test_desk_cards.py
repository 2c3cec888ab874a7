"""Giving a member an access card at the desk: the card then opens the door, a replaced
card no longer does, and a card already someone else's is refused without saying whose."""

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from checkin import checkins
from checkin.models import Source, Visit
from members import cards
from members.models import MemberEvent
from tests.factories import MemberFactory


@pytest.fixture
def desk(client, fiona):
    client.force_login(fiona)
    return client


def give(desk, member, card: str):
    response = desk.post(reverse("desk:card", args=[member.pk]), {"card": card})
    assert response.status_code == 302
    assert response["Location"] == reverse("desk:member", args=[member.pk])
    return [str(message) for message in get_messages(response.wsgi_request)]


def scan(card: str, club):
    return checkins.check_in_scanned(card=card, source=Source.TURNSTILE, club=club)


def test_a_new_card_opens_the_door_and_goes_on_the_timeline(desk, frozen_clock, maya, fiona):
    maya.card_token = None
    maya.save(update_fields=["card_token"])

    said = give(desk, maya, "  04a3f2b1 ")

    maya.refresh_from_db()
    assert maya.card_token == "04A3F2B1"
    assert said == ["Card 04A3F2B1 given to Maya."]
    event = maya.events.get(kind=MemberEvent.Kind.CARD_GIVEN)
    assert (event.actor, event.data) == (fiona, {"replaced": False})
    assert isinstance(scan("04a3f2b1", maya.home_club), Visit)
    page = desk.get(reverse("desk:member", args=[maya.pk])).content.decode()
    assert "card 04A3F2B1" in page and "Replace card" in page


def test_a_replaced_card_no_longer_opens_the_door(desk, frozen_clock, maya):
    said = give(desk, maya, "NEW-0002")

    maya.refresh_from_db()
    assert maya.card_token == "NEW0002"
    assert said == ["Card NEW0002 given to Maya. The old card no longer opens the door."]
    assert maya.events.get(kind=MemberEvent.Kind.CARD_GIVEN).data == {"replaced": True}
    assert scan("MAYA-0001", maya.home_club) is None  # unknown card
    page = desk.get(reverse("desk:member", args=[maya.pk])).content.decode()
    assert "replacing the old card" in page


def test_a_card_another_member_holds_is_refused_without_naming_them(
    desk, frozen_clock, maya, riverside
):
    MemberFactory(home_club=riverside, first_name="Rosa", last_name="Visser", card_token="ROSA-1")

    said = give(desk, maya, "rosa-1")

    maya.refresh_from_db()
    assert maya.card_token == "MAYA0001"
    assert said == [
        "That card is already another member's. Give them another card, or take this one "
        "back from its holder first."
    ]
    assert "Rosa" not in said[0]
    assert not maya.events.filter(kind=MemberEvent.Kind.CARD_GIVEN).exists()


@pytest.mark.parametrize("typed", ["", "   ", "X" * 65])
def test_a_blank_or_overlong_card_is_an_error_and_changes_nothing(desk, maya, typed):
    said = give(desk, maya, typed)

    maya.refresh_from_db()
    assert maya.card_token == "MAYA0001"
    assert len(said) == 1 and ("Scan the card" in said[0] or "at most 64" in said[0])
    assert not maya.events.filter(kind=MemberEvent.Kind.CARD_GIVEN).exists()


def test_giving_the_card_they_already_hold_changes_nothing(maya, fiona):
    assert cards.give_card(maya, "maya-0001", by=fiona) is False
    assert not maya.events.filter(kind=MemberEvent.Kind.CARD_GIVEN).exists()
