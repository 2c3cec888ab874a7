"""Segments: a saved set of members defined by criteria ticked in a form, worked out set-based
when asked, and the segment screen with how many match now and a sample of names, scoped to
the staff member's clubs.

The clock is frozen at Monday 23 Nov 2026 18:00 in Amsterdam.
"""

import datetime as dt
import re

import pytest
from django.urls import reverse

from campaigns.backoffice.campaign_forms import SegmentForm
from campaigns.models import Campaign, Segment
from club import clock, roles
from members.erasure import erase
from members.models import Member
from memberships.models import Plan
from tests.factories import MemberFactory, MembershipFactory, PlanFactory, UserFactory, VisitFactory

TODAY = dt.date(2026, 11, 23)
Stage, MemberStatus = Member.Stage, Member.Status

pytestmark = pytest.mark.usefixtures("frozen_clock")


def segment(*clubs, name="Segment", **criteria) -> Segment:
    created = Segment.objects.create(name=name, **criteria)
    created.clubs.set(clubs)
    return created


def names(chosen: Segment, **kwargs) -> list[str]:
    return sorted(member.first_name for member in chosen.members(**kwargs))


def visited(member, days_ago: int, hour: int = 12):
    day = TODAY - dt.timedelta(days=days_ago)
    VisitFactory(member=member, at=clock.local_datetime(day, dt.time(hour)))


@pytest.fixture
def rosa(riverside):
    """Marketing at Riverside only."""
    return UserFactory(username="rosa", clubs=[riverside], roles=[roles.MARKETING])


# --- criteria ----------------------------------------------------------------------------


def test_a_segment_holds_the_members_of_its_clubs_narrowed_to_the_users(downtown, riverside):
    MemberFactory(home_club=downtown, first_name="Ann")
    MemberFactory(home_club=riverside, first_name="Rita")
    both = segment(downtown, riverside)

    assert names(segment(downtown)) == ["Ann"]
    assert names(both) == ["Ann", "Rita"]
    assert names(both, clubs=[riverside]) == ["Rita"]


def test_stages_and_statuses(downtown):
    MemberFactory(home_club=downtown, first_name="Ann", stage=Stage.AT_RISK)
    MemberFactory(home_club=downtown, first_name="Bob", stage=Stage.ACTIVE)
    MemberFactory(home_club=downtown, first_name="Cas", status=MemberStatus.FORMER)

    assert names(segment(downtown, stages=[Stage.AT_RISK, Stage.EXPIRING])) == ["Ann"]
    assert names(segment(downtown, statuses=[MemberStatus.FORMER])) == ["Cas"]


def test_plan_kinds_held_are_memberships_in_force_today(downtown):
    pack = PlanFactory(club=downtown, kind=Plan.Kind.PACK, visits_included=10)
    month = PlanFactory(club=downtown, kind=Plan.Kind.TIME)
    ann = MemberFactory(home_club=downtown, first_name="Ann")
    bob = MemberFactory(home_club=downtown, first_name="Bob")
    cas = MemberFactory(home_club=downtown, first_name="Cas")
    MembershipFactory(member=ann, plan=pack)
    MembershipFactory(member=bob, plan=month)
    MembershipFactory(member=cas, plan=pack, start=TODAY - dt.timedelta(days=400))  # ended

    assert names(segment(downtown, plan_kinds=[Plan.Kind.PACK])) == ["Ann"]


def test_days_since_the_last_visit_at_least_and_at_most(downtown):
    away = MemberFactory(home_club=downtown, first_name="Away")
    visited(away, 20)
    exactly = MemberFactory(home_club=downtown, first_name="Exactly")
    visited(exactly, 14, hour=23)  # late on the 14th day back, local time
    recent = MemberFactory(home_club=downtown, first_name="Recent")
    visited(recent, 20)
    visited(recent, 3)
    MemberFactory(home_club=downtown, first_name="Never")

    assert names(segment(downtown, min_days_since_visit=14)) == ["Away", "Exactly", "Never"]
    assert names(segment(downtown, max_days_since_visit=7)) == ["Recent"]
    assert names(segment(downtown, min_days_since_visit=10, max_days_since_visit=30)) == [
        "Away",
        "Exactly",
    ]


