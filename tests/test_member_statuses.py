"""Member.status (lead / trial / member / former) follows the member's memberships."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from members.models import Member
from memberships.models import Membership, Plan
from memberships.statuses import refresh_member_statuses
from tests.factories import MemberFactory, MembershipFactory, PlanFactory

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 11, 23)  # at Downtown under the frozen clock

LEAD, TRIAL, MEMBER, FORMER = (
    Member.Status.LEAD,
    Member.Status.TRIAL,
    Member.Status.MEMBER,
    Member.Status.FORMER,
)
TIME, PACK, TRIAL_PLAN = Plan.Kind.TIME, Plan.Kind.PACK, Plan.Kind.TRIAL
ACTIVE, PAST_DUE, CANCELLED = (
    Membership.Status.ACTIVE,
    Membership.Status.PAST_DUE,
    Membership.Status.CANCELLED,
)


def give(member: Member, kind: str, first: int, last: int, status: str = ACTIVE) -> Membership:
    """A membership of `kind` from TODAY+first to TODAY+last."""
    plan = PlanFactory(
        club=member.home_club,
        kind=kind,
        visits_included=10 if kind == PACK else None,
        price=0 if kind == TRIAL_PLAN else 49,
    )
    return MembershipFactory(
        member=member,
        plan=plan,
        start=TODAY + dt.timedelta(days=first),
        end=TODAY + dt.timedelta(days=last),
        status=status,
    )


# (memberships as (plan kind, first day, last day, status), stored status, expected status)
CASES = [
    pytest.param([], LEAD, LEAD, id="no-memberships-stays-lead"),
    pytest.param([(TRIAL_PLAN, -2, 4, ACTIVE)], LEAD, TRIAL, id="trial-in-force"),
    pytest.param([(TRIAL_PLAN, 7, 13, ACTIVE)], LEAD, TRIAL, id="trial-booked-for-next-week"),
    pytest.param([(TRIAL_PLAN, -30, -24, ACTIVE)], LEAD, TRIAL, id="trial-over-nothing-bought"),
    pytest.param(
        [(TRIAL_PLAN, -36, -30, ACTIVE)], LEAD, TRIAL, id="trial-ended-30-days-ago-still-counts"
    ),
    pytest.param(
        [(TRIAL_PLAN, -37, -31, ACTIVE)], TRIAL, LEAD, id="trial-ended-31-days-ago-a-lead-again"
    ),
    pytest.param(
        [(TRIAL_PLAN, -104, -98, ACTIVE)], TRIAL, LEAD, id="trial-months-ago-never-joined"
    ),
    pytest.param([(TIME, -10, 19, ACTIVE)], LEAD, MEMBER, id="month-in-force"),
    pytest.param([(TIME, -29, 0, ACTIVE)], TRIAL, MEMBER, id="month-ends-today"),
    pytest.param([(PACK, -5, 174, ACTIVE)], LEAD, MEMBER, id="pack-in-force"),
    pytest.param([(TIME, -10, 19, PAST_DUE)], MEMBER, MEMBER, id="unpaid-month-in-force"),
    pytest.param(
        [(TRIAL_PLAN, -40, -34, ACTIVE), (TIME, -5, 24, ACTIVE)],
        TRIAL,
        MEMBER,
        id="trial-then-month",
    ),
    pytest.param([(TIME, -30, -1, ACTIVE)], MEMBER, FORMER, id="month-ended-yesterday"),
    pytest.param(
        [(TRIAL_PLAN, -90, -84, ACTIVE), (TIME, -60, -31, ACTIVE)],
        MEMBER,
        FORMER,
        id="trial-then-month-ended",
    ),
    pytest.param(
        [(TIME, -90, -61, ACTIVE), (TIME, 8, 37, ACTIVE)],
        MEMBER,
        FORMER,
        id="former-coming-back-next-month",
    ),
    pytest.param([(TIME, 1, 30, ACTIVE)], LEAD, LEAD, id="bought-a-month-starting-tomorrow"),
    pytest.param([(TIME, -10, 19, CANCELLED)], MEMBER, LEAD, id="only-sale-cancelled"),
    pytest.param(
        [(TRIAL_PLAN, -20, -14, ACTIVE), (TIME, -10, 19, CANCELLED)],
        MEMBER,
        TRIAL,
        id="cancelled-month-after-a-trial",
    ),
]


@pytest.mark.parametrize(("memberships", "stored", "expected"), CASES)
def test_refresh_sets_the_status_from_memberships(
    frozen_clock, downtown, memberships, stored, expected
):
    # given a member with these memberships and a stale stored status
    member = MemberFactory(home_club=downtown, status=stored)
    for kind, first, last, status in memberships:
        give(member, kind, first, last, status)

    # when statuses are refreshed
    changed = refresh_member_statuses(downtown)

    # then the status follows the memberships, and only a real change counts
    member.refresh_from_db()
    assert member.status == expected
    assert changed == (1 if expected != stored else 0)


def test_refresh_is_idempotent(frozen_clock, downtown):
    # given four members whose stored status is wrong
    lead = MemberFactory(home_club=downtown, status=MEMBER)
    trial = MemberFactory(home_club=downtown, status=LEAD)
    give(trial, TRIAL_PLAN, 0, 6)
    member = MemberFactory(home_club=downtown, status=LEAD)
    give(member, TIME, -3, 26)
    former = MemberFactory(home_club=downtown, status=MEMBER)
    give(former, TIME, -40, -11)

    # when statuses are refreshed twice
    first_run = refresh_member_statuses(downtown)
    second_run = refresh_member_statuses(downtown)

    # then the first run fixes all four and the second changes nothing
    assert (first_run, second_run) == (4, 0)
    statuses = dict(Member.objects.values_list("pk", "status"))
    assert [statuses[m.pk] for m in (lead, trial, member, former)] == [LEAD, TRIAL, MEMBER, FORMER]


def test_a_membership_ending_turns_a_member_former_the_next_day(frozen_clock, downtown):
    # given a member whose month ends today
    member = MemberFactory(home_club=downtown, status=LEAD)
    give(member, TIME, -29, 0)
    refresh_member_statuses(downtown)

    # when the clock passes midnight at the club (23:00 UTC is 00:00 in Amsterdam)
    frozen_clock.move_to("2026-11-23 23:00:00+00:00")
    refresh_member_statuses(downtown)

    # then they are a former member
    member.refresh_from_db()
    assert member.status == FORMER


def test_refresh_leaves_other_clubs_alone(frozen_clock, downtown, riverside, maya):
    # given a Riverside member whose month ended, stored as a member
    elsewhere = MemberFactory(home_club=riverside, status=MEMBER)
    give(elsewhere, TIME, -40, -11)

    # when Downtown's statuses are refreshed
    refresh_member_statuses(downtown)

    # then the Riverside member is untouched
    elsewhere.refresh_from_db()
    assert elsewhere.status == MEMBER


def populate(club, count: int) -> None:
    """`count` members, a quarter in each status, all stored wrong."""
    for n in range(count):
        match n % 4:
            case 0:
                MemberFactory(home_club=club, status=MEMBER)
            case 1:
                give(MemberFactory(home_club=club, status=LEAD), TRIAL_PLAN, -1, 5)
            case 2:
                give(MemberFactory(home_club=club, status=FORMER), TIME, -1, 28)
            case 3:
                give(MemberFactory(home_club=club, status=TRIAL), TIME, -50, -21)


def count_queries(club) -> tuple[int, int]:
    with CaptureQueriesContext(connection) as queries:
        changed = refresh_member_statuses(club)
    return len(queries), changed


def test_refresh_runs_the_same_queries_for_3_or_30_members(frozen_clock, downtown, riverside):
    # given a club of 3 members and one of 30, all with a wrong status
    populate(downtown, 3)
    populate(riverside, 30)

    # when each club is refreshed
    small_queries, small_changed = count_queries(downtown)
    large_queries, large_changed = count_queries(riverside)

    # then every member was fixed, with the same handful of set-based queries
    assert (small_changed, large_changed) == (3, 30)
    assert small_queries == large_queries == 4  # one UPDATE per status
