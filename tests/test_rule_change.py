"""A rule changed in the editor changes what is still to go: its messages not sent yet are
withdrawn as the save commits, and the next evaluation writes them under the rule as it now
is (none while it is off); the dispatcher cancels an off rule's rows however it was switched
off; the dry runs and the editor's reach say what will happen. The evaluator and the
dispatcher run for real, SMS through the Twilio SDK to the local fake Twilio.

The clock is frozen at Monday 23 Nov 2026 18:00 in Amsterdam. Only rules 11 ("we miss you",
day 14 without a visit, 10:00) and 15 (renewal reminder, day −7, 10:00) are on, without
holdout unless a test says.
"""

import datetime as dt
import re

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from campaigns import dispatcher, dryrun, evaluator, rules
from campaigns.models import Rule, Touchpoint
from club import clock
from tests.factories import MemberFactory, MembershipFactory, PlanFactory, VisitFactory
from tests.race import run_overlapping
from tests.test_playbook_screens import form_data

TODAY = dt.date(2026, 11, 23)
Status, Reason = Touchpoint.Status, Touchpoint.Reason


def at(day: dt.date, hh: int, mm: int = 0) -> dt.datetime:
    return clock.local_datetime(day, dt.time(hh, mm))


def day(n: int) -> dt.date:
    return TODAY + dt.timedelta(days=n)


@pytest.fixture(autouse=True)
def only_rules_11_and_15(db):
    Rule.objects.exclude(number__in=[11, 15]).update(is_active=False)
    Rule.objects.update(holdout_percent=0)


@pytest.fixture
def we_miss_you(db) -> Rule:
    return Rule.objects.prefetch_related("clubs").get(number=11)


@pytest.fixture
def reminder(db) -> Rule:
    return Rule.objects.prefetch_related("clubs").get(number=15)


@pytest.fixture
def away_maya(frozen_clock, maya):
    """Maya last came ten days ago: her 14th day without a visit is Fri 27 Nov."""
    VisitFactory(member=maya, at=at(day(-10), 10))
    return maya


@pytest.fixture
def ending(frozen_clock, downtown):
    """Sam's year ends on Thu 3 Dec: day −7 is Thu 26 Nov, day −5 Sat 28 Nov."""
    sam = MemberFactory(home_club=downtown, first_name="Sam", sms_consent=True)
    year = PlanFactory(club=downtown, duration_days=365, name="Annual")
    MembershipFactory(member=sam, plan=year, start=dt.date(2026, 12, 3) - dt.timedelta(days=364))
    return sam


def edit(client, user, rule: Rule, **changes):
    client.force_login(user)
    return client.post(reverse("playbook:rule_edit", args=[rule.pk]), form_data(rule, **changes))


def flash(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def run_at(frozen_clock, moment: dt.datetime) -> None:
    """Beat at `moment`: the evaluator, then the dispatcher."""
    frozen_clock.move_to(moment)
    evaluator.evaluate()
    dispatcher.dispatch()


def rows(rule: Rule) -> list[tuple]:
    return list(
        Touchpoint.objects.filter(rule=rule)
        .order_by("due_at")
        .values_list("member__first_name", "status", "reason", "due_at", "body")
    )


def page_text(response) -> str:
    assert response.status_code == 200, response.status_code
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.content.decode()))


WE_MISS_YOU = (
    "We miss you at Downtown, Maya! Here's what's on this week: http://127.0.0.1:8000/schedule/"
)


# --- switching a rule off ----------------------------------------------------------------


