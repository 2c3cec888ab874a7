"""Lifecycle stages (PLAYBOOK.md), computed set-based with the clock frozen at 2026-11-23."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from campaigns import lifecycle
from campaigns.models import StageChange
from checkin.models import Booking
from club import clock
from members.models import Member
from memberships import statuses
from tests.factories import (
    BookingFactory,
    ClassSessionFactory,
    FreezeFactory,
    MemberFactory,
    MembershipFactory,
    PlanFactory,
    VisitFactory,
)

TODAY = dt.date(2026, 11, 23)
Stage = Member.Stage


def days(n: int) -> dt.timedelta:
    return dt.timedelta(days=n)


def visit(member, on: dt.date, hour: int = 18):
    return VisitFactory(member=member, at=clock.local_datetime(on, dt.time(hour), member.home_club))


def stage_of(member) -> str:
    lifecycle.refresh_stages(member.home_club)
    member.refresh_from_db()
    return member.stage


@pytest.fixture
def member(frozen_clock, downtown):
    return MemberFactory(home_club=downtown)


def monthly(member, *, start: dt.date, **kwargs):
    return MembershipFactory(member=member, plan__club=member.home_club, start=start, **kwargs)


def annual(member, *, start: dt.date):
    plan = PlanFactory(club=member.home_club, duration_days=365, name="Annual")
    return MembershipFactory(member=member, plan=plan, start=start)


def test_a_new_contact_is_a_lead(member):
    assert stage_of(member) == Stage.LEAD


def test_a_booked_trial_session_makes_a_trial(member):
    session = ClassSessionFactory(club=member.home_club)
    BookingFactory(member=member, session=session, is_trial=True, status=Booking.Status.BOOKED)

    assert stage_of(member) == Stage.TRIAL


def test_a_trial_class_long_ago_without_joining_is_a_lead_again(member):
    def trial_class(on: dt.date, status):
        start = clock.local_datetime(on, dt.time(18), member.home_club)
        session = ClassSessionFactory(club=member.home_club, start=start)
        BookingFactory(member=member, session=session, is_trial=True, status=status)

    trial_class(TODAY - days(statuses.RECENT_TRIAL_DAYS + 1), Booking.Status.ATTENDED)
    assert stage_of(member) == Stage.LEAD

    trial_class(TODAY - days(statuses.RECENT_TRIAL_DAYS), Booking.Status.ATTENDED)
    assert stage_of(member) == Stage.TRIAL


def test_an_active_trial_plan_makes_a_trial(member):
    trial_plan = PlanFactory(club=member.home_club, trial=True)
    MembershipFactory(member=member, plan=trial_plan, start=TODAY - days(2))

    assert stage_of(member) == Stage.TRIAL


@pytest.mark.parametrize(
    ("first", "last", "stage"),
    [
        pytest.param(7, 13, Stage.TRIAL, id="booked-for-next-week"),
        pytest.param(-36, -30, Stage.TRIAL, id="ended-30-days-ago"),
        pytest.param(-37, -31, Stage.LEAD, id="ended-31-days-ago"),
    ],
)
def test_a_trial_plan_counts_as_the_member_status_counts_it(member, first, last, stage):
    # given a trial plan from TODAY+first to TODAY+last and nothing paid
    trial_plan = PlanFactory(club=member.home_club, trial=True)
    MembershipFactory(
        member=member, plan=trial_plan, start=TODAY + days(first), end=TODAY + days(last)
    )

    # then the stage says trial while the trial is to come, running or recent, as the status
    assert stage_of(member) == stage
    statuses.refresh_member_statuses(member.home_club)
    member.refresh_from_db()
    assert member.status == stage


def test_first_membership_under_60_days_is_onboarding(member):
    annual(member, start=TODAY - days(20))
    visit(member, TODAY - days(2))

    assert stage_of(member) == Stage.ONBOARDING


def test_regular_visitor_after_onboarding_is_active(member):
    annual(member, start=TODAY - days(200))
    for n in range(0, 112, 4):
        visit(member, TODAY - days(n))

    assert stage_of(member) == Stage.ACTIVE


def test_no_visit_for_14_days_is_at_risk(member):
    annual(member, start=TODAY - days(200))
    visit(member, TODAY - days(14))

    assert stage_of(member) == Stage.AT_RISK


def test_a_visit_13_days_ago_is_not_yet_at_risk(member):
    annual(member, start=TODAY - days(200))
    visit(member, TODAY - days(13))

    assert stage_of(member) == Stage.ACTIVE


def test_visits_halving_against_own_rate_is_at_risk(member):
    annual(member, start=TODAY - days(200))
    # 12 visits in each earlier 28 days (36 in 84), then 5 in the last 28: under half of 12.
    for n in range(28, 112, 84 // 36 + 0):
        visit(member, TODAY - days(n))
    for n in (1, 5, 9, 13, 17):
        visit(member, TODAY - days(n))

    assert stage_of(member) == Stage.AT_RISK


def test_ending_within_30_days_without_renewal_is_expiring(member):
    annual(member, start=TODAY - days(344))  # ends in 20 days
    visit(member, TODAY - days(1))

    assert stage_of(member) == Stage.EXPIRING


def a_monthly_member_who_stopped_coming(member, *, ends_in: int):
    """Member for two months: the second month ends in `ends_in` days; the last visit was
    20 days ago."""
    first = monthly(member, start=TODAY + days(ends_in) - days(59))
    monthly(member, start=first.end + days(1), renewed_from=first)
    visit(member, TODAY - days(20))


def test_a_monthly_member_in_the_first_half_who_stopped_coming_is_at_risk(member):
    a_monthly_member_who_stopped_coming(member, ends_in=20)

    # It ends within 30 days, as a month always does; but it is 10 days old.
    assert stage_of(member) == Stage.AT_RISK


@pytest.mark.parametrize("ends_in", [0, 6, 14])
def test_a_monthly_member_in_the_second_half_is_expiring(member, ends_in):
    a_monthly_member_who_stopped_coming(member, ends_in=ends_in)

    assert stage_of(member) == Stage.EXPIRING


def test_a_month_turns_expiring_past_its_midpoint_not_on_it(member):
    # its 15th day of 30, 15 to go: the last day of its first half
    a_monthly_member_who_stopped_coming(member, ends_in=15)

    assert stage_of(member) == Stage.AT_RISK


def test_a_month_just_started_is_not_expiring_but_onboarding(member):
    monthly(member, start=TODAY - days(2))  # ends in 27 days
    visit(member, TODAY - days(1))

    assert stage_of(member) == Stage.ONBOARDING


def test_the_expiring_window_still_bounds_a_long_membership(member):
    annual(member, start=TODAY - days(300))  # ends in 64 days: past its midpoint, not near
    visit(member, TODAY - days(1))

    assert stage_of(member) == Stage.ACTIVE


def test_a_renewal_already_bought_is_not_expiring(member):
    current = annual(member, start=TODAY - days(350))
    renewal_plan = PlanFactory(club=member.home_club, duration_days=365)
    MembershipFactory(
        member=member, plan=renewal_plan, start=current.end + days(1), renewed_from=current
    )
    visit(member, TODAY - days(1))

    assert stage_of(member) == Stage.ACTIVE


def test_frozen_today_beats_everything(member):
    membership = monthly(member, start=TODAY - days(5))
    FreezeFactory(membership=membership, start=TODAY - days(1), end=TODAY + days(6))

    assert stage_of(member) == Stage.FROZEN


def test_a_freeze_that_just_ended_pauses_the_at_risk_clock(member):
    membership = annual(member, start=TODAY - days(200))
    visit(member, TODAY - days(30))
    FreezeFactory(membership=membership, start=TODAY - days(25), end=TODAY - days(3))

    assert stage_of(member) == Stage.ACTIVE


@pytest.mark.parametrize(
    ("ended_days_ago", "stage"), [(1, Stage.LAPSED), (90, Stage.LAPSED), (91, Stage.LOST)]
)
def test_after_the_end_lapsed_then_lost(member, ended_days_ago, stage):
    monthly(member, start=TODAY - days(ended_days_ago + 29))

    assert stage_of(member) == stage


def test_changes_are_recorded_once_and_a_second_run_changes_nothing(member):
    monthly(member, start=TODAY - days(25))  # in its last week

    assert lifecycle.refresh_stages(member.home_club) == 1
    assert lifecycle.refresh_stages(member.home_club) == 0
    change = StageChange.objects.get(member=member)
    assert (change.from_stage, change.to_stage, change.at) == ("lead", "expiring", clock.now())


def test_statement_count_does_not_grow_with_members(frozen_clock, downtown):
    def run_with(n: int) -> int:
        for i in range(n):
            # Both sides of the month's midpoint: onboarding and expiring.
            monthly(MemberFactory(home_club=downtown), start=TODAY - days(5 + 20 * (i % 2)))
        Member.objects.update(stage=Stage.LEAD)
        with CaptureQueriesContext(connection) as queries:
            lifecycle.refresh_stages(downtown)
        return len(queries)

    assert run_with(3) == run_with(30)
