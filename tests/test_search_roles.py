"""Who may search by what: trainers find members by name and card only, since a search by a
phone or an email would tell them whose it is; the desk, marketing and managers search all."""

import pytest
from django.urls import reverse

from members.models import Member
from tests.factories import MemberFactory

pytestmark = pytest.mark.django_db

CONTACT_QUERIES = ["0318", "06 1234 0318", "+31612340318", "nb1985@example.com", "nb1985"]


@pytest.fixture
def niels(downtown):
    return MemberFactory(
        home_club=downtown,
        first_name="Niels",
        last_name="Bos",
        phone="+31612340318",
        email="nb1985@example.com",
        card_token="NB01",
    )


@pytest.mark.parametrize("query", CONTACT_QUERIES)
def test_without_contacts_a_phone_or_email_finds_nobody(niels, query):
    assert list(Member.objects.search(query)) == [niels]
    assert list(Member.objects.search(query, contacts=False)) == []


@pytest.mark.parametrize("query", ["niels", "bos", "niels bos", "nb01", "NB 01"])
def test_without_contacts_the_name_and_card_still_find_them(niels, query):
    assert list(Member.objects.search(query, contacts=False)) == [niels]


@pytest.mark.parametrize("query", CONTACT_QUERIES)
def test_a_trainer_s_member_list_finds_nobody_by_phone_or_email(client, tom, niels, query):
    client.force_login(tom)

    response = client.get(reverse("members:index"), {"q": query})

    assert response.status_code == 200
    assert list(response.context["object_list"]) == []


@pytest.mark.parametrize("query", ["Niels Bos", "NB01"])
def test_a_trainer_s_member_list_finds_them_by_name_or_card(client, tom, niels, query):
    client.force_login(tom)

    response = client.get(reverse("members:index"), {"q": query})

    assert list(response.context["object_list"]) == [niels]


@pytest.mark.parametrize("user", ["fiona", "mia", "max"])
def test_staff_who_see_contacts_find_them_by_phone(request, client, niels, user):
    client.force_login(request.getfixturevalue(user))

    response = client.get(reverse("members:index"), {"q": "0318"})

    assert list(response.context["object_list"]) == [niels]


def test_a_trainer_s_member_chooser_finds_nobody_by_phone_and_says_what_it_searches(
    client, tom, niels
):
    client.force_login(tom)

    by_phone = client.get(reverse("member_chooser:choose_results"), {"q": "0318"})
    by_name = client.get(reverse("member_chooser:choose_results"), {"q": "niels"})
    dialog = client.get(reverse("member_chooser:choose"))

    assert by_phone.status_code == 200
    assert "Niels Bos" not in by_phone.content.decode()
    assert "Niels Bos" in by_name.content.decode()
    assert "Name or card" in dialog.json()["html"]


def test_the_desk_s_member_chooser_still_finds_them_by_phone(client, fiona, niels):
    client.force_login(fiona)

    response = client.get(reverse("member_chooser:choose_results"), {"q": "0318"})

    assert "Niels Bos" in response.content.decode()
