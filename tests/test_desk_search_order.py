"""The desk's search lists the members it would admit first: a membership in force valid at
this club, then one in force at another club only, then the rest, by name within each."""

import datetime as dt
import re

import pytest
from django.urls import reverse

from checkin.desk.views import SEARCH_LIMIT
from club import clock
from memberships.models import Membership
from tests.factories import MemberFactory, MembershipFactory, PlanFactory

HTMX = {"HTTP_HX_REQUEST": "true", "HTTP_HX_CURRENT_URL": "http://testserver/admin/desk/"}


def listed(desk, query: str) -> list[str]:
    html = desk.get(reverse("desk:search"), {"q": query}, **HTMX).content.decode()
    return re.findall(r'<a href="/admin/desk/members/\d+/"><strong>([^<]+)</strong>', html)


def de_jong(club, first_name: str, plan=None, *, start=None, **membership):
    member = MemberFactory(home_club=club, first_name=first_name, last_name="de Jong")
    if plan is not None:
        today = clock.today(club)
        MembershipFactory(member=member, plan=plan, start=start or today, **membership)
    return member


def test_current_members_here_come_first_then_elsewhere_then_the_rest(
    desk, frozen_clock, downtown, riverside, monthly_plan
):
    today = clock.today(downtown)
    riverside_only = PlanFactory(club=riverside, name="Riverside monthly")
    every_club = PlanFactory(club=riverside, name="All clubs", valid_at_all_clubs=True)
    de_jong(downtown, "Anna")  # a lead
    de_jong(downtown, "Bram", monthly_plan, start=today - dt.timedelta(days=60))  # expired
    de_jong(downtown, "Cas", monthly_plan, start=today + dt.timedelta(days=3))  # not started
    de_jong(downtown, "Dirk", riverside_only)  # in force, not valid here
    de_jong(downtown, "Eva", monthly_plan, status=Membership.Status.CANCELLED)
    de_jong(downtown, "Zoë", monthly_plan)
    de_jong(downtown, "Yara", every_club)
    de_jong(downtown, "Xavi", monthly_plan, status=Membership.Status.PAST_DUE)  # still current

    names = listed(desk, "de jong")

    assert names == [
        "Xavi de Jong",
        "Yara de Jong",
        "Zoë de Jong",
        "Dirk de Jong",
        "Anna de Jong",
        "Bram de Jong",
        "Cas de Jong",
        "Eva de Jong",
    ]


def test_a_current_member_is_listed_however_many_others_match(
    desk, frozen_clock, downtown, monthly_plan
):
    for number in range(SEARCH_LIMIT + 3):
        de_jong(downtown, f"Lead{number:02d}")
    de_jong(downtown, "Zoë", monthly_plan)  # last by name, first by standing

    html = desk.get(reverse("desk:search"), {"q": "de jong"}, **HTMX).content.decode()

    names = re.findall(r"<strong>([^<]+ de Jong)</strong>", html)
    assert len(names) == SEARCH_LIMIT
    assert names[0] == "Zoë de Jong"
    assert names[1:3] == ["Lead00 de Jong", "Lead01 de Jong"]
    assert "More members match" in html


def test_a_membership_in_force_on_another_day_does_not_count(
    desk, frozen_clock, downtown, monthly_plan
):
    today = clock.today(downtown)
    de_jong(downtown, "Bram", monthly_plan, start=today - dt.timedelta(days=30))  # ended yesterday
    de_jong(downtown, "Cas", monthly_plan, start=today)

    assert listed(desk, "de jong") == ["Cas de Jong", "Bram de Jong"]


@pytest.mark.parametrize("query", ["", "   ", "zzz"])
def test_a_blank_or_unknown_query_lists_nobody(desk, frozen_clock, downtown, monthly_plan, query):
    de_jong(downtown, "Zoë", monthly_plan)

    assert listed(desk, query) == []


def test_within_a_group_names_sort_as_people_read_them_whatever_their_case(
    desk, frozen_clock, downtown
):
    # leads all: "de Groot" and "van Beek" sort under G and V, not after "Zwart" (the
    # database may compare bytes, upper case before lower)
    for last_name in ("Zwart", "van Beek", "de Groot", "Bakker"):
        MemberFactory(home_club=downtown, first_name="Laura", last_name=last_name)

    assert listed(desk, "laura") == [
        "Laura Bakker",
        "Laura de Groot",
        "Laura van Beek",
        "Laura Zwart",
    ]


def test_within_a_standing_names_a_typed_word_starts_come_first(
    desk, frozen_clock, downtown, monthly_plan
):
    today = clock.today(downtown)
    for first, last in (("Fatima", "Bakker"), ("Tim", "Jansen"), ("Anna", "Timmermans")):
        member = MemberFactory(home_club=downtown, first_name=first, last_name=last)
        MembershipFactory(member=member, plan=monthly_plan, start=today)
    MemberFactory(home_club=downtown, first_name="Tim", last_name="Aalders")  # a lead

    # "tim" starts a word of Tim Jansen's and Anna Timmermans' names, and sits inside
    # Fatima's: the members here still come before the lead.
    assert listed(desk, "tim") == [
        "Tim Jansen",
        "Anna Timmermans",
        "Fatima Bakker",
        "Tim Aalders",
    ]


def test_a_query_of_punctuation_alone_lists_nothing_and_fails_not(desk, frozen_clock, downtown):
    MemberFactory(home_club=downtown, first_name="Tim", last_name="Jansen")

    assert listed(desk, "- .") == []
