"""Transactional messages need a channel the member has not opted out of; marketing ones
need consent (PLAYBOOK.md, Sending rules). Opted out = no consent and an entry in the consent
log for the channel; a lead who never ticked the SMS box was never asked and still gets rule
4's trial reminder.

The clock is frozen at Monday 23 Nov 2026 18:00 in Amsterdam; the trial class is tomorrow at
12:00, so rule 4's reminder (three hours before) is due at 09:00.
"""

import datetime as dt

import pytest

from campaigns import dispatcher, dryrun, evaluator
from campaigns.models import Rule, Touchpoint
from club import clock
from members.consent import set_consent
from members.models import ConsentLog, Member
from tests.factories import BookingFactory, ClassSessionFactory, MemberFactory

TOMORROW = dt.date(2026, 11, 24)
Status, Reason = Touchpoint.Status, Touchpoint.Reason


def local(day: dt.date, hh: int, mm: int = 0) -> dt.datetime:
    return clock.local_datetime(day, dt.time(hh, mm))


@pytest.fixture(autouse=True)
def only_rule_4(db):
    Rule.objects.exclude(number=4).update(is_active=False)
    Rule.objects.filter(number=4).update(holdout_percent=0)


def trial_lead(club, consent: str) -> Member:
    """A lead booked on tomorrow's 12:00 class as their trial, with no SMS consent: never
    asked, withdrawn (portal switch off), or a box the form logged as declined."""
    lead = MemberFactory(home_club=club, first_name="Lena", status=Member.Status.LEAD)
    if consent == "withdrawn":
        set_consent(lead, "sms", granted=True, source="trial form")
        set_consent(lead, "sms", granted=False, source="portal")
    elif consent == "declined":
        set_consent(lead, "sms", granted=False, source="trial form")
    BookingFactory(
        member=lead,
        session=ClassSessionFactory(club=club, start=local(TOMORROW, 12)),
        is_trial=True,
    )
    lead.refresh_from_db()
    assert not lead.sms_consent and bool(lead.phone)
    return lead


def rule_4(*, marketing: bool = False) -> Rule:
    Rule.objects.filter(number=4).update(is_marketing=marketing)
    return Rule.objects.prefetch_related("clubs").get(number=4)


def evaluate(rule: Rule, club) -> None:
    now = clock.now()
    evaluator.evaluate_rule(rule, club, since=now - dt.timedelta(hours=26), until=now)


def outbox(member) -> tuple[str, str]:
    touchpoint = Touchpoint.objects.get(member=member)
    return touchpoint.status, touchpoint.reason


CASES = [
    pytest.param("never asked", False, Status.SENT, "", id="transactional-never-asked-is-sent"),
    pytest.param("withdrawn", False, Status.SUPPRESSED, Reason.OPTED_OUT, id="withdrawn"),
    pytest.param("declined", False, Status.SUPPRESSED, Reason.OPTED_OUT, id="box-declined"),
    pytest.param("never asked", True, Status.SUPPRESSED, Reason.NO_CONSENT, id="marketing"),
]


@pytest.mark.parametrize(("consent", "marketing", "status", "reason"), CASES)
def test_the_evaluator_writes_a_due_reminder_by_consent_and_opt_out(
    twilio, frozen_clock, downtown, consent, marketing, status, reason
):
    lead = trial_lead(downtown, consent)
    frozen_clock.move_to(local(TOMORROW, 9))

    evaluate(rule_4(marketing=marketing), downtown)

    written = Status.SCHEDULED if status == Status.SENT else status
    assert outbox(lead) == (written, reason)
    dispatcher.dispatch()
    assert outbox(lead) == (status, reason)
    sent = twilio.bodies_to(str(lead.phone))
    assert len(sent) == (1 if status == Status.SENT else 0)


@pytest.mark.parametrize(("consent", "marketing", "status", "reason"), CASES)
def test_the_dispatcher_rechecks_at_send_time(
    twilio, frozen_clock, downtown, consent, marketing, status, reason
):
    # the reminder was written last night, before any consent change
    lead = trial_lead(downtown, "never asked")
    evaluate_ahead = rule_4(marketing=marketing)
    now = clock.now()
    evaluator.evaluate_rule(evaluate_ahead, downtown, since=now, until=now + dt.timedelta(days=1))
    assert outbox(lead) == (Status.SCHEDULED, "")
    if consent == "withdrawn":
        set_consent(lead, "sms", granted=True, source="desk")
        set_consent(lead, "sms", granted=False, source="sms_stop")
    elif consent == "declined":
        set_consent(lead, "sms", granted=False, source="desk")

    frozen_clock.move_to(local(TOMORROW, 9))
    dispatcher.dispatch()

    assert outbox(lead) == (status, reason)
    assert len(twilio.bodies_to(str(lead.phone))) == (1 if status == Status.SENT else 0)


def test_the_dispatcher_asks_the_consent_log_once_per_batch(
    frozen_clock, downtown, django_assert_max_num_queries
):
    leads = [trial_lead(downtown, "never asked") for _ in range(3)]
    set_consent(leads[0], "sms", granted=False, source="portal")
    now = clock.now()
    evaluator.evaluate_rule(rule_4(), downtown, since=now, until=now + dt.timedelta(days=1))
    frozen_clock.move_to(local(TOMORROW, 9))

    with django_assert_max_num_queries(12) as queries:
        dispatcher.claim()

    # the opt-out fact comes with the claim's own query: nothing else reads the consent log
    asking = [q for q in queries.captured_queries if "members_consentlog" in q["sql"]]
    assert len(asking) == 1 and "FOR UPDATE" in asking[0]["sql"]
    assert [outbox(lead)[1] for lead in leads] == [Reason.OPTED_OUT, "", ""]


@pytest.mark.parametrize(
    ("consent", "marketing", "words"),
    [
        ("never asked", False, ("will be sent", "send")),
        ("withdrawn", False, ("not sent: opted out of SMS", "not_sent")),
        ("never asked", True, ("not sent: no SMS consent", "not_sent")),
    ],
)
def test_the_dry_run_says_no_consent_or_opted_out(
    frozen_clock, downtown, consent, marketing, words
):
    lead = trial_lead(downtown, consent)
    rule = rule_4(marketing=marketing)

    def forecast():
        return [(f.when, f.status, f.outcome) for f in dryrun.member_forecast(lead)]

    # planned by the dry run itself, and then read from the row the evaluator wrote
    assert forecast() == [("Tue 24 Nov, 09:00", *words)]
    now = clock.now()
    evaluator.evaluate_rule(rule, downtown, since=now, until=now + dt.timedelta(days=1))
    assert Touchpoint.objects.filter(member=lead).count() == 1
    assert forecast() == [("Tue 24 Nov, 09:00", *words)]
    assert dryrun.rule_reach(rule, downtown).not_sent == (words[1] == "not_sent")


def test_a_withdrawal_logged_for_email_is_no_sms_opt_out(frozen_clock, downtown):
    lead = trial_lead(downtown, "never asked")
    ConsentLog.objects.create(
        member=lead, channel="email", granted=False, source="portal", at=clock.now()
    )

    assert [f.status for f in dryrun.member_forecast(lead)] == ["will be sent"]


def test_the_dry_run_names_a_missing_phone_number_not_consent(frozen_clock, downtown):
    # A transactional reminder needs no consent: what keeps it from a lead without a phone
    # number is the number, and that is what staff should fix.
    lead = trial_lead(downtown, "never asked")
    lead.phone = ""
    lead.save()
    rule_4(marketing=False)

    assert [f.status for f in dryrun.member_forecast(lead)] == ["not sent: no phone number"]
