"""The back-office member forms: interests as words, consent changes recorded by staff through
the consent log, Add refusing a lead nobody can reach, and Edit refusing another person's
email."""

import datetime as dt

import pytest
from django.urls import reverse

from checkin.models import ClassType
from members import consent
from members.interests import parse
from members.models import ConsentLog, Member, MemberEvent
from members.wagtail_hooks import MemberForm
from tests.factories import ClassTypeFactory, MemberFactory
from tests.test_admin_screens import member_form


def edit(client, user, member, **changes):
    client.force_login(user)
    return client.post(reverse("members:edit", args=[member.pk]), member_form(member, **changes))


# Interests


def test_interests_are_typed_as_words_separated_by_commas(client, fiona, maya):
    response = edit(client, fiona, maya, interests="Yoga, strength,  spin ,yoga")

    assert response.status_code == 302
    maya.refresh_from_db()
    assert maya.interests == ["yoga", "strength", "spin"]


def test_the_form_shows_the_interests_as_words(client, fiona, maya):
    Member.objects.filter(pk=maya.pk).update(interests=["yoga", "spin"])
    client.force_login(fiona)

    form = client.get(reverse("members:edit", args=[maya.pk])).context["form"]

    assert form["interests"].value() == "yoga, spin"


@pytest.mark.parametrize("cleared", ["", "  ", " , ,"])
def test_clearing_the_interests_saves_an_empty_list(client, fiona, maya, cleared):
    response = edit(client, fiona, maya, interests=cleared, notes="Knee")

    assert response.status_code == 302
    maya.refresh_from_db()
    assert (maya.interests, maya.notes) == ([], "Knee")


@pytest.mark.parametrize(
    "typed",
    ['["yoga"]', "yoga; spin", "y" * 41, ", ".join(f"word{n}" for n in range(21))],
)
def test_what_is_not_a_list_of_words_is_a_field_error_and_nothing_is_lost(
    client, fiona, maya, typed
):
    maya.interests = ["yoga"]
    maya.save()

    response = edit(client, fiona, maya, interests=typed, notes="Knee")

    assert response.status_code == 200
    form = response.context["form"]
    assert list(form.errors) == ["interests"]
    # What was typed comes back to be corrected, the rest of the form with it.
    assert (form["interests"].value(), form["notes"].value()) == (typed, "Knee")
    maya.refresh_from_db()
    assert (maya.interests, maya.notes) == (["yoga"], "")


def test_words_are_folded_as_rule_9_matches_them():
    assert parse("Weight  Loss, HIIT, Zoë-fit") == ["weight loss", "hiit", "zoë-fit"]


def test_a_class_types_interests_are_the_same_words(client, max, downtown):
    spin = ClassTypeFactory(club=downtown, name="Spin", interests=[])
    client.force_login(max)
    form = {"club": downtown.pk, "name": "Spin", "description": "", "interests": "Spin, cardio"}

    saved = client.post(reverse("class_types:edit", args=[spin.pk]), form)
    refused = client.post(
        reverse("class_types:edit", args=[spin.pk]), {**form, "interests": '["spin"]'}
    )

    assert saved.status_code == 302
    assert refused.status_code == 200 and list(refused.context["form"].errors) == ["interests"]
    assert ClassType.objects.get(pk=spin.pk).interests == ["spin", "cardio"]


# Consent recorded by staff


def test_staff_record_that_a_member_withdrew_sms_consent(client, frozen_clock, fiona, maya):
    data = member_form(maya, consent_wording="Phoned: stop texting me.")
    del data["consent_sms"]
    client.force_login(fiona)

    response = client.post(reverse("members:edit", args=[maya.pk]), data)

    assert response.status_code == 302
    maya.refresh_from_db()
    assert (maya.sms_consent, maya.email_consent) == (False, True)
    entry = maya.consent_log.order_by("-pk").first()
    assert (entry.channel, entry.granted, entry.source, entry.recorded_by, entry.wording) == (
        "sms",
        False,
        "staff",
        fiona,
        "Phoned: stop texting me.",
    )
    event = maya.events.get(kind=MemberEvent.Kind.CONSENT_CHANGED)
    assert event.actor == fiona
    assert event.data == {"channel": "sms", "granted": False, "source": "staff"}


