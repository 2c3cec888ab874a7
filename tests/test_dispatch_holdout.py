"""A held-out touchpoint is decided at its send time by the very checks a sent one passes:
still true and sendable, it is held out (the control member who would have been sent);
no longer true, it is cancelled as obsolete like its sent twin; without consent, suppressed.
So the two arms of an uplift are the same kind of member."""

import datetime as dt

import pytest

from campaigns import dispatcher, dryrun, evaluator, launches, rules
from campaigns.models import Rule, Segment, Touchpoint
from club import clock
from members.consent import set_consent
from memberships import sales
from tests.factories import MemberFactory, MembershipFactory, PlanFactory
from tests.test_campaign_launch import TUESDAY, local
from tests.test_campaign_launch import campaign as launch_campaign
from tests.test_campaign_launch import members as launch_members

TODAY = dt.date(2026, 11, 23)  # frozen_clock: 18:00 in Amsterdam
Status, Reason = Touchpoint.Status, Touchpoint.Reason


@pytest.fixture(autouse=True)
def only_our_rules(db):
    Rule.objects.update(is_active=False)


def reminder_rule(*, holdout_percent=100) -> Rule:
    return Rule.objects.create(
        number=215,
        name="Renewal reminder",
        trigger="membership_ends_in",
        params={"days": 7, "at": "10:00"},
        channel="sms",
        template="Your {{ plan }} ends {{ end|date:'j M' }}",
        holdout_percent=holdout_percent,
    )


def member_ending_in(club, *, days: int, **fields):
    member = MemberFactory(home_club=club, **{"sms_consent": True, **fields})
    year = PlanFactory(club=club, duration_days=365, name="Annual")
    start = TODAY + dt.timedelta(days=days - 364)
    return member, MembershipFactory(member=member, plan=year, start=start)


def evaluate(rule, club, *, ahead=dt.timedelta(0)):
    now = clock.now()
    return evaluator.evaluate_rule(
        rule, club, since=now - dt.timedelta(hours=26), until=now + ahead
    )


def test_a_held_out_row_waits_for_its_send_time_then_is_held_out(twilio, frozen_clock, downtown):
    member_ending_in(downtown, days=9)  # due in two days, at 10:00
    evaluate(reminder_rule(), downtown, ahead=dt.timedelta(days=8))
    written = Touchpoint.objects.get().status

    before = dispatcher.dispatch()
    frozen_clock.move_to("2026-11-25 10:00:00+00:00")
    first = dispatcher.dispatch()
    again = dispatcher.dispatch()

    assert (written, before, first, again) == (Status.HOLDING, {}, {}, {})
    touchpoint = Touchpoint.objects.get()
    assert (touchpoint.status, touchpoint.reason) == (Status.HELD_OUT, "")
    assert touchpoint.sent_at is None and touchpoint.claimed_at is None
    assert twilio.messages == []


def test_a_held_out_row_no_longer_true_at_send_is_cancelled_like_its_twin(
    twilio, frozen_clock, downtown
):
    # given members in both arms who all renew before the reminder is due
    rule = reminder_rule(holdout_percent=50)
    endings = [member_ending_in(downtown, days=9) for _ in range(16)]
    arms = {evaluator.is_held_out(member.pk, rule) for member, _ in endings}
    evaluate(rule, downtown, ahead=dt.timedelta(days=8))
    for _, ending in endings:
        sales.renew(ending, method="cash")

    frozen_clock.move_to("2026-11-25 10:00:00+00:00")
    dispatcher.dispatch()
    dispatcher.dispatch()

    # then all are cancelled as obsolete: neither arm keeps a member who acted first
    assert arms == {True, False}
    decided = set(Touchpoint.objects.values_list("status", "reason"))
    assert decided == {(Status.CANCELLED, Reason.OBSOLETE)}
    assert Touchpoint.objects.count() == 16
    assert twilio.messages == []


def test_a_held_out_member_without_consent_at_send_is_in_neither_arm(
    twilio, frozen_clock, downtown
):
    member, _ = member_ending_in(downtown, days=9)
    rule = reminder_rule()
    rule.is_marketing = True
    rule.save()
    evaluate(rule, downtown, ahead=dt.timedelta(days=8))
    set_consent(member, "sms", granted=False, source="desk")

    frozen_clock.move_to("2026-11-25 10:00:00+00:00")
    dispatcher.dispatch()

    touchpoint = Touchpoint.objects.get()
    assert (touchpoint.status, touchpoint.reason) == (Status.SUPPRESSED, Reason.NO_CONSENT)


