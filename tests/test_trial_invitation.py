"""Rule 2's "try a class for free" SMS, 5 minutes after a lead is created, is not sent to a
lead who booked a trial (or joined) in those minutes; rule 1's call to the lead still is.

The clock is frozen at Monday 23 Nov 2026 18:00 in Amsterdam.
"""

import datetime as dt
import importlib

import pytest
from django.apps import apps
from django.urls import reverse

from campaigns import dispatcher, dryrun, evaluator, triggers
from campaigns.backoffice import forms
from campaigns.models import Rule, Touchpoint
from checkin import bookings
from checkin.models import Booking
from club import clock
from cms import trials
from members import leads, timeline
from members.models import Member, MemberEvent, Task
from tests.factories import (
    BookingFactory,
    ClassSessionFactory,
    MemberFactory,
    MembershipFactory,
    PlanFactory,
)

Status, Reason = Touchpoint.Status, Touchpoint.Reason
OBSOLETE = "will be cancelled: no longer true"
WORDINGS = trials.ConsentWordings(sms="Text me, please.", email="Email me, please.")
migration = importlib.import_module("campaigns.migrations.0012_trial_invitation_unless_booked")


def minutes(n: int) -> dt.timedelta:
    return dt.timedelta(minutes=n)


@pytest.fixture(autouse=True)
def only_rules_1_and_2(db):
    Rule.objects.exclude(number__in=[1, 2]).update(is_active=False)
    Rule.objects.update(holdout_percent=0)


def evaluate(club) -> None:
    now = clock.now()
    for rule in Rule.objects.prefetch_related("clubs").filter(number__in=[1, 2]):
        evaluator.evaluate_rule(
            rule, club, since=now - dt.timedelta(days=1), until=now + minutes(60)
        )


def outbox(member) -> dict[int, tuple[str, str]]:
    rows = Touchpoint.objects.filter(member=member).select_related("rule")
    return {tp.rule.number: (tp.status, tp.reason) for tp in rows}


def sms_sent(member) -> bool:
    return member.events.filter(kind=MemberEvent.Kind.MESSAGE_SENT, data__channel="sms").exists()


def rule_2_forecast(member) -> list[tuple[str, str]]:
    return [(f.status, f.outcome) for f in dryrun.member_forecast(member) if f.rule_number == 2]


@pytest.fixture
def session(downtown):
    return ClassSessionFactory(club=downtown)


def test_the_seeded_rule_2_skips_leads_who_booked_and_rule_1_does_not():
    assert Rule.objects.get(number=2).params == {"delay_minutes": 5, "unless_trial_booked": True}
    assert "unless_trial_booked" not in Rule.objects.get(number=1).params
    assert triggers.get("lead_created").describe(Rule.objects.get(number=2).params) == (
        "5 minutes after a lead is created, unless a trial is booked or a membership bought since"
    )


def test_a_lead_from_the_trial_form_gets_the_call_but_no_trial_invitation(
    frozen_clock, downtown, session
):
    signup = trials.sign_up_for_trial(
        downtown,
        first_name="Ana",
        phone="+31687654321",
        session=session,
        sms_consent=True,
        wordings=WORDINGS,
    )
    member = signup.member

    evaluate(downtown)
    assert outbox(member) == {1: (Status.SCHEDULED, "")}
    assert rule_2_forecast(member) == []
    frozen_clock.move_to(clock.now() + minutes(5))
    dispatcher.dispatch()

    # the form's own call task stands for rule 1's; no SMS invites her to what she booked
    assert outbox(member) == {1: (Status.DELIVERED, "")}
    assert list(Task.objects.filter(member=member)) == [signup.task]
    assert not sms_sent(member)


@pytest.fixture
def phoned_in(frozen_clock, downtown):
    """Ana rang the club at 18:00; the evaluator wrote rule 1's call and rule 2's SMS."""
    member, _ = leads.capture(
        downtown,
        first_name="Ana",
        phone="+31687654321",
        source=Member.Source.PHONE,
        sms_consent=True,
        consent_source="phone call",
    )
    evaluate(downtown)
    assert outbox(member) == {1: (Status.SCHEDULED, ""), 2: (Status.SCHEDULED, "")}
    return member


def test_a_trial_booked_at_the_desk_two_minutes_later_cancels_the_invitation(
    phoned_in, frozen_clock, session, fiona
):
    frozen_clock.move_to(clock.now() + minutes(2))
    bookings.book(phoned_in, session, trial=True, by=fiona)

    assert rule_2_forecast(phoned_in) == [(OBSOLETE, "cancelled")]
    frozen_clock.move_to(clock.now() + minutes(3))
    dispatcher.dispatch()

    assert outbox(phoned_in) == {
        1: (Status.DELIVERED, ""),
        2: (Status.CANCELLED, Reason.OBSOLETE),
    }
    assert Task.objects.filter(member=phoned_in).count() == 1  # rule 1 still calls her
    assert not sms_sent(phoned_in)