def test_a_withdrawal_needs_no_words(client, fiona, maya):
    data = member_form(maya)
    del data["consent_email"]
    client.force_login(fiona)

    response = client.post(reverse("members:edit", args=[maya.pk]), data)

    assert response.status_code == 302
    logged = maya.consent_log.filter(source="staff").values_list("channel", "granted", "wording")
    assert list(logged) == [("email", False, "")]


def test_staff_record_consent_given_with_what_the_member_agreed_to(client, fiona, downtown):
    lena = MemberFactory(home_club=downtown, first_name="Lena", interests=[])
    wording = "Phoned 24 Nov: yes, text me about classes."

    response = edit(client, fiona, lena, consent_sms="on", consent_wording=wording)

    assert response.status_code == 302
    lena.refresh_from_db()
    assert (lena.sms_consent, lena.email_consent) == (True, False)
    assert list(lena.consent_log.values_list("channel", "granted", "source", "wording")) == [
        ("sms", True, "staff", wording)
    ]


def test_an_unchanged_box_writes_no_consent_log(client, fiona, maya):
    before = ConsentLog.objects.count()

    response = edit(client, fiona, maya, notes="Prefers mornings")

    assert response.status_code == 302
    assert ConsentLog.objects.count() == before
    assert not maya.events.filter(kind=MemberEvent.Kind.CONSENT_CHANGED).exists()


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        # Given without the words the member agreed to: nothing to show for it later.
        ({"consent_sms": "on"}, "consent_wording"),
        ({"consent_sms": "on", "phone": "", "consent_wording": "Yes"}, "consent_sms"),
        ({"consent_email": "on", "email": "", "consent_wording": "Yes"}, "consent_email"),
    ],
)
def test_consent_given_without_words_or_a_way_to_send_is_a_field_error(
    client, fiona, downtown, changes, field
):
    lena = MemberFactory(home_club=downtown, first_name="Lena", interests=[])

    response = edit(client, fiona, lena, **changes)

    assert response.status_code == 200
    assert list(response.context["form"].errors) == [field]
    lena.refresh_from_db()
    assert (lena.sms_consent, lena.email_consent) == (False, False)
    assert not lena.consent_log.exists()


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


# Saving only what the form changed


def test_a_stop_that_lands_between_loading_the_form_and_saving_it_survives(
    client, frozen_clock, fiona, maya
):
    # given Fiona opens Maya's record, SMS consent ticked
    client.force_login(fiona)
    page = client.get(reverse("members:edit", args=[maya.pk]))
    assert 'name="consent_sms_shown"' in page.content.decode()
    assert page.context["form"]["consent_sms"].value() is True
    loaded = member_form(maya, consent_sms_shown="True", consent_email_shown="True")

    # when Maya texts STOP, and then Fiona saves a note, the box as she saw it
    consent.set_consent(maya, "sms", granted=False, source="sms_stop")
    response = client.post(reverse("members:edit", args=[maya.pk]), {**loaded, "notes": "Knee"})

    # then the note is saved and the withdrawal stands, with no consent logged by Fiona
    assert response.status_code == 302
    maya.refresh_from_db()
    assert (maya.notes, maya.sms_consent, maya.email_consent) == ("Knee", False, True)
    assert maya.consent_log.order_by("-pk").values_list("source", "granted")[0] == (
        "sms_stop",
        False,
    )
    assert not maya.consent_log.filter(recorded_by=fiona).exists()


def test_a_stop_that_lands_while_the_form_is_being_saved_survives(
    client, frozen_clock, fiona, maya, monkeypatch
):
    # given Fiona saves a note; Maya's STOP commits after the record was read for the save
    # (simulated by writing it as the form is validated, after the view loaded the row)
    validate = MemberForm.clean

    def stop_meanwhile(form):
        Member.objects.filter(pk=maya.pk).update(sms_consent=False)
        return validate(form)

    monkeypatch.setattr(MemberForm, "clean", stop_meanwhile)

    # when
    response = edit(client, fiona, maya, notes="Knee")

    # then only the note is written: the record as loaded does not put consent back
    assert response.status_code == 302
    maya.refresh_from_db()
    assert (maya.notes, maya.sms_consent) == ("Knee", False)