def test_a_rule_switched_off_sends_nothing_more(
    client, frozen_clock, twilio, mia, we_miss_you, away_maya
):
    # given rule 11's message for Maya in the outbox, due on Friday
    evaluator.evaluate()
    assert [row[1] for row in rows(we_miss_you)] == [Status.SCHEDULED]

    # when marketing unticks "Active" and saves
    response = edit(client, mia, we_miss_you, is_active=None)

    # then the message not sent yet is withdrawn with the save
    assert response.status_code == 302
    assert flash(response) == [
        "Rule 11 “We miss you” saved. 1 message not sent yet was withdrawn: the rule is off, "
        "so none goes."
    ]
    assert rows(we_miss_you) == []
    # and the editor, the rule's dry run and Maya's dry run all say nobody gets it
    editor = page_text(client.get(reverse("playbook:rule_edit", args=[we_miss_you.pk])))
    assert "The rule is off: it reaches nobody." in editor
    dry_run = client.get(reverse("playbook:rule_dry_run", args=[we_miss_you.pk]))
    assert "The rule is off: it reaches nobody." in page_text(dry_run)
    assert dry_run.context["reach"] == dryrun.Reach()
    assert [f for f in dryrun.member_forecast(away_maya) if f.rule_id == we_miss_you.pk] == []
    # and on Friday at 10:05 nothing goes
    run_at(frozen_clock, at(day(4), 10, 5))
    assert twilio.messages == []
    assert rows(we_miss_you) == []


def test_the_dispatcher_cancels_an_off_rules_messages_however_it_was_switched_off(
    frozen_clock, twilio, we_miss_you, away_maya
):
    # given rule 11's message for Maya in the outbox
    evaluator.evaluate()

    # when the rule is switched off outside the editor (the shell, a data migration)
    Rule.objects.filter(pk=we_miss_you.pk).update(is_active=False)

    # then Maya's dry run says what the dispatcher will do, and it does it on Friday
    [forecast] = [f for f in dryrun.member_forecast(away_maya) if f.rule_id == we_miss_you.pk]
    assert (forecast.status, forecast.outcome) == (
        "will be cancelled: the rule is off",
        "cancelled",
    )
    run_at(frozen_clock, at(day(4), 10, 5))
    assert twilio.messages == []
    # withdrawn by the next run's sweep (rules.withdraw_changed), as the editor's save does
    assert rows(we_miss_you) == []


def test_the_dispatcher_cancels_a_row_of_a_rule_switched_off_after_its_sweep(
    frozen_clock, twilio, we_miss_you, away_maya
):
    # given rule 11's message for Maya in the outbox, due by Friday, the rules swept
    evaluator.evaluate()
    frozen_clock.move_to(at(day(4), 10, 5))
    rules.withdraw_changed()

    # when the rule goes off between the sweep and the claim (as if in the same instant)
    Rule.objects.filter(pk=we_miss_you.pk).update(is_active=False, planned_as="")
    dispatcher.dispatch()

    # then the dispatcher's own check cancels it
    assert twilio.messages == []
    assert [row[1:3] for row in rows(we_miss_you)] == [(Status.CANCELLED, Reason.RULE_OFF)]


# --- changes made outside the editor -------------------------------------------------------


NEW_TEXT = "{{ first_name }}, {{ club }} misses you: come back this week!"


@pytest.mark.parametrize("how", ["model save", "queryset update"])
def test_a_text_changed_outside_the_editor_applies_to_every_message_not_yet_sent(
    frozen_clock, twilio, we_miss_you, away_maya, how
):
    # given rule 11's message for Maya in the outbox, due on Friday
    evaluator.evaluate()
    [waiting] = Touchpoint.objects.filter(rule=we_miss_you)
    assert waiting.body == WE_MISS_YOU

    # when the text is changed in a shell (a plain save) or a data migration (an update)
    if how == "model save":
        rule = Rule.objects.get(pk=we_miss_you.pk)
        rule.template = NEW_TEXT
        rule.save()
    else:
        Rule.objects.filter(pk=we_miss_you.pk).update(template=NEW_TEXT)

    # then the next run withdraws the old row and writes it again, and Friday's SMS says so
    run_at(frozen_clock, at(day(4), 10, 5))
    assert not Touchpoint.objects.filter(pk=waiting.pk).exists()
    assert twilio.bodies_to("+31612345678") == ["Maya, Downtown misses you: come back this week!"]
    assert [row[1:] for row in rows(we_miss_you)] == [
        (Status.SENT, "", at(day(4), 10), "Maya, Downtown misses you: come back this week!")
    ]


