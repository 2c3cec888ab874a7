"""A rule's stage condition is checked against the member's stage when the message goes,
computed then, not the stored stage the beat refreshes every 15 minutes; and the dry run
says so beforehand.

Rule 9 ("Onboarding day 14", email at 10:00, onboarding members only) is written the evening
before for Noor, who joined 13 days ago on a 30-day month and came this morning: tomorrow is
her month's 15th day, the last of its first half, so she is still onboarding, not expiring.
The clock is frozen at Monday 23 Nov 2026 18:00 in Amsterdam.
"""

import datetime as dt

import pytest

from campaigns import dispatcher, dryrun, evaluator, lifecycle
from campaigns.models import Rule, Touchpoint
from club import clock
from members.models import Member
from memberships import freezes
from tests.factories import MemberFactory, MembershipFactory, PlanFactory, VisitFactory

TODAY = dt.date(2026, 11, 23)
TOMORROW = TODAY + dt.timedelta(days=1)
Status, Reason = Touchpoint.Status, Touchpoint.Reason
OBSOLETE = "will be cancelled: no longer true"


@pytest.fixture
def noor(frozen_clock, downtown):
    Rule.objects.exclude(number=9).update(is_active=False)
    Rule.objects.update(holdout_percent=0)
    member = MemberFactory(home_club=downtown, first_name="Noor", email_consent=True)
    month = PlanFactory(club=downtown, name="Monthly", duration_days=30)
    membership = MembershipFactory(member=member, plan=month, start=TODAY - dt.timedelta(13))
    VisitFactory(member=member, at=clock.local_datetime(TODAY, dt.time(8)))
    lifecycle.refresh_stages(downtown)
    member.refresh_from_db()
    assert member.stage == Member.Stage.ONBOARDING
    rule = Rule.objects.prefetch_related("clubs").get(number=9)
    now = clock.now()
    evaluator.evaluate_rule(
        rule, downtown, since=now - dt.timedelta(1), until=now + dt.timedelta(8)
    )
    written = Touchpoint.objects.get(member=member)
    assert written.send_at == clock.local_datetime(TOMORROW, dt.time(10))
    return member, membership, written


def forecast_of(member) -> list[tuple[str, str]]:
    return [(f.when, f.status) for f in dryrun.member_forecast(member) if f.rule_number == 9]


def dispatch_at_ten(frozen_clock, written) -> Touchpoint:
    frozen_clock.move_to(clock.local_datetime(TOMORROW, dt.time(10)))
    dispatcher.dispatch()
    written.refresh_from_db()
    return written


def test_still_onboarding_the_email_goes(noor, frozen_clock):
    member, _, written = noor

    assert forecast_of(member) == [("Tue 24 Nov, 10:00", "will be sent")]
    assert dispatch_at_ten(frozen_clock, written).status == Status.SENT


def test_frozen_since_it_was_written_the_email_is_cancelled_though_the_stored_stage_lags(
    noor, frozen_clock
):
    member, membership, written = noor
    # given a freeze from tomorrow, recorded after the email was written; no stage refresh
    freezes.freeze(membership, start=TOMORROW, end=TOMORROW + dt.timedelta(13))

    assert forecast_of(member) == [("Tue 24 Nov, 10:00", OBSOLETE)]
    sent = dispatch_at_ten(frozen_clock, written)
    member.refresh_from_db()
    assert member.stage == Member.Stage.ONBOARDING  # what the dispatcher used to go by
    assert (sent.status, sent.reason) == (Status.CANCELLED, Reason.OBSOLETE)


def test_a_rule_without_a_stage_condition_goes_whatever_the_stage(noor, frozen_clock):
    _, membership, written = noor
    Rule.objects.filter(number=9).update(stages=[])
    freezes.freeze(membership, start=TOMORROW, end=TOMORROW + dt.timedelta(13))

    assert dispatch_at_ten(frozen_clock, written).status == Status.SENT
