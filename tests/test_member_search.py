"""Member.objects.search: what the front desk types or scans finds the right member."""

import pytest

from members.models import Member
from tests.factories import MemberFactory


@pytest.fixture
def jose(downtown):
    return MemberFactory(
        home_club=downtown,
        first_name="José",
        last_name="Núñez García",
        email="Jose.Nunez@Example.com",
        phone="+31687654321",
        card_token="04A1B2C3",
    )


@pytest.fixture
def others(downtown):
    return [
        MemberFactory(home_club=downtown, first_name="Anna", last_name="de Boer"),
        MemberFactory(home_club=downtown, first_name="Joséphine", last_name="Smit"),
    ]


@pytest.mark.parametrize(
    "query",
    [
        "jose",
        "JOSE",
        "nunez",
        "Núñez",
        "garc",
        "jose nunez",
        "nunez jose",
        "  José  ",
        "06 8765 4321",
        "+31 6 87654321",
        "0031687654321",
        "(06) 87-65-43-21",
        "jose.nunez@example.com",
        "04A1B2C3",
    ],
)
def test_finds_the_member_by_any_common_form(jose, others, query):
    assert jose in Member.objects.search(query)


def test_every_word_must_match(jose, others):
    assert list(Member.objects.search("jose boer")) == []
    assert [m.first_name for m in Member.objects.search("josephine smit")] == ["Joséphine"]


def test_partial_name_matches_several(jose, others):
    assert {m.first_name for m in Member.objects.search("jos")} == {"José", "Joséphine"}


@pytest.mark.parametrize("query", ["", "   "])
def test_empty_query_finds_nothing(jose, query):
    assert list(Member.objects.search(query)) == []


def test_a_nul_character_is_ignored_rather_than_sent_to_the_database(jose):
    assert list(Member.objects.search("jo\x00se")) == [jose]
    assert list(Member.objects.search("\x00")) == []


def test_card_token_is_exact(jose):
    assert list(Member.objects.search("04A1B2")) == []


def test_card_token_matches_in_either_case_and_is_stored_upper_case(jose, downtown):
    assert list(Member.objects.search("04a1b2c3")) == [jose]
    fob = MemberFactory(home_club=downtown, card_token=" 0a1b2c ")
    assert fob.card_token == "0A1B2C"


def test_renaming_keeps_search_in_step(jose):
    jose.last_name = "Ødegård"
    jose.save(update_fields=["last_name"])

    assert jose in Member.objects.search("odegard")
    assert jose not in Member.objects.search("nunez")


def test_bulk_created_members_are_searchable(downtown):
    Member.objects.bulk_create([MemberFactory.build(home_club=downtown, first_name="Zoë")])

    assert [m.first_name for m in Member.objects.search("zoe")] == ["Zoë"]


def test_bulk_create_takes_a_generator(downtown):
    names = ("Ada", "Bea")
    Member.objects.bulk_create(MemberFactory.build(home_club=downtown, first_name=n) for n in names)

    assert sorted(m.first_name for m in Member.objects.search("a")) == ["Ada", "Bea"]


def test_the_start_of_an_email_address_finds_the_member(jose):
    assert list(Member.objects.search("jose.nun")) == [jose]
    assert list(Member.objects.search("JOSE.NUNEZ@EXA")) == [jose]


def test_an_email_start_is_matched_literally(jose):
    assert list(Member.objects.search("jose.nunez@e_ample")) == []  # "_" is no wildcard
    assert list(Member.objects.search("jose.nunez@e%ample")) == []
