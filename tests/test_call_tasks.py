"""Call tasks a rule opened are cancelled once their reason is gone (campaigns.call_tasks):
rule 12's "no visit for 28 days: call them" when the member checks in before anyone called."""

import datetime as dt

import pytest
from django.core import mail
from django.urls import reverse

from campaigns import call_tasks, dispatcher, evaluator, triggers
from campaigns import tasks as campaigns_tasks
from campaigns.models import Rule
from checkin import checkins
from checkin.models import Source
from club import clock
from members import leads, staff_tasks
from members.models import Member, MemberEvent, Task
from memberships import sales
from tests.factories import MemberFactory, MembershipFactory, PlanFactory, VisitFactory


@pytest.fixture
def quiet_koen(frozen_clock, downtown, monthly_plan):
    """A member whose last visit was 30 days ago, with rule 12's call task open."""
    today = clock.today(downtown)
    koen = MemberFactory(home_club=downtown, first_name="Koen", card_token="KOEN-1")
    MembershipFactory(
        member=koen,
        plan=monthly_plan,
        start=today - dt.timedelta(days=60),
        end=today + dt.timedelta(days=30),
    )
    VisitFactory(member=koen, club=downtown, at=clock.now() - dt.timedelta(days=30))
    rule = Rule.objects.get(number=12)
    Rule.objects.filter(pk=rule.pk).update(holdout_percent=0)
    rule.refresh_from_db()
    now = clock.now()
    evaluator.evaluate_rule(rule, downtown, since=now - dt.timedelta(days=40), until=now)
    dispatcher.dispatch(now=now)
    return koen


def test_a_call_task_is_cancelled_once_the_member_checks_in(client, fiona, quiet_koen, downtown):
    [task] = Task.objects.open().filter(member=quiet_koen)
    # nothing has changed yet: the call is still needed, and asking twice changes nothing
    assert call_tasks.cancel_moot_call_tasks() == 0

    checkins.check_in(quiet_koen, source=Source.DESK, club=downtown)

    assert call_tasks.cancel_moot_call_tasks() == 1
    task.refresh_from_db()
    assert task.status == Task.Status.CANCELLED and task.done_at == clock.now()
    event = quiet_koen.events.get(kind=MemberEvent.Kind.TASK_CANCELLED)
    assert event.data == {"task": task.pk, "title": task.title}
    assert call_tasks.cancel_moot_call_tasks() == 0  # safe to run twice
    client.force_login(fiona)
    card = client.get(reverse("desk:member", args=[quiet_koen.pk])).content.decode()
    assert "Staff task no longer needed" in card and "the reason for it has gone" in card


def test_a_task_no_rule_opened_stays_open(quiet_koen, downtown):
    own = staff_tasks.open_task(quiet_koen, title="Return his towel", due_in=dt.timedelta(hours=1))

    checkins.check_in(quiet_koen, source=Source.DESK, club=downtown)
    call_tasks.cancel_moot_call_tasks()

    own.refresh_from_db()
    assert own.status == Task.Status.OPEN


def test_a_switched_off_rule_leaves_its_tasks_to_staff(quiet_koen, downtown):
    Rule.objects.filter(number=12).update(is_active=False)

    checkins.check_in(quiet_koen, source=Source.DESK, club=downtown)

    assert call_tasks.cancel_moot_call_tasks() == 0
    assert Task.objects.open().filter(member=quiet_koen).count() == 1


# --- rule 1: a new lead's call, moot once they join -----------------------------------------


@pytest.fixture
def website_lead(frozen_clock, downtown, max):
    """A lead from the website at 18:00, with rule 1's call task open (due 18:15)."""
    lead, _ = leads.capture(
        downtown,
        first_name="Ann",
        last_name="Api",
        email="ann@example.com",
        source=Member.Source.WEBSITE,
        consent_source="api:website",
    )
    evaluator.evaluate(prompt_only=True)
    dispatcher.dispatch(now=clock.now())
    return lead


def test_a_lead_who_joined_before_the_call_fell_due_is_not_escalated(
    frozen_clock, website_lead, downtown, monthly_plan
):
    [task] = Task.objects.open().filter(member=website_lead)
    assert task.escalate_when_late
    frozen_clock.shift(dt.timedelta(minutes=10))
    sales.sell(website_lead, monthly_plan, start=clock.today(downtown), method="cash")
    frozen_clock.shift(dt.timedelta(minutes=6))  # 18:16: late, and the 5-minute sweep not run

    assert campaigns_tasks.escalate_late_tasks_task() == 0

    task.refresh_from_db()
    assert task.status == Task.Status.CANCELLED
    assert not mail.outbox
    assert not website_lead.events.filter(kind=MemberEvent.Kind.TASK_ESCALATED).exists()


@pytest.mark.parametrize("joined", ["nothing", "a free trial week"])
def test_a_lead_who_has_not_joined_is_still_escalated(frozen_clock, website_lead, downtown, joined):
    if joined == "a free trial week":
        trial = PlanFactory(club=downtown, trial=True)
        sales.sell(website_lead, trial, start=clock.today(downtown), method="cash")
    frozen_clock.shift(dt.timedelta(minutes=16))

    assert campaigns_tasks.escalate_late_tasks_task() == 1

    assert Task.objects.get(member=website_lead).status == Task.Status.OPEN
    assert mail.outbox[0].subject == "Late: Call Ann Api within 15 minutes: a new lead."


def test_rule_1_says_its_call_is_moot_once_the_lead_joined(db):
    rule = Rule.objects.get(number=1)

    assert rule.params["unless_joined"] is True
    assert triggers.get(rule.trigger).describe(rule.params) == (
        "at once a lead is created (not walk-in leads), unless they joined since"
    )