def test_membership_ends_within_days_leaves_out_the_renewed_and_the_ended(downtown):
    month = PlanFactory(club=downtown, duration_days=30)

    def member_ending(first_name, days):
        member = MemberFactory(home_club=downtown, first_name=first_name)
        end = TODAY + dt.timedelta(days=days)
        MembershipFactory(member=member, plan=month, start=end - dt.timedelta(days=29))
        return member

    member_ending("Soon", 5)
    member_ending("Later", 20)
    member_ending("Ended", -1)
    renewed = member_ending("Renewed", 5)
    MembershipFactory(member=renewed, plan=month, start=TODAY + dt.timedelta(days=6))

    assert names(segment(downtown, ends_within_days=7)) == ["Soon"]


def test_consent_needs_the_channel_and_an_address(downtown):
    MemberFactory(home_club=downtown, first_name="Sms", sms_consent=True)
    MemberFactory(home_club=downtown, first_name="NoPhone", sms_consent=True, phone="")
    MemberFactory(home_club=downtown, first_name="Mail", email_consent=True)

    assert names(segment(downtown, consent="sms")) == ["Sms"]
    assert names(segment(downtown, consent="email")) == ["Mail"]


def test_an_erased_member_is_in_no_segment(downtown, max):
    gone = MemberFactory(home_club=downtown, first_name="Gone")
    MemberFactory(home_club=downtown, first_name="Stays")
    erase(gone, by=max, reason="asked by email on 20 Nov")

    assert names(segment(downtown)) == ["Stays"]


def test_the_count_and_reach_are_one_query_whatever_the_members(
    downtown, django_assert_num_queries
):
    for n in range(5):
        MemberFactory(home_club=downtown, sms_consent=n < 3, email_consent=n < 1)
    chosen = Segment.objects.prefetch_related("clubs").get(pk=segment(downtown).pk)

    with django_assert_num_queries(1):
        reach = chosen.reach()

    assert reach == {"total": 5, "sms": 3, "email": 1}


# --- the form refuses bad input, field by field -------------------------------------------


def valid_data(club) -> dict:
    return {"name": "At risk", "clubs": [club.pk]}


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("clubs", []),
        ("stages", ["sleeping"]),
        ("statuses", ["vip"]),
        ("plan_kinds", ["gold"]),
        ("min_days_since_visit", "-1"),
        ("max_days_since_visit", "two weeks"),
        ("ends_within_days", "5000"),
        ("consent", "fax"),
        ("name", ""),
    ],
)
def test_the_segment_form_refuses_bad_criteria(mia, downtown, field, value):
    form = SegmentForm({**valid_data(downtown), field: value}, user=mia)

    assert not form.is_valid()
    assert list(form.errors) == [field]


def test_the_segment_form_refuses_another_clubs_members(mia, downtown, riverside):
    form = SegmentForm({**valid_data(downtown), "clubs": [riverside.pk]}, user=mia)

    assert list(form.errors) == ["clubs"]


def test_away_at_least_more_days_than_at_most_is_refused(mia, downtown):
    data = {**valid_data(downtown), "min_days_since_visit": "30", "max_days_since_visit": "7"}
    form = SegmentForm(data, user=mia)

    assert list(form.errors) == ["max_days_since_visit"]


