"""The member's badges at the desk: "Expires in N days" warns only when the end is near."""

import datetime as dt

import pytest

from checkin.desk import badges
from checkin.desk.views import with_memberships
from members.models import Member
from memberships import sales
from memberships.models import Payment
from tests.factories import MembershipFactory, PlanFactory

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 11, 23)  # at Downtown under the frozen clock


def labels(member: Member) -> list[str]:
    member = with_memberships(Member.objects.filter(pk=member.pk)).get()
    return [badge.label for badge in badges.badges(member, TODAY)]


def test_a_month_renewed_after_it_ran_out_is_active_not_expiring(frozen_clock, tom_berg):
    # given Tom, whose month ran out, renewed for a month at the desk today
    sales.renew(tom_berg.memberships.get(), method=Payment.Method.CASH)

    # then his badge says active: 29 days left of a new month is not about to end
    assert labels(tom_berg) == ["Active"]


@pytest.mark.parametrize(
    ("days_left", "badge"),
    [
        pytest.param(15, "Active", id="day-15-of-30-first-half"),
        pytest.param(14, "Expires in 14 days", id="second-half"),
        pytest.param(1, "Expires in 1 day", id="last-but-one-day"),
        pytest.param(0, "Expires today", id="last-day"),
    ],
)
def test_a_month_warns_in_its_second_half(frozen_clock, downtown, monthly_plan, days_left, badge):
    # given a 30-day month with `days_left` days to go
    end = TODAY + dt.timedelta(days=days_left)
    membership = MembershipFactory(
        plan=monthly_plan,
        member__home_club=downtown,
        member__status=Member.Status.MEMBER,
        start=end - dt.timedelta(days=29),
        end=end,
    )

    assert labels(membership.member) == [badge]


def test_a_year_warns_only_within_the_clubs_expiring_window(frozen_clock, downtown):
    # given two annual members, one 31 and one 30 days before the end (club window: 30 days)
    annual = PlanFactory(club=downtown, duration_days=365)
    far, near = (
        MembershipFactory(
            plan=annual,
            member__home_club=downtown,
            member__status=Member.Status.MEMBER,
            start=TODAY + dt.timedelta(days=left - 364),
            end=TODAY + dt.timedelta(days=left),
        )
        for left in (31, 30)
    )

    # then only the one within the window is warned
    assert labels(far.member) == ["Active"]
    assert labels(near.member) == ["Expires in 30 days"]


def test_a_renewed_month_near_its_end_does_not_warn(frozen_clock, maya, maya_membership):
    # given Maya's month five days before its end, already renewed
    maya_membership.start -= dt.timedelta(days=14)
    maya_membership.end -= dt.timedelta(days=14)
    maya_membership.save()
    sales.renew(maya_membership, method=Payment.Method.CASH)

    assert "Expires in 5 days" not in labels(maya)
    assert labels(maya) == ["Active"]


def test_a_lead_whose_free_trial_ran_out_reads_trial_ended_not_expired(frozen_clock, downtown):
    from tests.factories import MemberFactory

    lead = MemberFactory(home_club=downtown, status=Member.Status.LEAD)
    trial = PlanFactory(club=downtown, trial=True)
    MembershipFactory(
        member=lead, plan=trial, start=dt.date(2026, 11, 10), end=dt.date(2026, 11, 16)
    )

    # a sale to make, not a lapsed member: "Lead + Expired" read like a lost paying member
    assert labels(lead) == ["Lead", "Trial ended 16 Nov 2026"]


def test_a_lapsed_member_still_reads_expired(frozen_clock, tom_berg):
    assert labels(tom_berg)[-1] == "Expired 3 Nov 2026"