def test_a_plain_save_without_a_change_withdraws_nothing(frozen_clock, we_miss_you, away_maya):
    # given rule 11's message for Maya in the outbox
    evaluator.evaluate()
    waiting = Touchpoint.objects.get(rule=we_miss_you)

    # when the rule is saved as it stands, and a name (not sent) is changed
    rule = Rule.objects.get(pk=we_miss_you.pk)
    rule.save()
    Rule.objects.filter(pk=rule.pk).update(name="Come back")

    # then the next runs leave the same row waiting
    assert rules.withdraw_changed() == 0
    evaluator.evaluate()
    assert list(Touchpoint.objects.filter(rule=we_miss_you).values_list("pk", "status")) == [
        (waiting.pk, Status.SCHEDULED)
    ]


def test_a_change_saved_in_the_editor_is_withdrawn_once(
    client, frozen_clock, mia, we_miss_you, away_maya
):
    # given rule 11's message for Maya in the outbox
    evaluator.evaluate()

    # when marketing changes the text in the editor
    response = edit(client, mia, we_miss_you, template=NEW_TEXT)

    # then the save withdrew it, and the sweep finds nothing more to withdraw
    assert "1 message not sent yet was withdrawn" in flash(response)[0]
    assert rows(we_miss_you) == []
    evaluator.evaluate()
    [rewritten] = Touchpoint.objects.filter(rule=we_miss_you)
    assert rules.withdraw_changed() == 0
    assert list(Touchpoint.objects.filter(rule=we_miss_you)) == [rewritten]
    assert rewritten.body == "Maya, Downtown misses you: come back this week!"


# --- changing the text ------------------------------------------------------------------


def test_an_edited_text_applies_to_every_message_not_yet_sent(
    client, frozen_clock, twilio, mia, we_miss_you, away_maya
):
    # given rule 11's message for Maya in the outbox, and one sent to her last month
    evaluator.evaluate()
    earlier = Touchpoint.objects.create(
        rule=we_miss_you,
        member=away_maya,
        club=away_maya.home_club,
        occurrence_key="absence:earlier",
        channel="sms",
        status=Status.DELIVERED,
        due_at=at(day(-30), 10),
        send_at=at(day(-30), 10),
        sent_at=at(day(-30), 10),
        explanation="rule 11",
        body=WE_MISS_YOU,
        created_at=at(day(-31), 10),
    )

    # when marketing changes the text
    new_text = "{{ first_name }}, {{ club }} misses you: come back this week!"
    response = edit(client, mia, we_miss_you, template=new_text)

    # then the message not sent yet is withdrawn, the one sent stays what was sent
    assert response.status_code == 302
    assert flash(response) == [
        "Rule 11 “We miss you” saved. 1 message not sent yet was withdrawn; the next "
        "evaluation, within minutes, writes them as the rule now says."
    ]
    assert rows(we_miss_you) == [("Maya", Status.DELIVERED, "", at(day(-30), 10), WE_MISS_YOU)]
    # and the dry run, the outbox and the SMS on Friday all carry the new text
    [forecast] = [f for f in dryrun.member_forecast(away_maya) if f.rule_id == we_miss_you.pk]
    assert (forecast.body, forecast.status) == (
        "Maya, Downtown misses you: come back this week!",
        "will be sent",
    )
    run_at(frozen_clock, at(day(4), 10, 5))
    assert twilio.bodies_to("+31612345678") == ["Maya, Downtown misses you: come back this week!"]
    earlier.refresh_from_db()
    assert earlier.body == WE_MISS_YOU
    assert rows(we_miss_you)[1][1:] == (
        Status.SENT,
        "",
        at(day(4), 10),
        "Maya, Downtown misses you: come back this week!",
    )


