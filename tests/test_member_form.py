"""The back-office member forms: Add refuses a lead nobody can reach, and Edit refuses another
person's email."""

import pytest
from django.urls import reverse

from members.models import Member
from tests.factories import MemberFactory
from tests.test_admin_screens import member_form


def edit(client, user, member, **changes):
    client.force_login(user)
    return client.post(reverse("members:edit", args=[member.pk]), member_form(member, **changes))


# Add: a lead needs a phone or an email


def test_add_refuses_a_lead_with_no_phone_and_no_email(client, fiona, downtown):
    client.force_login(fiona)

    response = client.post(
        reverse("members:add"),
        {"home_club": downtown.pk, "first_name": "Ana", "source": Member.Source.WALK_IN},
    )

    assert response.status_code == 200
    assert response.context["form"].non_field_errors() == [
        "Give a phone number or an email, so we can reach them."
    ]
    assert not Member.objects.exists()


@pytest.mark.parametrize("contact", [{"phone": "06 1111 2222"}, {"email": "ana@example.com"}])
def test_add_takes_a_lead_with_either_a_phone_or_an_email(client, fiona, downtown, contact):
    client.force_login(fiona)

    response = client.post(
        reverse("members:add"),
        {"home_club": downtown.pk, "first_name": "Ana", "source": "walk_in", **contact},
    )

    assert response.status_code == 302
    assert Member.objects.get().first_name == "Ana"


# Edit: one record per person


@pytest.mark.parametrize("club_name", ["Downtown", "Riverside"])
def test_edit_refuses_another_members_email_in_any_case(
    client, fiona, maya, downtown, riverside, club_name
):
    club = {"Downtown": downtown, "Riverside": riverside}[club_name]
    MemberFactory(home_club=club, first_name="Rita", email="rita.smit@example.com")

    response = edit(client, fiona, maya, email="RITA.Smit@example.com")

    assert response.status_code == 200
    assert response.context["form"].errors == {
        "email": [
            f"Someone with this email is already registered at {club_name}: the chain keeps "
            "one record per person."
        ]
    }
    maya.refresh_from_db()
    assert maya.email == "maya.jansen@example.com"


def test_edit_takes_a_new_email_no_one_has(client, fiona, maya):
    response = edit(client, fiona, maya, email="maya@example.org")

    assert response.status_code == 302
    maya.refresh_from_db()
    assert maya.email == "maya@example.org"


def test_a_record_that_already_shares_an_email_can_still_be_edited(client, fiona, maya, downtown):
    # From before the rule: a household's shared address, an import.
    MemberFactory(home_club=downtown, first_name="Tim", email="MAYA.JANSEN@example.com")

    response = edit(client, fiona, maya, notes="Prefers mornings")

    assert response.status_code == 302
    maya.refresh_from_db()
    assert maya.notes == "Prefers mornings"
