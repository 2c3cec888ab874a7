"""Two members of one name in search results are told apart: birth date, the phone's last
digits for staff who see contacts, and the home club when the staff member works at several."""

import datetime as dt

import pytest
from django.urls import reverse

from club import roles
from tests.factories import MemberFactory, UserFactory

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true", "HTTP_HX_CURRENT_URL": "http://testserver/admin/desk/"}


@pytest.fixture
def lauras(downtown, riverside):
    return [
        MemberFactory(
            home_club=downtown,
            first_name="Laura",
            last_name="García",
            birth_date=dt.date(1990, 3, 12),
            phone="+31612345678",
        ),
        MemberFactory(
            home_club=riverside,
            first_name="Laura",
            last_name="García",
            birth_date=None,
            phone="+31687654321",
        ),
        MemberFactory(
            home_club=downtown, first_name="Laura", last_name="García", birth_date=None, phone=""
        ),
    ]


def results(client, query="laura garcia") -> str:
    response = client.get(reverse("desk:search"), {"q": query}, **HTMX)
    assert response.status_code == 200
    return response.content.decode()


def test_the_desk_shows_birth_date_and_last_phone_digits_of_each(client, fiona, lauras):
    client.force_login(fiona)

    html = results(client)

    assert "born 12 Mar 1990 · phone …678" in html
    # nothing else to go by: the member number
    assert f"no. {lauras[2].pk}" in html
    # never the whole number, and no club name for staff of one club
    assert "12345678" not in html
    assert "Downtown" not in html
    # Riverside's Laura is not ours
    assert "…321" not in html


def test_staff_of_several_clubs_also_see_the_home_club(client, downtown, riverside, lauras):
    area = UserFactory(username="ada", clubs=[downtown, riverside], roles=[roles.FRONT_DESK])
    client.force_login(area)

    html = results(client)

    assert "born 12 Mar 1990 · phone …678 · Downtown" in html
    assert "phone …321 · Riverside" in html
    assert f"no. {lauras[2].pk} · Downtown" in html


def test_tell_apart_leaves_the_phone_out_for_staff_who_see_no_contacts(lauras):
    assert lauras[0].tell_apart(contacts=False, club_name=False) == ["born 12 Mar 1990"]
    assert lauras[1].tell_apart(contacts=False, club_name=True) == [
        f"no. {lauras[1].pk}",
        "Riverside",
    ]


def test_a_trainer_s_member_list_tells_them_apart_by_birth_year_without_phones(client, tom, lauras):
    client.force_login(tom)

    response = client.get(reverse("members:index"), {"q": "laura garcia"})

    html = response.content.decode()
    # the year tells the two Lauras apart; the birthday is not a trainer's to know
    assert "Born" in html and "1990" in html
    assert "12 Mar" not in html and "1990-03-12" not in html
    assert "678" not in html


def test_a_trainer_s_member_chooser_shows_the_birth_year_only(client, tom, lauras):
    client.force_login(tom)

    response = client.get(reverse("member_chooser:choose_results"), {"q": "laura"})

    html = response.content.decode()
    assert "1990" in html and "12 Mar" not in html


def test_the_front_desk_s_member_list_shows_the_whole_birth_date(client, fiona, lauras):
    client.force_login(fiona)

    response = client.get(reverse("members:index"), {"q": "laura garcia"})

    assert "12 Mar 1990" in response.content.decode()


def test_the_member_chooser_shows_the_birth_date(client, fiona, lauras):
    client.force_login(fiona)

    response = client.get(reverse("member_chooser:choose_results"), {"q": "laura"})

    assert "12 Mar 1990" in response.content.decode()
