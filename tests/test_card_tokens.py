"""Card tokens in every spelling: a card given as printed ("04 ab cd ef 12 34") is the card
a reader sends as 04ABCDEF1234, at the desk, in search, at the turnstile and in the API."""

import importlib

import pytest
from django.apps import apps
from django.urls import reverse

from checkin.models import Visit
from club.models import Integration
from members import search
from members.models import Member
from tests.factories import MemberFactory
from tests.test_admin_screens import member_form

migration = importlib.import_module("members.migrations.0021_card_tokens_without_separators")


SPELLINGS = ["04 ab cd ef 12 34", "04ABCDEF1234", "04:AB:CD:EF:12:34", "04-ab-cd-ef-12-34"]


@pytest.mark.parametrize(
    ("typed", "token"),
    [
        ("04 ab cd ef 12 34", "04ABCDEF1234"),
        (" 04:AB:CD:EF:12:34\n", "04ABCDEF1234"),
        ("04-ab-cd\tef", "04ABCDEF"),
        ("04ABCDEF1234", "04ABCDEF1234"),
        ("- : -", ""),
    ],
)
def test_a_token_drops_spaces_dashes_and_colons_and_is_upper_case(typed, token):
    assert search.card_token(typed) == token


@pytest.mark.parametrize("given", SPELLINGS)
def test_a_card_given_at_the_desk_in_any_spelling_is_stored_plain(desk, frozen_clock, maya, given):
    desk.post(reverse("desk:card", args=[maya.pk]), {"card": given})

    maya.refresh_from_db()
    assert maya.card_token == "04ABCDEF1234"


@pytest.mark.parametrize("given", ["- -", ":::"])
def test_a_card_of_separators_only_is_refused_and_changes_nothing(desk, frozen_clock, maya, given):
    response = desk.post(reverse("desk:card", args=[maya.pk]), {"card": given})

    assert response.status_code == 302
    maya.refresh_from_db()
    assert maya.card_token == "MAYA0001"


@pytest.mark.parametrize("stored", ["04 ab cd ef 12 34", "04ABCDEF1234"])
@pytest.mark.parametrize("scanned", SPELLINGS)
def test_the_desk_scan_admits_whichever_spelling_was_stored_or_scanned(
    desk, frozen_clock, maya, stored, scanned
):
    maya.card_token = stored  # as an import or the edit form would save it
    maya.save()

    response = desk.post(reverse("desk:scan"), {"q": scanned})

    assert response.status_code == 200
    assert Visit.objects.filter(member=maya).count() == 1


@pytest.mark.parametrize("typed", SPELLINGS)
def test_search_finds_the_card_in_any_spelling(frozen_clock, maya, typed):
    maya.card_token = "04 ab cd ef 12 34"
    maya.save()

    assert list(Member.objects.search(typed)) == [maya]


def test_imported_members_are_stored_plain(downtown):
    Member.objects.bulk_create(
        [Member(home_club=downtown, first_name="Ida", card_token="04 ab:cd-ef")]
    )

    assert Member.objects.get(first_name="Ida").card_token == "04ABCDEF"


@pytest.mark.parametrize("scanned", SPELLINGS)
def test_the_api_checks_in_whichever_spelling_the_reader_sends(
    client, frozen_clock, maya, downtown, scanned
):
    maya.card_token = "04 AB CD EF 12 34"
    maya.save()
    _, token = Integration.issue(club=downtown, name="Main entrance", scopes=["checkin"])

    response = client.post(
        reverse("api:checkins"),
        {"card": scanned},
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )

    assert response.status_code == 200
    assert response.json()["allowed"] is True


@pytest.mark.parametrize("typed", ["04 ab cd ef 12 34", "04ABCDEF1234"])
def test_the_members_api_search_finds_the_card_in_either_spelling(client, maya, downtown, typed):
    maya.card_token = "04ABCDEF1234"
    maya.save()
    _, token = Integration.issue(club=downtown, name="Website", scopes=["members"])

    response = client.get(
        reverse("api:members"), {"q": typed}, HTTP_AUTHORIZATION=f"Bearer {token}"
    )

    assert [row["id"] for row in response.json()["results"]] == [maya.pk]


def test_the_migration_makes_stored_tokens_plain_and_reports_collisions(downtown, capsys):
    # given tokens stored before this change (update() skips save(), as old rows were written)
    plain = MemberFactory(home_club=downtown, card_token="AA11")
    spelled = MemberFactory(home_club=downtown, card_token="CARD0001")
    taken = MemberFactory(home_club=downtown, card_token="CARD0002")
    twin_a = MemberFactory(home_club=downtown, card_token="CARD0003")
    twin_b = MemberFactory(home_club=downtown, card_token="CARD0004")
    Member.objects.filter(pk=spelled.pk).update(card_token="04 ab cd ef")
    Member.objects.filter(pk=taken.pk).update(card_token="aa:11")
    Member.objects.filter(pk=twin_a.pk).update(card_token="bb-22")
    Member.objects.filter(pk=twin_b.pk).update(card_token="BB 22")

    migration.plain_tokens(apps, None)

    tokens = dict(Member.objects.values_list("pk", "card_token"))
    assert tokens[spelled.pk] == "04ABCDEF"
    # a collision is skipped and reported, not a failed migration
    assert (tokens[plain.pk], tokens[taken.pk]) == ("AA11", "aa:11")
    assert (tokens[twin_a.pk], tokens[twin_b.pk]) == ("bb-22", "BB 22")
    said = capsys.readouterr().out
    assert f"member #{taken.pk}: card 'aa:11' kept as it is, since member #{plain.pk}" in said
    assert f"member #{twin_a.pk}: card 'bb-22' kept" in said
    assert f"member #{twin_b.pk}: card 'BB 22' kept" in said
    assert f"#{spelled.pk}:" not in said


def test_the_edit_form_stores_a_spelled_card_plain(client, max, maya):
    client.force_login(max)

    response = client.post(
        reverse("members:edit", args=[maya.pk]), member_form(maya, card_token="04 ab-cd:ef")
    )

    assert response.status_code == 302
    maya.refresh_from_db()
    assert maya.card_token == "04ABCDEF"


def test_the_edit_form_refuses_another_member_s_card_in_any_spelling(client, max, maya, downtown):
    MemberFactory(home_club=downtown, card_token="04ABCDEF")
    client.force_login(max)

    response = client.post(
        reverse("members:edit", args=[maya.pk]), member_form(maya, card_token="04 ab cd ef")
    )

    assert response.status_code == 200
    assert "already exists" in response.content.decode()
    maya.refresh_from_db()
    assert maya.card_token == "MAYA0001"
