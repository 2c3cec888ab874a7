"""The renewal offer (rule 14) and reminder (rule 15) are for memberships that will end: one
that renews automatically gets neither, and one switched to renew after its reminder was
written has it cancelled as obsolete at send time. Today is 23 Nov 2026, 18:00 in Amsterdam."""

import datetime as dt
from decimal import Decimal

import pytest

from campaigns import dispatcher, evaluator
from campaigns.models import Rule, Touchpoint
from club import clock
from memberships import autorenew
from memberships.models import Membership
from tests.factories import MemberFactory, MembershipFactory, PlanFactory

TODAY = dt.date(2026, 11, 23)


@pytest.fixture(autouse=True)
def only_rules_14_and_15(db):
    Rule.objects.exclude(number__in=[14, 15]).update(is_active=False)
    Rule.objects.update(holdout_percent=0)


def ending_in(club, plan, *, days: int, auto_renew: bool, **fields) -> Membership:
    """A membership of `plan` whose last day is `days` from today."""
    member = MemberFactory(home_club=club, sms_consent=True, email_consent=True)
    end = TODAY + dt.timedelta(days=days)
    start = end - dt.timedelta(days=plan.duration_days - 1)
    return MembershipFactory(member=member, plan=plan, start=start, auto_renew=auto_renew, **fields)


def evaluate(number: int, club) -> None:
    now = clock.now()
    rule = Rule.objects.get(number=number)
    evaluator.evaluate_rule(rule, club, since=now - dt.timedelta(hours=26), until=now)


def scheduled_members(number: int) -> set[int]:
    return set(Touchpoint.objects.filter(rule__number=number).values_list("member_id", flat=True))


@pytest.fixture
def rolling(downtown):
    return PlanFactory(club=downtown, name="Rolling monthly", auto_renew=True)


def test_the_reminder_is_not_written_for_a_membership_that_renews_automatically(
    frozen_clock, downtown, rolling
):
    # given two months ending in 7 days, one renewing automatically, one stopped by its member
    renewing = ending_in(downtown, rolling, days=7, auto_renew=True)
    stopped = ending_in(downtown, rolling, days=7, auto_renew=False)

    # when rule 15 is evaluated
    evaluate(15, downtown)

    # then only the one that will end is reminded
    assert scheduled_members(15) == {stopped.member_id}
    assert renewing.member_id not in scheduled_members(15)


def test_the_early_offer_is_not_written_for_a_membership_that_renews_automatically(
    frozen_clock, downtown
):
    quarter = PlanFactory(club=downtown, duration_days=90, auto_renew=True)
    renewing = ending_in(downtown, quarter, days=30, auto_renew=True)
    stopped = ending_in(downtown, quarter, days=30, auto_renew=False)

    evaluate(14, downtown)

    assert scheduled_members(14) == {stopped.member_id}
    assert renewing.member_id not in scheduled_members(14)


@pytest.mark.parametrize(
    "what",
    [
        pytest.param("unpaid", id="unpaid-does-not-renew-again"),
        pytest.param("plan_withdrawn", id="plan-no-longer-sold"),
    ],
)
def test_a_membership_with_auto_renew_on_that_will_not_renew_is_reminded(
    frozen_clock, downtown, rolling, what
):
    # given auto-renew on, but unpaid, or of a plan the club no longer sells
    fields = {"status": Membership.Status.PAST_DUE} if what == "unpaid" else {}
    membership = ending_in(downtown, rolling, days=7, auto_renew=True, **fields)
    if what == "plan_withdrawn":
        rolling.is_active = False
        rolling.save()

    evaluate(15, downtown)

    assert scheduled_members(15) == {membership.member_id}


def test_a_reminder_written_before_auto_renew_was_switched_on_is_cancelled_as_obsolete(
    twilio, frozen_clock, downtown, rolling
):
    # given the reminder written while auto-renew was off (due 10:00 today)
    membership = ending_in(downtown, rolling, days=7, auto_renew=False, price_paid=Decimal("49"))
    evaluate(15, downtown)
    assert Touchpoint.objects.get().status == Touchpoint.Status.SCHEDULED

    # when the member switches it back on before it goes
    autorenew.set_auto_renew(membership, on=True, source=autorenew.PORTAL)
    dispatcher.dispatch()

    # then it is cancelled, not sent
    touchpoint = Touchpoint.objects.get()
    assert (touchpoint.status, touchpoint.reason) == (
        Touchpoint.Status.CANCELLED,
        Touchpoint.Reason.OBSOLETE,
    )
    assert twilio.messages == []


def test_a_reminder_still_true_at_send_time_goes(twilio, frozen_clock, downtown, rolling):
    membership = ending_in(downtown, rolling, days=7, auto_renew=False)
    evaluate(15, downtown)

    dispatcher.dispatch()

    assert Touchpoint.objects.get().status == Touchpoint.Status.SENT
    assert len(twilio.bodies_to(str(membership.member.phone))) == 1
