""" "Register a walk-in lead" after a search that found nobody fills in what was searched for:
a name as first and last name, an email as the email, a phone as the phone."""

import re

import pytest
from django.urls import reverse

HTMX = {"HTTP_HX_REQUEST": "true", "HTTP_HX_CURRENT_URL": "http://testserver/admin/desk/"}


def field_values(html: str) -> dict[str, str]:
    values = {}
    for name in ("first_name", "last_name", "email", "phone"):
        tag = re.search(rf'<input[^>]*name="{name}"[^>]*>', html).group(0)
        value = re.search(r'value="([^"]*)"', tag)
        values[name] = value.group(1) if value else ""
    return values


def lead_form_after_searching(desk, query: str) -> dict[str, str]:
    results = desk.get(reverse("desk:search"), {"q": query}, **HTMX).content.decode()
    link = re.search(r'href="([^"]+)">Register a walk-in lead', results).group(1)
    response = desk.get(link.replace("&amp;", "&"))
    assert response.status_code == 200
    return field_values(response.content.decode())


def test_a_name_searched_for_becomes_the_leads_name(desk, frozen_clock, maya):
    values = lead_form_after_searching(desk, "Ana van der Kovač")

    assert values == {
        "first_name": "Ana",
        "last_name": "van der Kovač",
        "email": "",
        "phone": "",
    }


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        pytest.param("ana@example.com", {"email": "ana@example.com"}, id="email"),
        pytest.param("06 2222 3333", {"phone": "06 22223333"}, id="phone, as the club shows it"),
        pytest.param("9876", {"phone": "9876"}, id="the last digits, as typed"),
        pytest.param("Ana", {"first_name": "Ana"}, id="one word"),
    ],
)
def test_an_email_or_phone_goes_in_its_own_field(desk, frozen_clock, maya, query, expected):
    values = lead_form_after_searching(desk, query)

    assert values == {"first_name": "", "last_name": "", "email": "", "phone": "", **expected}


@pytest.mark.parametrize("query", ["04AB12CD99", "X7 Y8"])
def test_a_card_or_other_code_fills_in_nothing(desk, frozen_clock, maya, query):
    values = lead_form_after_searching(desk, query)

    assert values == {"first_name": "", "last_name": "", "email": "", "phone": ""}


def test_the_desks_own_button_opens_a_blank_form(desk, frozen_clock, maya):
    html = desk.get(reverse("desk:new_lead")).content.decode()

    assert field_values(html) == {"first_name": "", "last_name": "", "email": "", "phone": ""}


def test_what_was_typed_is_escaped_and_nothing_is_saved_until_submitted(
    desk, frozen_clock, maya, downtown
):
    html = desk.get(reverse("desk:new_lead"), {"q": '<b>"Ana'}).content.decode()

    assert field_values(html)["first_name"] == "&lt;b&gt;&quot;Ana"
    assert downtown.members.count() == 1  # Maya only
