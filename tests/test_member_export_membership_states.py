"""The data export gives each membership's state on the export day as the member card shows it,
not the status stored when it was sold."""

import datetime as dt

import pytest

from club import clock
from members import export
from memberships.models import Membership
from tests.factories import MembershipFactory


def exported(member) -> list[tuple[str, str, bool]]:
    rows = export.member_data(member)["memberships"]
    return [(str(row["start"]), row["status"], row["unpaid"]) for row in rows]


def test_an_ended_membership_is_exported_as_ended(frozen_clock, tom_berg, monthly_plan):
    # given Tom Berg's month, ended on 3 November but stored "active", and one starting later
    today = clock.today(tom_berg.home_club)
    MembershipFactory(member=tom_berg, plan=monthly_plan, start=today + dt.timedelta(days=3))
    # when his data is exported
    rows = exported(tom_berg)
    # then it says what his card says
    assert rows == [
        ("2026-10-05", "Ended", False),
        (str(today + dt.timedelta(days=3)), "Upcoming", False),
    ]
    ended = tom_berg.memberships.select_related("member__home_club").order_by("start").first()
    assert ended.status == Membership.Status.ACTIVE
    assert ended.state_today() == "Ended"


def test_a_membership_in_force_is_active(frozen_clock, maya, maya_membership):
    assert exported(maya) == [(str(maya_membership.start), "Active", False)]


@pytest.mark.parametrize(
    ("stored", "days_ago", "expected"),
    [
        (Membership.Status.PAST_DUE, 40, ("Ended", True)),
        (Membership.Status.PAST_DUE, 5, ("Unpaid", True)),
        (Membership.Status.CANCELLED, 5, ("Cancelled", False)),
    ],
)
def test_unpaid_and_cancelled_memberships_say_so(
    frozen_clock, maya, maya_membership, stored, days_ago, expected
):
    # given a membership stored unpaid or cancelled, ended or in force
    start = clock.today(maya.home_club) - dt.timedelta(days=days_ago)
    Membership.objects.filter(pk=maya_membership.pk).update(
        status=stored, start=start, end=start + dt.timedelta(days=29)
    )
    # when exported, then its state on the day, and an ended unpaid one still says unpaid
    assert exported(maya) == [(str(start), *expected)]
