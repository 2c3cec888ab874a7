"""An email typed with another member's address under another name (leads.email_of_another):
Jan Jansen typing Aisha Müller's address at the desk, in the back-office or through the API is
not Aisha. Nothing is written — no consent on Aisha, no lead — and the desk is told whose it
is; the same person (same name) still opens their card, saying what was recorded."""

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from club.models import Integration
from members import leads
from members.models import ConsentLog, Member, MemberEvent
from tests.factories import MemberFactory

pytestmark = pytest.mark.django_db

JAN = {
    "first_name": "Jan",
    "last_name": "Jansen",
    "phone": "06 11122233",
    "email": "AISHA.MULLER@example.com",
    "sms_consent": "on",
}


@pytest.fixture
def aisha(downtown):
    return MemberFactory(
        home_club=downtown,
        first_name="Aisha",
        last_name="Müller",
        email="aisha.muller@example.com",
        phone="+31655554444",
        sms_consent=False,
        email_consent=False,
    )


def nothing_written_on(aisha) -> bool:
    aisha.refresh_from_db()
    return (
        Member.objects.count() == 1
        and not aisha.sms_consent
        and not ConsentLog.objects.exists()
        and not MemberEvent.objects.exists()
    )


def told(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


# --- the rule -------------------------------------------------------------------------------


def test_capture_refuses_another_member_s_email_under_another_name(frozen_clock, downtown, aisha):
    with pytest.raises(leads.EmailOfAnother) as refused:
        leads.capture(
            downtown,
            first_name="Jan",
            last_name="Jansen",
            email="Aisha.Muller@example.com",
            phone="+31611122233",
            sms_consent=True,
            source="walk_in",
            consent_source="desk",
        )

    assert refused.value.owner == aisha
    assert refused.value.message_dict == {
        "email": ["This email belongs to another member: Aisha M… — check it, or open their card."]
    }
    assert nothing_written_on(aisha)


def test_a_shared_address_is_the_one_who_bears_the_name(frozen_clock, downtown, aisha):
    # A household's one inbox: the typed name picks the person, and nobody is refused.
    omar = MemberFactory(
        home_club=downtown, first_name="Omar", last_name="Müller", email=aisha.email
    )

    assert (
        leads.email_of_another(downtown, first_name="OMAR", last_name="muller", email=aisha.email)
        is None
    )
    member, created = leads.capture(
        downtown,
        first_name="Omar",
        last_name="Muller",
        email=aisha.email,
        source="website",
        consent_source="test",
    )
    assert (member, created) == (omar, False)


# --- the desk --------------------------------------------------------------------------------


def test_the_desk_refuses_jan_with_aisha_s_email_naming_her_briefly(desk, frozen_clock, aisha):
    response = desk.post(reverse("desk:new_lead"), JAN)

    assert response.status_code == 400
    html = response.content.decode()
    assert "This email belongs to another member: Aisha M… — check it, or" in html
    assert f'<a href="{reverse("desk:member", args=[aisha.pk])}">open their card</a>' in html
    # what was typed comes back, to correct
    assert 'value="Jan"' in html and 'value="AISHA.MULLER@example.com"' in html
    assert nothing_written_on(aisha)


def test_the_same_person_opens_their_card_saying_the_consent_recorded(
    desk, frozen_clock, aisha, fiona
):
    response = desk.post(
        reverse("desk:new_lead"),
        {**JAN, "first_name": "AISHA", "last_name": "Muller", "phone": "06 55554444"},
    )

    assert response["Location"] == reverse("desk:member", args=[aisha.pk])
    assert told(response) == ["Already known: opened their card; SMS consent recorded."]
    aisha.refresh_from_db()
    assert aisha.sms_consent and not aisha.email_consent
    log = ConsentLog.objects.get()
    assert (log.member, log.source, log.recorded_by) == (aisha, "desk", fiona)


def test_the_same_person_with_another_phone_is_told_it_was_not_copied(desk, frozen_clock, aisha):
    response = desk.post(
        reverse("desk:new_lead"),
        {
            "first_name": "Aisha",
            "last_name": "Müller",
            "email": aisha.email,
            "phone": "06 44443333",
        },
    )

    assert told(response) == [
        "Already known: opened their card.",
        "The phone +31644443333 typed is not on their card: nothing was changed. Edit the card "
        "if it is new.",
    ]
    aisha.refresh_from_db()
    assert str(aisha.phone) == "+31655554444"
    assert not ConsentLog.objects.exists()


# --- the back-office and the API ------------------------------------------------------------


def test_the_back_office_add_lead_refuses_it_at_the_email_field(client, fiona, downtown, aisha):
    client.force_login(fiona)

    response = client.post(
        reverse("members:add"),
        {
            "home_club": downtown.pk,
            "first_name": "Jan",
            "last_name": "Jansen",
            "email": aisha.email,
            "phone": "",
            "source": Member.Source.WALK_IN,
        },
    )

    assert response.status_code == 200
    assert response.context["form"].errors["email"] == [
        "This email belongs to another member: Aisha M… — check it, or open their card."
    ]
    assert nothing_written_on(aisha)


def test_the_api_answers_409_without_aisha_s_record(client, frozen_clock, downtown, aisha):
    _, token = Integration.issue(club=downtown, name="Website", scopes=["members"])

    response = client.post(
        reverse("api:members"),
        {**JAN, "phone": "+31611122233", "sms_consent": True, "consent_wording": "Text me."},
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )

    assert response.status_code == 409
    assert response.json()["code"] == "email_of_another"
    assert "Aisha" not in response.content.decode()
    assert nothing_written_on(aisha)