def test_a_refused_save_withdraws_nothing(client, frozen_clock, mia, we_miss_you, away_maya):
    # given rule 11's message for Maya in the outbox
    evaluator.evaluate()
    before = rows(we_miss_you)

    # when a save is refused (a template error)
    response = edit(client, mia, we_miss_you, template="Hi {{ first_name ,")

    # then the rule and its message stay as they were
    assert response.status_code == 200
    assert list(response.context["form"].errors) == ["template"]
    assert rows(we_miss_you) == before
    assert [row[4] for row in before] == [WE_MISS_YOU]


def test_a_save_without_a_change_withdraws_nothing(
    client, frozen_clock, mia, we_miss_you, away_maya
):
    # given rule 11's message for Maya in the outbox
    evaluator.evaluate()
    waiting = Touchpoint.objects.get(rule=we_miss_you)

    # when the editor is saved as it stands
    response = edit(client, mia, we_miss_you)

    # then the same row waits, untouched
    assert flash(response) == ["Rule 11 “We miss you” saved."]
    assert list(Touchpoint.objects.filter(rule=we_miss_you).values_list("pk", "status")) == [
        (waiting.pk, Status.SCHEDULED)
    ]


# --- changing the timing ----------------------------------------------------------------


def test_a_changed_timing_sends_the_reminder_at_the_new_time(
    client, frozen_clock, twilio, mia, reminder, ending, downtown
):
    # given rule 15's reminder for Sam in the outbox for Thursday, day −7
    evaluator.evaluate()
    assert [row[3] for row in rows(reminder)] == [at(day(3), 10)]

    # when marketing moves it to day −5
    response = edit(client, mia, reminder, param_days=5)

    # then it is withdrawn, and the dry run says it goes on Saturday, for the new reason
    assert response.status_code == 302
    assert rows(reminder) == []
    reminder.refresh_from_db()
    reach = dryrun.rule_reach(reminder, downtown)
    assert [(f.line, f.outcome) for f in reach.forecasts] == [
        (
            "Sat 28 Nov, 10:00 — SMS, rule 15 Renewal reminder: 5 days before a membership "
            "longer than 10 days ends, if not renewed (membership ends 3 Dec 2026). "
            "Will be sent.",
            "send",
        )
    ]
    # and nothing goes on Thursday, the reminder goes on Saturday
    run_at(frozen_clock, at(day(3), 10, 5))
    assert twilio.messages == []
    run_at(frozen_clock, at(day(5), 10, 5))
    assert len(twilio.bodies_to(str(ending.phone))) == 1
    assert [row[1:4] for row in rows(reminder)] == [(Status.SENT, "", at(day(5), 10))]


# --- what is withdrawn ------------------------------------------------------------------


def test_held_out_rows_still_to_come_are_decided_again(
    client, frozen_clock, mia, we_miss_you, away_maya
):
    # given everyone held out of rule 11, Maya's row due Friday and one held out last month
    Rule.objects.filter(pk=we_miss_you.pk).update(holdout_percent=100)
    we_miss_you.refresh_from_db()
    evaluator.evaluate()
    past = Touchpoint.objects.create(
        rule=we_miss_you,
        member=away_maya,
        club=away_maya.home_club,
        occurrence_key="absence:earlier",
        channel="sms",
        status=Status.HELD_OUT,
        due_at=at(day(-30), 10),
        send_at=at(day(-30), 10),
        explanation="rule 11",
        created_at=at(day(-31), 10),
    )

    # when marketing changes the text
    edit(client, mia, we_miss_you, template="{{ first_name }}, we miss you!")

    # then the row still to come is withdrawn, last month's stays; the next run holds Maya
    # out again, with the new text
    assert list(Touchpoint.objects.filter(rule=we_miss_you).values_list("pk", flat=True)) == [
        past.pk
    ]
    evaluator.evaluate()
    assert [row[1:] for row in rows(we_miss_you)] == [
        (Status.HELD_OUT, "", at(day(-30), 10), ""),
        (Status.HOLDING, "", at(day(4), 10), "Maya, we miss you!"),
    ]


