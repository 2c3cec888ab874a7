"""A known person's capture fills in a phone or email their record lacks, never overwrites
one, and records consent only for an address the record holds (leads.fill_in,
leads.record_consent): through the website API, the desk's walk-in form and the service."""

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from club.models import Integration
from members import leads
from members.models import ConsentLog, Member, MemberEvent
from tests.factories import MemberFactory


@pytest.fixture
def website_token(downtown):
    _, token = Integration.issue(club=downtown, name="Website", scopes=["members"])
    return token


@pytest.fixture
def lena(downtown):
    """Known by email, with no phone and no consent yet."""
    return MemberFactory(
        home_club=downtown, first_name="Lena", last_name="Vos", email="lena@example.com", phone=""
    )


@pytest.fixture
def piet(downtown):
    """Known by phone and name, with no email and no consent yet."""
    return MemberFactory(
        home_club=downtown, first_name="Piet", last_name="Bos", email="", phone="+31611122233"
    )


def post(client, token, body):
    return client.post(
        reverse("api:members"),
        body,
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )


def test_api_fills_in_a_missing_phone_and_records_sms_consent_to_it(
    client, frozen_clock, lena, website_token
):
    body = {
        "first_name": "Lena",
        "last_name": "Vos",
        "email": "lena@example.com",
        "phone": "06 19988877",
        "sms_consent": True,
        "consent_wording": "Text me.",
    }

    response = post(client, website_token, body)

    assert response.status_code == 200
    assert (response.json()["phone"], response.json()["sms_consent"]) == ("+31619988877", True)
    lena.refresh_from_db()
    assert str(lena.phone) == "+31619988877"
    assert list(lena.consent_log.values_list("channel", "wording")) == [("sms", "Text me.")]


def test_api_keeps_another_phone_and_records_no_sms_consent_for_the_one_typed(
    client, frozen_clock, lena, website_token
):
    lena.phone = "+31655544433"
    lena.save()
    body = {
        "first_name": "Lena",
        "last_name": "Vos",
        "email": "lena@example.com",
        "phone": "06 19988877",
        "sms_consent": True,
        "email_consent": True,
    }

    response = post(client, website_token, body)

    # The person is found; her number stays, and consent went only to the address she has.
    assert response.status_code == 200
    assert (response.json()["phone"], response.json()["sms_consent"]) == ("+31655544433", False)
    assert response.json()["email_consent"] is True
    lena.refresh_from_db()
    assert str(lena.phone) == "+31655544433"
    assert list(ConsentLog.objects.values_list("channel", flat=True)) == ["email"]


def test_api_fills_in_a_missing_email_and_records_email_consent_to_it(
    client, frozen_clock, piet, website_token
):
    body = {
        "first_name": "Piet",
        "last_name": "Bos",
        "phone": "+31611122233",
        "email": "Piet@example.com",
        "email_consent": True,
    }

    response = post(client, website_token, body)

    assert response.status_code == 200
    piet.refresh_from_db()
    assert (piet.email, piet.email_consent) == ("Piet@example.com", True)


def test_api_keeps_another_email_and_records_no_email_consent(
    client, frozen_clock, piet, website_token
):
    piet.email = "piet@work.example.com"
    piet.save()
    body = {
        "first_name": "Piet",
        "last_name": "Bos",
        "phone": "+31611122233",
        "email": "piet@home.example.com",
        "email_consent": True,
    }

    response = post(client, website_token, body)

    assert response.status_code == 200
    assert response.json()["email"] == "piet@work.example.com"
    assert response.json()["email_consent"] is False
    assert not ConsentLog.objects.exists()


def test_an_email_another_club_s_member_has_is_not_filled_in_nor_consented_to(
    frozen_clock, downtown, riverside, piet
):
    MemberFactory(home_club=riverside, first_name="Rita", email="shared@example.com")

    member, created = leads.capture(
        downtown,
        first_name="Piet",
        last_name="Bos",
        phone="+31611122233",
        email="shared@example.com",
        email_consent=True,
        source="website",
        consent_source="test",
    )

    assert (member, created) == (piet, False)
    piet.refresh_from_db()
    assert piet.email == ""
    assert not ConsentLog.objects.exists()


def test_a_filled_in_phone_others_have_gets_the_same_phone_note(frozen_clock, downtown, lena):
    other = MemberFactory(home_club=downtown, first_name="Kees", phone="+31619988877")

    leads.capture(
        downtown,
        first_name="Lena",
        last_name="Vos",
        email="lena@example.com",
        phone="+31619988877",
        source="website",
        consent_source="test",
    )

    note = lena.events.get(kind=MemberEvent.Kind.SAME_PHONE)
    assert note.data == {"same_phone_as": [other.pk], "more": False}


def test_the_desk_fills_in_a_missing_phone_and_says_sms_consent_was_recorded(
    desk, frozen_clock, lena
):
    response = desk.post(
        reverse("desk:new_lead"),
        {
            "first_name": "Lena",
            "last_name": "Vos",
            "email": "lena@example.com",
            "phone": "06 19988877",
            "sms_consent": "on",
        },
    )

    assert response["Location"] == reverse("desk:member", args=[lena.pk])
    lena.refresh_from_db()
    assert (str(lena.phone), lena.sms_consent) == ("+31619988877", True)
    assert [str(m) for m in get_messages(response.wsgi_request)] == [
        "Already known: opened their card; SMS consent recorded."
    ]


def test_the_desk_keeps_another_phone_records_no_sms_consent_and_says_so(desk, frozen_clock, lena):
    lena.phone = "+31655544433"
    lena.save()

    response = desk.post(
        reverse("desk:new_lead"),
        {
            "first_name": "Lena",
            "last_name": "Vos",
            "email": "lena@example.com",
            "phone": "06 19988877",
            "sms_consent": "on",
        },
    )

    lena.refresh_from_db()
    assert (str(lena.phone), lena.sms_consent) == ("+31655544433", False)
    assert not ConsentLog.objects.exists()
    assert [str(m) for m in get_messages(response.wsgi_request)] == [
        "Already known: opened their card.",
        "The phone +31619988877 typed is not on their card: nothing was changed, nor consent "
        "to it recorded. Edit the card if it is new.",
    ]
    assert Member.objects.count() == 1