def test_a_box_the_staff_member_did_tick_is_still_a_consent_change(
    client, frozen_clock, fiona, maya
):
    # given the form showed SMS consent off
    Member.objects.filter(pk=maya.pk).update(sms_consent=False)
    maya.refresh_from_db()

    # when Fiona ticks it without saying what Maya agreed to
    response = edit(client, fiona, maya, consent_sms="on", consent_sms_shown="False")

    # then it is a field error and nothing is written
    assert response.status_code == 200
    assert response.context["form"].errors == {
        "consent_wording": ["Write what the member agreed to: the consent log keeps it."]
    }
    maya.refresh_from_db()
    assert maya.sms_consent is False


# From the desk's member card


def test_the_member_card_links_to_the_edit_form_and_saving_returns_to_the_card(client, fiona, maya):
    client.force_login(fiona)
    card = reverse("desk:member", args=[maya.pk])

    html = client.get(card).content.decode()
    edit_url = f"{reverse('members:edit', args=[maya.pk])}?next={card}"
    assert f'href="{edit_url}" data-edit-details>Edit details</a>' in html

    form = client.get(reverse("members:edit", args=[maya.pk]), {"next": card})
    assert f'action="{reverse("members:edit", args=[maya.pk])}?next=' in form.content.decode()
    response = client.post(
        f"{reverse('members:edit', args=[maya.pk])}?next={card}",
        member_form(maya, phone="+31 6 1234 5679"),
    )

    assert response.status_code == 302 and response["Location"] == card
    maya.refresh_from_db()
    assert maya.phone == "+31612345679"


def test_the_edit_form_does_not_send_staff_to_another_site(client, fiona, maya):
    edit_url = reverse("members:edit", args=[maya.pk])
    client.force_login(fiona)

    response = client.post(f"{edit_url}?next=https://evil.example/", member_form(maya))

    assert response.status_code == 302 and response["Location"] == reverse("members:index")


# Birth date: one rule with the import (members.models.birth_date_problem)


def test_a_possible_birth_date_saves(client, frozen_clock, fiona, maya):
    response = edit(client, fiona, maya, birth_date="1906-01-01")

    assert response.status_code == 302
    maya.refresh_from_db()
    assert maya.birth_date == dt.date(1906, 1, 1)


@pytest.mark.parametrize(
    ("typed", "error"),
    [
        ("2026-11-24", "24-11-2026 is in the future."),
        ("2030-01-01", "01-01-2030 is in the future."),
        ("1905-12-31", "31-12-1905 is more than 120 years ago."),
        ("1800-01-01", "01-01-1800 is more than 120 years ago."),
    ],
)
def test_an_impossible_birth_date_is_a_field_error_and_saves_nothing(
    client, frozen_clock, fiona, maya, typed, error
):
    # given Maya, born 17 May 1992, on 23 November 2026 at Downtown
    # when Fiona types a birth date no member can have
    response = edit(client, fiona, maya, birth_date=typed, notes="Knee")

    # then the form says why on the field, as the import would, and nothing is saved
    assert response.status_code == 200
    assert response.context["form"].errors["birth_date"] == [error]
    maya.refresh_from_db()
    assert (maya.birth_date, maya.notes) == (dt.date(1992, 5, 17), "")


def test_today_is_the_clubs_today(client, frozen_clock, fiona, maya):
    # given 00:30 on 24 November in Amsterdam, still the 23rd in UTC
    frozen_clock.move_to("2026-11-23 23:30:00+00:00")

    # when a baby born today at the club is entered
    response = edit(client, fiona, maya, birth_date="2026-11-24")

    # then the date is not in the future
    assert response.status_code == 302
    maya.refresh_from_db()
    assert maya.birth_date == dt.date(2026, 11, 24)