def test_only_what_nothing_was_sent_for_is_withdrawn(frozen_clock, we_miss_you, maya):
    # given rule 11's rows in every state, due an hour ago and due tomorrow
    def row(status, reason="", *, hours):
        due = clock.now() + dt.timedelta(hours=hours)
        return Touchpoint.objects.create(
            rule=we_miss_you,
            member=maya,
            club=maya.home_club,
            occurrence_key=f"{status}:{reason}:{hours}",
            channel="sms",
            status=status,
            reason=reason,
            due_at=due,
            send_at=due,
            explanation="rule 11",
            created_at=clock.now(),
        )

    states = [
        (Status.SCHEDULED, ""),
        (Status.SENDING, ""),
        (Status.SENT, ""),
        (Status.DELIVERED, ""),
        (Status.FAILED, ""),
        (Status.FAILED, Reason.TEMPLATE_ERROR),
        (Status.SUPPRESSED, Reason.NO_CONSENT),
        (Status.CANCELLED, Reason.OBSOLETE),
        (Status.HOLDING, ""),
        (Status.HELD_OUT, ""),
    ]
    for status, reason in states:
        for hours in (-1, 24):
            row(status, reason, hours=hours)

    # when the rule's plans are withdrawn
    withdrawn = rules.withdraw_plans(we_miss_you)

    # then scheduled and held-out rows not decided yet go, and template-failed rows still to
    # come; a row decided held out at its send time stays, like a sent one
    left = set(Touchpoint.objects.values_list("occurrence_key", flat=True))
    gone = {
        "scheduled::-1",
        "scheduled::24",
        "holding::-1",
        "holding::24",
        "failed:template_error:24",
    }
    assert withdrawn == 5
    assert left == {f"{s}:{r}:{h}" for s, r in states for h in (-1, 24)} - gone


# --- a dispatcher claiming while the rule is saved ---------------------------------------


@pytest.fixture
def birthdays(frozen_clock, downtown):
    """Every other rule off, and a birthday rule whose greeting to Bo is due now (10:00
    today) and to Di on Wednesday, in the outbox, committed."""
    Rule.objects.update(is_active=False)
    rule = Rule.objects.create(
        number=201,
        name="Birthday greeting",
        trigger="birthday",
        params={"at": "10:00"},
        channel="sms",
        template="Happy birthday, {{ first_name }}!",
        holdout_percent=0,
    )
    MemberFactory(home_club=downtown, first_name="Bo", birth_date=dt.date(1990, 11, 23))
    MemberFactory(home_club=downtown, first_name="Di", birth_date=dt.date(1990, 11, 25))
    for member in downtown.members.all():
        member.sms_consent = True
        member.save(update_fields=["sms_consent"])
    evaluator.evaluate()
    return rule


def switch_off(rule: Rule):
    def save() -> int:
        rule.is_active = False
        return rules.save(rule)

    return save


@pytest.mark.race
@pytest.mark.django_db(transaction=True)
def test_a_message_claimed_as_the_rule_is_switched_off_goes_and_the_rest_is_withdrawn(birthdays):
    # when a dispatcher claims Bo's greeting and the rule is switched off before it commits
    outcome = run_overlapping(dispatcher.claim, switch_off(birthdays))

    # then the save waited for the claim: Bo's greeting is on its way, Di's is withdrawn
    assert outcome.errors == []
    claimed, withdrawn = outcome.results
    assert withdrawn == 1
    assert list(
        Touchpoint.objects.filter(pk__in=claimed).values_list("member__first_name", "status")
    ) == [("Bo", Status.SENDING)]
    assert Touchpoint.objects.count() == 1


@pytest.mark.race
@pytest.mark.django_db(transaction=True)
def test_a_dispatcher_claiming_while_the_rule_is_switched_off_sends_nothing(birthdays):
    # when the rule is switched off and a dispatcher claims before the save commits
    outcome = run_overlapping(switch_off(birthdays), dispatcher.claim)

    # then the claim skips the rows the save holds, and they are gone
    assert outcome.errors == []
    assert outcome.results == [2, []]
    assert Touchpoint.objects.count() == 0
    assert dispatcher.claim() == []