def test_a_plain_lead_gets_the_trial_invitation_after_5_minutes(phoned_in, frozen_clock):
    assert rule_2_forecast(phoned_in) == [("will be sent", "send")]
    frozen_clock.move_to(clock.now() + minutes(5))
    dispatcher.dispatch()

    assert outbox(phoned_in) == {1: (Status.DELIVERED, ""), 2: (Status.DELIVERED, "")}
    assert Task.objects.filter(member=phoned_in).count() == 1
    assert sms_sent(phoned_in)


def test_a_cancelled_trial_or_one_from_before_the_lead_does_not_count(frozen_clock, downtown):
    now = clock.now()
    window = triggers.Window(club=downtown, since=now - dt.timedelta(days=1), until=now)
    at = now - minutes(30)
    cancelled, earlier, joined, booked = (MemberFactory(home_club=downtown) for _ in range(4))
    events = {
        member: timeline.record(member, MemberEvent.Kind.LEAD_CREATED, at=at)
        for member in (cancelled, earlier, joined, booked)
    }
    BookingFactory(
        member=cancelled, is_trial=True, status=Booking.Status.CANCELLED, created_at=at + minutes(1)
    )
    BookingFactory(member=earlier, is_trial=True, created_at=at - minutes(1))
    MembershipFactory(member=joined, plan=PlanFactory(club=downtown), created_at=at + minutes(2))
    BookingFactory(member=booked, is_trial=True, created_at=at)

    occurrences = triggers.occurrences("lead_created", window, {"unless_trial_booked": True})
    assert sorted(o.key for o in occurrences) == sorted(
        f"event:{events[m].pk}" for m in (cancelled, earlier)
    )
    # without the parameter (rule 1's call) everyone is found
    assert len(triggers.occurrences("lead_created", window, {})) == 4


# --- the rule editor --------------------------------------------------------------------


def test_the_editor_accepts_the_parameter_on_lead_created_rules_only():
    assert forms.parameter_problems("lead_created", {"unless_trial_booked": True}) == []
    assert forms.parameter_problems("lead_created", {"unless_trial_booked": "yes"}) == [
        '"unless_trial_booked" must be true or false.'
    ]
    assert forms.parameter_problems("birthday", {"unless_trial_booked": True}) == [
        '"unless_trial_booked" is only for the "Lead created" trigger.'
    ]
    assert forms.timing("lead_created", {"unless_trial_booked": False}) == (
        "at once a lead is created",
        [],
    )


def test_marketing_saves_rule_2_as_migrated(client, mia):
    rule = Rule.objects.prefetch_related("clubs").get(number=2)
    client.force_login(mia)
    data = {
        "name": rule.name,
        "trigger": rule.trigger,
        "param_delay_minutes": 10,
        "param_unless_trial_booked": "on",
        "channel": rule.channel,
        "template": rule.template,
        "stages": rule.stages,
        "priority": rule.priority,
        "holdout_percent": rule.holdout_percent,
        "is_marketing": "on",
        "is_active": "on",
    }

    response = client.post(reverse("playbook:rule_edit", args=[rule.pk]), data)

    assert response.status_code == 302, response.context["form"].errors
    rule.refresh_from_db()
    assert rule.params == {"delay_minutes": 10, "unless_trial_booked": True}


# --- the migration ----------------------------------------------------------------------


def test_the_migration_changes_only_a_rule_2_left_as_seeded():
    rule = Rule.objects.get(number=2)
    Rule.objects.filter(pk=rule.pk).update(params=migration.SEEDED)

    migration.unless_trial_booked(apps, None)
    rule.refresh_from_db()
    assert rule.params == {"delay_minutes": 5, "unless_trial_booked": True}

    migration.back_to_seeded(apps, None)
    rule.refresh_from_db()
    assert rule.params == {"delay_minutes": 5}


def test_the_migration_leaves_an_edited_rule_2_alone():
    edited = {"delay_minutes": 30}
    Rule.objects.filter(number=2).update(params=edited)

    migration.unless_trial_booked(apps, None)

    assert Rule.objects.get(number=2).params == edited
    # reversing leaves a rule marketing edited after the migration alone too
    Rule.objects.filter(number=2).update(params={"delay_minutes": 10, "unless_trial_booked": True})
    migration.back_to_seeded(apps, None)
    assert Rule.objects.get(number=2).params == {"delay_minutes": 10, "unless_trial_booked": True}
