"""Phones on the desk and the member card: as people say them at the club, one filter for all."""

import re

import pytest
from django.urls import reverse
from phonenumber_field.phonenumber import to_python

from club.templatetags.phones import phone
from tests.factories import ClubFactory, MemberFactory


def contact_line(html: str) -> str:
    line = re.search(r'<p class="member-card__contact">(.*?)</p>', html, re.DOTALL).group(1)
    return " ".join(re.sub(r"\{#.*?#\}", "", line).split())


@pytest.mark.parametrize(
    ("stored", "shown"),
    [
        pytest.param("+31612345678", "06 12345678", id="the club's country: national"),
        pytest.param("+442079460542", "+44 20 7946 0542", id="another country: international"),
        pytest.param("", "", id="none"),
        pytest.param("12345", "12345", id="not a valid number: as stored"),
    ],
)
def test_the_card_shows_the_phone_as_dialled_at_the_club(
    client, fiona, frozen_clock, downtown, stored, shown
):
    member = MemberFactory(home_club=downtown, phone=stored, email="ana@example.com")
    client.force_login(fiona)

    html = client.get(reverse("desk:member", args=[member.pk])).content.decode()

    assert contact_line(html).startswith(f"{shown} · ana@example.com" if shown else "ana@")
    assert "+31612345678" not in contact_line(html)


@pytest.mark.parametrize(
    ("stored_phone", "email", "line"),
    [
        pytest.param("", "ana@example.com", "ana@example.com · SMS ✖", id="no phone"),
        pytest.param("+31612345678", "", "06 12345678 · SMS ✖", id="no email"),
        pytest.param("", "", "SMS ✖ · email ✖", id="neither"),
    ],
)
def test_the_card_header_has_no_dangling_separator(
    client, fiona, frozen_clock, downtown, stored_phone, email, line
):
    member = MemberFactory(
        home_club=downtown, phone=stored_phone, email=email, sms_consent=False, card_token=""
    )
    client.force_login(fiona)

    html = client.get(reverse("desk:member", args=[member.pk])).content.decode()

    assert contact_line(html).startswith(line)


@pytest.mark.parametrize(
    ("club_phone", "shown"),
    [
        pytest.param("+442079460000", "020 7946 0542", id="a London club"),
        pytest.param("+31201234567", "+44 20 7946 0542", id="an Amsterdam club"),
        pytest.param("", "+44 20 7946 0542", id="a club without a phone: the default region"),
    ],
)
def test_the_club_s_own_number_says_which_country_is_national(db, settings, club_phone, shown):
    settings.PHONENUMBER_DEFAULT_REGION = "NL"
    club = ClubFactory.build(phone=club_phone)

    assert phone(to_python("+442079460542"), club) == shown


@pytest.mark.parametrize("stored", ["12345", "not a number"])
def test_a_stored_value_that_is_no_valid_number_is_shown_as_it_is(stored):
    assert phone(to_python(stored), ClubFactory.build(phone="+31201234567")) == stored


def test_the_back_office_members_list_shows_phones_as_the_desk_does(client, fiona, downtown):
    MemberFactory(home_club=downtown, first_name="Ana", phone="+31612345678")
    MemberFactory(home_club=downtown, first_name="Ben", phone="+442079460542")
    MemberFactory(home_club=downtown, first_name="Cas", phone="")
    client.force_login(fiona)

    html = client.get(reverse("members:index")).content.decode()

    assert "06 12345678" in html and "+44 20 7946 0542" in html
    assert "+31612345678" not in html and "+442079460542" not in html


def test_the_members_list_still_sorts_by_phone(client, fiona, downtown):
    MemberFactory(home_club=downtown, first_name="Zed", phone="+31611111111")
    MemberFactory(home_club=downtown, first_name="Abe", phone="+31687654321")
    client.force_login(fiona)

    html = client.get(reverse("members:index"), {"ordering": "phone"}).content.decode()

    assert html.index("06 11111111") < html.index("06 87654321")
