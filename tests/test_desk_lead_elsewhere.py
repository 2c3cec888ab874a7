"""A walk-in who is already registered at another club of the chain is not registered a
second time: the desk is told the club's name (nothing more) and what to do instead, no lead
is created and nothing is scheduled; the record stays out of the desk's reach."""

import datetime as dt

import pytest
from django.urls import reverse

from campaigns import evaluator
from campaigns.models import Rule, Touchpoint
from club import clock, roles
from members import leads
from members.models import Member, MemberEvent
from tests.factories import MemberFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def at_riverside(client, olga):
    client.force_login(olga)
    return client


def walk_in(client, **data):
    return client.post(reverse("desk:new_lead"), {"first_name": "Maya", **data})


def evaluate_all(club) -> None:
    now = clock.now()
    for rule in Rule.objects.prefetch_related("clubs").filter(is_active=True):
        evaluator.evaluate_rule(
            rule, club, since=now - dt.timedelta(days=1), until=now + dt.timedelta(days=1)
        )


@pytest.mark.parametrize(
    ("data", "by"),
    [
        ({"last_name": "Jansen", "email": "MAYA.JANSEN@example.com"}, "email"),
        ({"last_name": "jansen", "phone": "06 12345678"}, "name and phone"),
        ({"last_name": "Ox", "email": "maya.jansen@example.com", "phone": "0612345678"}, "email"),
    ],
)
def test_a_walk_in_known_at_another_club_is_refused_naming_only_that_club(
    at_riverside, frozen_clock, maya, riverside, data, by
):
    before = Member.objects.count()

    response = walk_in(at_riverside, **data)

    assert response.status_code == 400
    html = response.content.decode()
    # the club's name and what to do, nothing of the record (no link, name or card)
    assert (
        f"Someone with this {by} is already registered at Downtown, so no lead was registered "
        "here: the chain keeps one record per person. A member on a plan valid at every club "
        "can simply check in here with their card; otherwise Downtown can sell them a plan "
        "valid at Riverside, or a manager who works at both clubs can move their record to "
        "Riverside."
    ) in html
    assert reverse("desk:member", args=[maya.pk]) not in html
    assert "MAYA-0001" not in html and "MAYA0001" not in html
    assert Member.objects.count() == before
    assert not MemberEvent.objects.filter(kind=MemberEvent.Kind.LEAD_CREATED).exists()


def test_a_refused_walk_in_schedules_nothing(at_riverside, frozen_clock, maya, riverside):
    walk_in(at_riverside, last_name="Jansen", email="maya.jansen@example.com")

    evaluate_all(riverside)

    assert not Member.objects.filter(home_club=riverside).exists()
    assert not Touchpoint.objects.filter(member__home_club=riverside).exists()


def test_the_refused_person_s_card_stays_out_of_reach(at_riverside, frozen_clock, maya):
    walk_in(at_riverside, last_name="Jansen", email="maya.jansen@example.com")

    assert at_riverside.get(reverse("desk:member", args=[maya.pk])).status_code == 404


def test_only_a_phone_shared_with_another_club_s_member_is_a_new_lead(
    at_riverside, frozen_clock, maya, riverside
):
    # a household's number is no identity, here as at the person's own club
    response = walk_in(at_riverside, first_name="Tina", last_name="Jansen", phone="06 12345678")

    assert response.status_code == 302
    tina = Member.objects.get(first_name="Tina")
    assert tina.home_club == riverside
    # and the note naming members with that phone names none of another club
    assert not tina.events.filter(kind=MemberEvent.Kind.NOTE).exists()


def test_a_person_known_here_as_well_opens_their_card_here(
    at_riverside, frozen_clock, maya, riverside
):
    ours = MemberFactory(
        home_club=riverside, first_name="Maya", last_name="Jansen", email="maya.jansen@example.com"
    )

    response = walk_in(at_riverside, last_name="Jansen", email="maya.jansen@example.com")

    assert response["Location"] == reverse("desk:member", args=[ours.pk])


def test_an_erased_member_elsewhere_is_nobody(frozen_clock, maya, riverside):
    Member.objects.filter(pk=maya.pk).update(erased_at=clock.now())

    assert leads.known_elsewhere(riverside, first_name="Maya", email=maya.email) is None


def test_the_back_office_add_lead_refuses_them_too(client, frozen_clock, maya, riverside):
    client.force_login(UserFactory(clubs=[riverside], roles=[roles.FRONT_DESK]))

    response = client.post(
        reverse("members:add"),
        {
            "home_club": riverside.pk,
            "first_name": "Maya",
            "last_name": "Jansen",
            "email": "maya.jansen@example.com",
            "phone": "",
            "source": Member.Source.WALK_IN,
        },
    )

    assert response.status_code == 200  # Wagtail redisplays the form with the error
    assert "already registered at Downtown" in response.content.decode()
    assert not Member.objects.filter(home_club=riverside).exists()


def test_known_elsewhere_asks_the_database_once(
    django_assert_num_queries, frozen_clock, maya, downtown, riverside
):
    # given Maya at Downtown
    # when Riverside asks about her email
    with django_assert_num_queries(1):
        elsewhere = leads.known_elsewhere(riverside, first_name="Maya", email=maya.email)

    # then one query names her club and how she was matched
    assert (elsewhere.club, elsewhere.by) == (downtown, "email")


def test_known_here_as_well_is_none_in_one_query(
    django_assert_num_queries, frozen_clock, maya, riverside
):
    # given Maya at Downtown, and a record of her at Riverside too, known by name and phone
    MemberFactory(home_club=riverside, first_name="Maya", last_name="Jansen", phone=maya.phone)

    # when Riverside asks about her email and phone
    with django_assert_num_queries(1):
        elsewhere = leads.known_elsewhere(
            riverside, first_name="Maya", last_name="Jansen", email=maya.email, phone=maya.phone
        )

    # then Riverside's own record wins, even over another club's email match
    assert elsewhere is None
