"""The check-in result's actions: one row in the green panel as in the red, no "Open card" on
the card that is already open, and "Admit anyway…" a button like the others."""

import re

from django.urls import reverse

from checkin import checkins
from checkin.models import Source

DESK = {"HTTP_HX_REQUEST": "true", "HTTP_HX_CURRENT_URL": "http://testserver/admin/desk/"}


def on_card(member) -> dict:
    url = f"http://testserver{reverse('desk:member', args=[member.pk])}"
    return {"HTTP_HX_REQUEST": "true", "HTTP_HX_CURRENT_URL": url}


def actions(html: str) -> str:
    # The row runs to the panel's end or its "Admit anyway…": nothing in it closes it early.
    return re.search(r'<div class="desk-actions">(.*?)</div>', html, re.DOTALL).group(1)


def test_undo_and_open_card_share_one_row_on_the_desk(desk, frozen_clock, maya):
    html = desk.post(reverse("desk:check_in", args=[maya.pk]), **DESK).content.decode()

    row = actions(html)
    assert ">Undo</button>" in row
    assert ">Open card</a>" in row
    assert '<p class="desk-actions">' not in html  # a form inside a <p> split it in two


def test_a_denial_offers_its_actions_in_one_row_and_admit_anyway_as_a_button(
    desk, frozen_clock, tom_berg
):
    html = desk.post(reverse("desk:check_in", args=[tom_berg.pk]), **DESK).content.decode()

    row = actions(html)
    assert ">Renew now</a>" in row
    assert ">Open card</a>" in row
    summary = re.search(r"<summary[^>]*>Admit anyway…</summary>", html).group(0)
    assert 'class="button button-secondary button-small"' in summary


def test_the_card_open_offers_no_open_card(desk, frozen_clock, maya, tom_berg):
    admitted = desk.post(reverse("desk:check_in", args=[maya.pk]), **on_card(maya))
    denied = desk.post(reverse("desk:check_in", args=[tom_berg.pk]), **on_card(tom_berg))

    assert ">Undo</button>" in admitted.content.decode()
    for response in (admitted, denied):
        assert response.status_code == 200
        assert "Open card" not in response.content.decode()


def test_an_undo_on_the_card_offers_no_open_card_either(desk, frozen_clock, maya):
    visit = checkins.check_in(maya, source=Source.DESK)
    url = reverse("desk:undo_check_in", args=[maya.pk, visit.pk])

    on_the_card = desk.post(url, **on_card(maya)).content.decode()

    assert "CHECK-IN UNDONE" in on_the_card
    assert "Open card" not in on_the_card


def test_another_members_card_or_no_javascript_still_offers_open_card(
    desk, frozen_clock, maya, tom_berg
):
    # A result landing on some other member's card (a second tab) links to its own member.
    elsewhere = desk.post(reverse("desk:check_in", args=[maya.pk]), **on_card(tom_berg))
    plain = desk.post(reverse("desk:check_in", args=[tom_berg.pk]))

    mayas_card = reverse("desk:member", args=[maya.pk])
    assert f'href="{mayas_card}">Open card' in elsewhere.content.decode()
    assert ">Open card</a>" in plain.content.decode()
