"""Who is already known when a lead is captured (members.leads), on every path."""

import pytest

from members import leads
from members.models import Member, MemberEvent
from tests.factories import MemberFactory


def capture(club, **typed):
    return leads.capture(club, source="website", consent_source="test", **typed)


@pytest.fixture
def jose(downtown):
    return MemberFactory(
        home_club=downtown,
        first_name="José",
        last_name="Núñez",
        email="Jose.Nunez@example.com",
        phone="+31611112222",
    )


@pytest.mark.parametrize(
    "typed",
    [
        {"first_name": "jose", "last_name": "NÚÑEZ", "email": "jose.nunez@EXAMPLE.com"},
        {"first_name": "jose", "last_name": "NUNEZ", "phone": "+31611112222"},
        {"first_name": "José", "last_name": "Núñez", "phone": "+31611112222", "email": "x@e.com"},
    ],
)
def test_the_same_email_or_the_same_phone_and_name_is_the_known_person(
    frozen_clock, downtown, jose, typed
):
    member, created = capture(downtown, **typed)

    assert (member, created) == (jose, False)
    assert Member.objects.count() == 1


@pytest.mark.parametrize(
    "typed",
    [
        {"first_name": "Maria", "last_name": "Núñez", "phone": "+31611112222"},
        {"first_name": "José", "phone": "+31611112222"},  # half a name is not the name
        {"first_name": "José", "last_name": "Núñez", "phone": "+31699999999"},
        {"first_name": "!!", "phone": "+31611112222"},  # nothing left to compare once folded
    ],
)
def test_a_phone_without_the_same_name_makes_a_new_lead_with_what_was_typed(
    frozen_clock, downtown, jose, typed
):
    member, created = capture(downtown, email_consent=True, email="new@example.com", **typed)

    assert created
    assert (member.first_name, member.last_name, str(member.phone), member.email) == (
        typed["first_name"],
        typed.get("last_name", ""),
        typed["phone"],
        "new@example.com",
    )
    assert member.email_consent
    jose.refresh_from_db()
    assert (jose.full_name, jose.email, jose.email_consent) == (
        "José Núñez",
        "Jose.Nunez@example.com",
        False,
    )
    assert not jose.events.exists()


def test_a_new_lead_sharing_a_phone_gets_a_note_naming_the_others(frozen_clock, downtown, jose):
    others = [jose] + [
        MemberFactory(home_club=downtown, first_name=f"Kid{n}", last_name="", phone=jose.phone)
        for n in range(3)
    ]

    member, _ = capture(downtown, first_name="Mum", phone="+31611112222")

    # stored by id only; the names are read when it is shown
    note = member.events.get(kind=MemberEvent.Kind.SAME_PHONE)
    assert note.data == {"same_phone_as": [other.pk for other in others[:3]], "more": True}
    assert leads.same_phone_texts([note], member=member)[note.pk] == (
        f"Same phone as José Núñez (member #{jose.pk}), Kid0 (member #{others[1].pk}), "
        f"Kid1 (member #{others[2].pk}) and others: check whether this is the same person. "
        "Nothing was merged."
    )
    assert not any(other.events.exists() for other in others)


def test_a_new_lead_with_a_phone_nobody_has_gets_no_note(frozen_clock, downtown, jose):
    member, _ = capture(downtown, first_name="Ana", phone="+31633334444")

    assert list(member.events.values_list("kind", flat=True)) == ["lead_created"]


def test_a_known_person_at_another_club_is_not_known_here(frozen_clock, downtown, riverside):
    MemberFactory(
        home_club=riverside, first_name="Ana", email="ana@example.com", phone="+31633334444"
    )

    member, created = capture(
        downtown, first_name="Ana", email="ana@example.com", phone="+31633334444"
    )

    assert created and member.home_club == downtown
    assert not member.events.filter(kind=MemberEvent.Kind.NOTE).exists()


def test_without_email_or_phone_nobody_is_known(db, downtown, jose):
    assert leads.known_person(downtown, first_name="José", last_name="Núñez") is None