def test_the_segment_form_saves_the_criteria(mia, downtown):
    data = {
        **valid_data(downtown),
        "stages": [Stage.AT_RISK],
        "plan_kinds": [Plan.Kind.TIME],
        "min_days_since_visit": "14",
        "consent": "sms",
    }
    form = SegmentForm(data, user=mia)
    assert form.is_valid(), form.errors

    saved = form.save()

    assert (saved.stages, saved.plan_kinds, saved.min_days_since_visit, saved.consent) == (
        [Stage.AT_RISK],
        [Plan.Kind.TIME],
        14,
        "sms",
    )
    assert list(saved.clubs.all()) == [downtown]


# --- the screen ----------------------------------------------------------------------------


def page_text(response) -> str:
    assert response.status_code == 200, response.status_code
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.content.decode()))


def test_the_segment_screen_counts_and_names_only_the_users_clubs(
    client, mia, carla, downtown, riverside
):
    MemberFactory(home_club=downtown, first_name="Ann", last_name="Ash", sms_consent=True)
    MemberFactory(home_club=downtown, first_name="Bob", last_name="Birch", email_consent=True)
    MemberFactory(home_club=riverside, first_name="Rita", last_name="Reed", sms_consent=True)
    both = segment(downtown, riverside, name="Everyone")
    url = reverse("playbook:segment", args=[both.pk])

    client.force_login(mia)
    mine = page_text(client.get(url))
    client.force_login(carla)
    chain = page_text(client.get(url))

    assert "2 members at Downtown · 1 reachable by SMS · 1 by email" in mine
    assert "Ann Ash" in mine and "Bob Birch" in mine and "Rita" not in mine
    assert "3 members at Downtown and Riverside · 2 reachable by SMS · 1 by email" in chain
    assert "Rita Reed" in chain


def test_marketing_adds_a_segment_on_the_screen(client, mia, downtown):
    client.force_login(mia)

    response = client.post(
        reverse("playbook:segment_add"),
        {"name": "Lapsed", "clubs": [downtown.pk], "stages": [Stage.LAPSED]},
    )

    saved = Segment.objects.get(name="Lapsed")
    assert response.status_code == 302
    assert response["Location"] == reverse("playbook:segment", args=[saved.pk])
    assert saved.stages == [Stage.LAPSED]


def test_a_segment_covering_another_club_is_view_only(client, mia, downtown, riverside):
    both = segment(downtown, riverside, name="Everyone")
    url = reverse("playbook:segment", args=[both.pk])
    client.force_login(mia)

    shown = client.get(url)
    posted = client.post(url, {"name": "Mine now", "clubs": [downtown.pk]})

    assert "data-view-only" in shown.content.decode()
    assert posted.status_code == 302 and posted["Location"] == reverse("wagtailadmin_home")
    both.refresh_from_db()
    assert both.name == "Everyone"


@pytest.mark.parametrize(
    ("user", "expected"),
    [("mia", 200), ("rosa", 404), ("fiona", "refused"), ("tom", "refused"), ("olga", "refused")],
)
def test_who_may_open_a_downtown_segment(client, request, downtown, user, expected):
    chosen = segment(downtown, name="Downtown only")
    client.force_login(request.getfixturevalue(user))

    response = client.get(reverse("playbook:segment", args=[chosen.pk]))

    if expected == "refused":
        assert response.status_code == 302 and response["Location"] == reverse("wagtailadmin_home")
    else:
        assert response.status_code == expected


@pytest.mark.parametrize("campaigns", [0, 1, 2])
def test_the_segment_list_counts_each_campaign_once_for_staff_of_two_clubs(
    client, carla, downtown, riverside, campaigns
):
    # given a segment of both clubs sent `campaigns` campaigns, and Carla working at both
    both = segment(downtown, riverside, name="Everyone")
    for n in range(campaigns):
        Campaign.objects.create(name=f"Offer {n}", segment=both, channel="sms", send_on=TODAY)
    client.force_login(carla)

    # when she opens the segment list
    response = client.get(reverse("playbook:segments"))

    # then the segment is listed once, with its own number of campaigns
    assert [(row.name, row.n) for row in response.context["segments"]] == [("Everyone", campaigns)]