def test_a_held_out_row_already_due_without_consent_is_suppressed_at_insert(frozen_clock, downtown):
    member_ending_in(downtown, days=7, sms_consent=False)  # due today at 10:00
    rule = reminder_rule()
    rule.is_marketing = True
    rule.save()

    evaluate(rule, downtown)

    touchpoint = Touchpoint.objects.get()
    assert (touchpoint.status, touchpoint.reason) == (Status.SUPPRESSED, Reason.NO_CONSENT)


def test_a_held_out_row_in_the_quiet_hours_waits_like_a_sent_one(twilio, frozen_clock, downtown):
    member_ending_in(downtown, days=7)
    evaluate(reminder_rule(), downtown)
    frozen_clock.move_to("2026-11-23 22:00:00+00:00")  # 23:00 in Amsterdam

    dispatcher.dispatch()

    touchpoint = Touchpoint.objects.get()
    assert touchpoint.status == Status.HOLDING
    assert touchpoint.send_at == dt.datetime(2026, 11, 24, 8, 0, tzinfo=dt.UTC)  # 09:00 there


def test_a_held_out_row_is_withdrawn_with_the_rule_and_a_decided_one_stays(frozen_clock, downtown):
    member_ending_in(downtown, days=7)
    member_ending_in(downtown, days=9)
    rule = reminder_rule()
    evaluate(rule, downtown, ahead=dt.timedelta(days=8))
    dispatcher.dispatch()  # the first is due: held out; the second waits

    rule.template = "Your membership ends soon"
    withdrawn = rules.save(rule)

    assert withdrawn == 1
    assert list(Touchpoint.objects.values_list("status", flat=True)) == [Status.HELD_OUT]


def test_the_dry_run_says_a_held_out_row_no_longer_true_will_be_cancelled(frozen_clock, downtown):
    member, ending = member_ending_in(downtown, days=9)
    evaluate(reminder_rule(), downtown, ahead=dt.timedelta(days=8))
    sales.renew(ending, method="cash")

    [forecast] = [f for f in dryrun.member_forecast(member) if f.rule_number == 215]

    assert (forecast.status, forecast.outcome) == (dryrun.OBSOLETE, "cancelled")


def test_a_campaign_held_out_member_is_decided_at_send_like_the_others(
    twilio, frozen_clock, downtown
):
    # given a campaign holding everyone out, launched, and one member then withdrawing consent
    everyone = Segment.objects.create(name="Everyone at Downtown")
    everyone.clubs.set([downtown])
    kept, withdrawn = launch_members(downtown, 2)
    winter = launch_campaign(everyone, holdout_percent=100)
    frozen_clock.move_to(local(TUESDAY, 10))
    launches.launch(winter)
    written = set(Touchpoint.objects.values_list("status", flat=True))
    set_consent(withdrawn, "sms", granted=False, source="desk")

    # when the dispatcher reaches them, twice
    dispatcher.dispatch()
    dispatcher.dispatch()

    # then the one who could have been sent is held out, the other is in neither arm
    decided = dict(Touchpoint.objects.values_list("member_id", "status"))
    assert written == {Status.HOLDING}
    assert decided == {kept.pk: Status.HELD_OUT, withdrawn.pk: Status.SUPPRESSED}
    assert twilio.messages == []


def test_stopping_a_campaign_cancels_its_held_out_rows_still_to_come(frozen_clock, downtown):
    everyone = Segment.objects.create(name="Everyone at Downtown")
    everyone.clubs.set([downtown])
    launch_members(downtown, 2)
    weekly = launch_campaign(everyone, holdout_percent=100, repeat="weekly")
    frozen_clock.move_to(local(TUESDAY, 10))
    launches.launch(weekly)

    launches.stop(weekly)

    statuses = set(Touchpoint.objects.values_list("status", "reason"))
    assert statuses == {(Status.CANCELLED, Reason.CAMPAIGN_STOPPED)}
