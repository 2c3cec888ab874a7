"""The prompt lane: the rules someone waits on (a member turned away at the door, a seat
from the waitlist, a new lead) are evaluated every few seconds and sent at once, not at the
next full evaluator run minutes later.

The clock is frozen at Monday 23 Nov 2026 18:00 in Amsterdam, outside the quiet hours.
"""

import datetime as dt

import pytest

from campaigns import evaluator, tasks, triggers
from campaigns.models import Rule, Touchpoint
from checkin import checkins
from checkin.models import CheckInAttempt, Source
from club.celery import PROMPT_EVERY_SECONDS, app
from tests.factories import MemberFactory, MembershipFactory, PlanFactory

TODAY = dt.date(2026, 11, 23)
Status = Touchpoint.Status


@pytest.fixture(autouse=True)
def playbook_without_holdout(db):
    Rule.objects.update(holdout_percent=0)


@pytest.fixture
def turned_away(frozen_clock, downtown):
    """Kees's month ended last week, and it is his birthday: he is turned away at the door."""
    member = MemberFactory(
        home_club=downtown,
        first_name="Kees",
        birth_date=dt.date(1990, 11, 23),
        sms_consent=True,
    )
    month = PlanFactory(club=downtown, name="Monthly", duration_days=30)
    MembershipFactory(member=member, plan=month, start=TODAY - dt.timedelta(days=37))
    attempt = checkins.check_in(member, source=Source.DESK)
    assert isinstance(attempt, CheckInAttempt) and attempt.reason == "expired"
    return member


def test_a_denial_at_the_door_is_texted_within_the_lane_run(turned_away, twilio, eager_tasks):
    # when the lane runs, seconds after the scan
    created = tasks.evaluate_prompt_task()

    # then rule 16's "renew now" was written and sent in the same run
    renew_now = Touchpoint.objects.get(member=turned_away, rule__number=16)
    assert created >= 1
    assert renew_now.status == Status.SENT
    assert [m["to"] for m in twilio.messages] == [str(turned_away.phone)]


def test_the_lane_leaves_calendar_rules_to_the_full_run(turned_away):
    # when only the lane runs
    evaluator.evaluate(prompt_only=True)

    # then the birthday greeting (a calendar rule) is not in the outbox yet
    written = Touchpoint.objects.filter(member=turned_away)
    assert set(written.values_list("rule__trigger", flat=True)) == {"check_in_denied"}

    # and the full run adds it, and nothing the lane wrote a second time
    evaluator.evaluate()
    assert sorted(written.values_list("rule__trigger", flat=True)) == [
        "birthday",
        "check_in_denied",
    ]


def test_a_denial_older_than_the_lane_looks_back_is_left_to_the_full_run(turned_away, frozen_clock):
    # given the lane did not run for longer than it looks back (its worker was down)
    frozen_clock.shift(evaluator.PROMPT_LOOKBACK + dt.timedelta(minutes=1))

    # then the lane finds nothing, and the full run, which looks back a day, still does
    assert evaluator.evaluate(prompt_only=True) == 0
    evaluator.evaluate()
    assert Touchpoint.objects.filter(member=turned_away, rule__number=16).exists()


def test_with_no_active_prompt_rule_the_lane_reads_nothing_else(
    turned_away, django_assert_max_num_queries
):
    Rule.objects.filter(trigger__in=triggers.prompt_kinds()).update(is_active=False)

    with django_assert_max_num_queries(1):
        assert tasks.evaluate_prompt_task() == 0
    assert not Touchpoint.objects.exists()


def test_the_prompt_kinds_are_the_ones_someone_waits_on():
    assert sorted(triggers.prompt_kinds()) == [
        "check_in_denied",
        "lead_created",
        "payment_failed",
        "waitlist_promoted",
    ]


def test_beat_runs_the_lane_every_few_seconds_and_drops_a_stale_run():
    entry = app.conf.beat_schedule["evaluate-prompt-rules"]

    assert entry["task"] == tasks.evaluate_prompt_task.name
    assert entry["schedule"] == PROMPT_EVERY_SECONDS <= 30
    assert entry["options"]["expires"] == PROMPT_EVERY_SECONDS
