"""The evaluator: occurrences become touchpoints once, with consent, holdout, quiet hours,
conditions and a plain-words reason."""

import datetime as dt

import pytest

from campaigns import dispatcher, evaluator
from campaigns.models import Rule, Touchpoint
from club import clock
from members.models import Member
from tests.factories import MemberFactory, MembershipFactory, PlanFactory

TODAY = dt.date(2026, 11, 23)


def local(day: dt.date, hh: int, mm: int = 0) -> dt.datetime:
    return clock.local_datetime(day, dt.time(hh, mm))


def make_rule(**fields) -> Rule:
    """A rule of our own, numbered after the default playbook's 21."""
    defaults = {
        "number": 114,
        "name": "Early renewal offer",
        "trigger": "membership_ends_in",
        "params": {"days": 30, "at": "10:00"},
        "channel": "sms",
        "template": "Hi {{ first_name }}, your {{ plan }} at {{ club }} ends {{ end|date:'j M' }}.",
        "holdout_percent": 0,
    }
    return Rule.objects.create(**{**defaults, **fields})


@pytest.fixture
def ending(frozen_clock, downtown):
    """Sanne's annual membership ends in 30 days, on 23 December."""
    member = MemberFactory(home_club=downtown, first_name="Sanne", sms_consent=True)
    year = PlanFactory(club=downtown, duration_days=365, name="Annual")
    MembershipFactory(member=member, plan=year, start=dt.date(2025, 12, 24))
    return member


def evaluate_today(rule, club):
    return evaluator.evaluate_rule(rule, club, since=local(TODAY, 0), until=local(TODAY, 23, 59))


def test_an_occurrence_becomes_one_rendered_touchpoint(ending, downtown):
    rule = make_rule()

    created = evaluate_today(rule, downtown)

    touchpoint = Touchpoint.objects.get()
    assert created == 1
    assert (touchpoint.member, touchpoint.status, touchpoint.channel) == (
        ending,
        "scheduled",
        "sms",
    )
    assert touchpoint.body == "Hi Sanne, your Annual at Downtown ends 23 Dec."
    assert touchpoint.explanation == (
        "rule 114: 30 days before a membership longer than 60 days ends, if not renewed "
        "(membership ends 23 Dec 2026)"
    )
    assert touchpoint.due_at == touchpoint.send_at == local(TODAY, 10)


def test_evaluating_twice_creates_nothing_new(ending, downtown):
    rule = make_rule()
    evaluate_today(rule, downtown)

    assert evaluate_today(rule, downtown) == 0
    assert Touchpoint.objects.count() == 1


@pytest.fixture
def only_our_rules(db):
    """Switch the default playbook off, so a whole evaluation runs only the test's rule."""
    Rule.objects.update(is_active=False)


def test_the_whole_evaluation_is_safe_to_repeat(ending, downtown, frozen_clock, only_our_rules):
    make_rule()
    frozen_clock.move_to(local(TODAY, 12))

    assert evaluator.evaluate() == 1
    assert evaluator.evaluate() == 0


def test_a_template_failing_on_one_members_values_fails_that_touchpoint_only(
    ending, downtown, frozen_clock, only_our_rules
):
    # given Kees's membership ends the same day as Sanne's, and a template that fails on
    # Sanne's values only (her plan is "Annual")
    kees = MemberFactory(home_club=downtown, first_name="Kees", sms_consent=True)
    yearly = PlanFactory(club=downtown, duration_days=365, name="Yearly")
    MembershipFactory(member=kees, plan=yearly, start=dt.date(2025, 12, 24))
    make_rule(
        template='{% if plan == "Annual" %}{{ first_name|divisibleby:2 }}{% endif %}'
        "Hi {{ first_name }}"
    )
    other = make_rule(number=115, name="Another rule")
    frozen_clock.move_to(local(TODAY, 12))

    # when the whole evaluation runs
    created = evaluator.evaluate()

    # then Sanne's touchpoint failed with the reason, Kees's and the other rule's are written
    assert created == 4
    rows = Touchpoint.objects.filter(rule__number=114)
    failed, scheduled = rows.get(member=ending), rows.get(member=kees)
    assert (failed.status, failed.reason, failed.body) == ("failed", "template_error", "")
    assert failed.error == (
        'Template error: the filter "divisibleby" fails on “Sanne” '
        "(invalid literal for int() with base 10: 'Sanne')."
    )
    assert (scheduled.status, scheduled.body, scheduled.error) == ("scheduled", "Hi Kees", "")
    assert Touchpoint.objects.filter(rule=other, status="scheduled").count() == 2
    # and the dispatcher never picks the failed one up
    assert failed.pk not in dispatcher.claim()
    failed.refresh_from_db()
    assert failed.status == "failed"


def test_a_rule_that_fails_leaves_the_other_rules_running_and_the_run_failed(
    ending, downtown, frozen_clock, only_our_rules, monkeypatch, caplog
):
    # given two rules, and the first one's trigger query breaks (a bug, a bad stored param)
    broken = make_rule(number=114)
    working = make_rule(number=115, name="Another rule")
    occurrences = evaluator.triggers.occurrences

    def failing_for_the_broken_rule(kind, window, params):
        if params.get("broken"):
            raise RuntimeError("the trigger query failed")
        return occurrences(kind, window, params)

    Rule.objects.filter(pk=broken.pk).update(params={**broken.params, "broken": True})
    monkeypatch.setattr(evaluator.triggers, "occurrences", failing_for_the_broken_rule)
    frozen_clock.move_to(local(TODAY, 12))

    # when the whole evaluation runs, then it reports the failure by rule and club
    with pytest.raises(evaluator.EvaluationFailed, match="rule 114 at Downtown failed; 1 touch"):
        evaluator.evaluate()

    # and the other rule's touchpoint was written, the error logged with its traceback
    assert list(Touchpoint.objects.values_list("rule", flat=True)) == [working.pk]
    assert "rule 114 at Downtown failed" in caplog.text
    assert "the trigger query failed" in caplog.text


@pytest.mark.parametrize(
    ("template", "context", "message"),
    [
        (
            "{{ first_name|divisibleby:2 }}",
            {"first_name": "Maya"},
            'the filter "divisibleby" fails on “Maya” '
            "(invalid literal for int() with base 10: 'Maya').",
        ),
        (
            "{{ visits|divisibleby:2 }}",
            {"visits": ""},
            'the filter "divisibleby" fails on an empty value '
            "(invalid literal for int() with base 10: '').",
        ),
        (
            "{{ first_name|default:nickname }}",
            {"first_name": ""},
            'the message has no field "nickname".',
        ),
    ],
)
def test_a_template_failing_on_its_values_says_which_filter_and_value(template, context, message):
    with pytest.raises(evaluator.RenderError) as error:
        evaluator.render(template, context)

    assert str(error.value) == message


def test_a_filter_renders_on_the_values_it_takes():
    assert evaluator.render("{{ visits|divisibleby:2 }}", {"visits": 10}) == "True"


def test_an_empty_value_between_words_leaves_one_space_and_indents_stay():
    template = "Call {{ first_name }} {{ last_name }} within 15 minutes.\n  - bring a towel"

    text = evaluator.render(template, {"first_name": "Zoe", "last_name": ""})

    assert text == "Call Zoe within 15 minutes.\n  - bring a towel"


def test_messages_are_plain_text_so_names_are_not_html_escaped():
    context = {"first_name": "D'Angelo", "club_name": "Gym & Spa <Downtown>"}

    body = evaluator.render("Hi {{ first_name }}, see you at {{ club_name }}", context)

    assert body == "Hi D'Angelo, see you at Gym & Spa <Downtown>"


def test_a_planned_touchpoint_names_an_irish_member_as_written(ending, downtown):
    Member.objects.filter(pk=ending.pk).update(first_name="Sinéad", last_name="O'Brien")
    ending.refresh_from_db()
    rule = Rule.objects.get(number=1)  # "Call {{ first_name }} {{ last_name }}…"
    facts = {"plan": "Annual", "end": TODAY}
    occurrence = evaluator.triggers.Occurrence(ending.pk, "k", local(TODAY, 10), facts)

    body = evaluator.render(rule.template, evaluator.message_context(ending, downtown, occurrence))

    assert "O'Brien" in body and "&#x27;" not in body


def test_members_without_consent_are_recorded_as_suppressed(ending, downtown):
    Member.objects.filter(pk=ending.pk).update(sms_consent=False)

    evaluate_today(make_rule(), downtown)

    touchpoint = Touchpoint.objects.get()
    assert (touchpoint.status, touchpoint.reason) == ("suppressed", "no_consent")


# Held out, decided at its send time like a sent one (tests/test_dispatch_holdout.py).
@pytest.mark.parametrize(("percent", "status"), [(100, "holding"), (0, "scheduled")])
def test_holdout_share(ending, downtown, percent, status):
    evaluate_today(make_rule(holdout_percent=percent), downtown)

    assert Touchpoint.objects.get().status == status


def test_holdout_is_stable_and_near_its_share(downtown):
    rule = make_rule(holdout_percent=10)

    held = [evaluator.is_held_out(member_id, rule) for member_id in range(1, 5001)]

    assert held == [evaluator.is_held_out(member_id, rule) for member_id in range(1, 5001)]
    assert 400 <= sum(held) <= 600


@pytest.mark.parametrize(
    ("due", "quiet_hours", "sent"),
    [
        (local(TODAY, 23), "after", local(TODAY + dt.timedelta(days=1), 9)),
        (local(TODAY, 7), "after", local(TODAY, 9)),
        (local(TODAY, 12), "after", local(TODAY, 12)),
        # A reminder for an early class goes the evening before.
        (local(TODAY, 4), "before", local(TODAY - dt.timedelta(days=1), 20)),
        (local(TODAY, 22), "before", local(TODAY, 20)),
    ],
)
def test_quiet_hours_move_the_send_time(downtown, due, quiet_hours, sent):
    rule = make_rule(params={"days": 30, "quiet_hours": quiet_hours})

    assert evaluator.send_time(due, downtown, rule) == sent


def test_staff_tasks_ignore_quiet_hours(downtown):
    rule = make_rule(channel="task")

    assert evaluator.send_time(local(TODAY, 23), downtown, rule) == local(TODAY, 23)


def test_stage_condition(ending, downtown):
    evaluate_today(make_rule(stages=["at_risk"]), downtown)

    assert not Touchpoint.objects.exists()


def test_plan_kind_condition(ending, downtown):
    evaluate_today(make_rule(plan_kinds=["pack"]), downtown)
    assert not Touchpoint.objects.exists()

    evaluate_today(make_rule(number=115, plan_kinds=["time"]), downtown)
    assert Touchpoint.objects.count() == 1


def test_rule_limited_to_another_club_does_not_fire_here(
    ending, downtown, riverside, frozen_clock, only_our_rules
):
    rule = make_rule()
    rule.clubs.set([riverside])
    frozen_clock.move_to(local(TODAY, 12))

    assert evaluator.evaluate() == 0


def test_the_default_playbook_is_installed_and_every_rule_renders(ending, downtown):
    rules = list(Rule.objects.order_by("number"))

    assert [rule.number for rule in rules] == list(range(1, 23))
    facts = {"plan": "Annual", "end": TODAY, "visits_left": 2, "years": 2, "class_name": "Spin"}
    facts |= {"class_day": "Mon 23 Nov", "class_time": "19:30"}
    occurrence = evaluator.triggers.Occurrence(ending.pk, "k", local(TODAY, 10), facts)
    context = evaluator.message_context(ending, downtown, occurrence)
    for rule in rules:
        evaluator.triggers.get(rule.trigger)  # every rule names a trigger kind that exists
        body = evaluator.render(rule.template, context)
        assert "{" not in body, rule
        assert "Sanne" in body, rule


# --- which names a template reads ------------------------------------------------------------


IF_ELSE = "{% if visits > 9 and not club %}{{ years }}{% else %}{{ days }}{% endif %}"
LOOP = "{% for word in plan.split %}{{ word }} {{ forloop.counter }}{% empty %}{{ word }}"


@pytest.mark.parametrize(
    ("template", "read"),
    [
        ("Hi {{ frist_name }}!", ["frist_name"]),
        ("{{ end|date:'j M' }} {{ end.year }} {{ 'text' }} {{ 5 }} {{ _('Hi') }}", ["end"]),
        ("{{ end|date:fmt|default:plan }}", ["end", "fmt", "plan"]),
        (IF_ELSE, ["visits", "club", "years", "days"]),
        (LOOP + "{% endfor %}{{ word }}", ["plan", "word"]),  # only inside the loop
        ("{% for k, v in event.items %}{{ k }}={{ v }}{% endfor %}", ["event"]),
        (
            "{% with name=first_name|title %}{{ name }}{% endwith %}{{ name }}",
            ["first_name", "name"],
        ),
        (
            "{% now 'Y' as year %}{{ year }} {% cycle club plan as both %}{{ both }}",
            ["club", "plan"],
        ),
        ("{% filter upper|cut:club %}{{ first_name }}{% endfilter %}", ["club", "first_name"]),
        ("{% if end == None or True %}{% firstof plan 'no plan' %}{% endif %}", ["end", "plan"]),
    ],
)
def test_names_read_are_the_first_part_of_each_name_the_template_does_not_define(template, read):
    assert evaluator.names_read(template) == read


def test_a_message_gets_exactly_the_fields_its_rule_may_use(ending, downtown):
    facts = {"end": TODAY, "plan": "Annual"}  # what membership_ends_in gives
    occurrence = evaluator.triggers.Occurrence(ending.pk, "k", local(TODAY, 10), facts)

    context = evaluator.message_context(ending, downtown, occurrence)

    assert tuple(context) == evaluator.template_fields("membership_ends_in")
    assert tuple(context) == (
        "first_name",
        "last_name",
        "club",
        "club_phone",
        "site_url",
        "end",
        "plan",
    )


def test_the_trial_reminder_names_the_class_s_day_sent_the_evening_before(downtown):
    # a 07:00 class's reminder goes at 20:00 the evening before (quiet hours): not "today"
    rule = Rule.objects.get(number=4)
    start = local(TODAY + dt.timedelta(days=1), 7)
    facts = {"class_name": "Spin", "class_start": start}
    facts |= evaluator.triggers.class_words(start, clock.zone(downtown))
    lead = MemberFactory(home_club=downtown, first_name="Niamh")
    occurrence = evaluator.triggers.Occurrence(lead.pk, "k", start, facts)

    body = evaluator.render(rule.template, evaluator.message_context(lead, downtown, occurrence))

    assert body.startswith("See you Tue 24 Nov at 07:00 for Spin at Downtown")


def test_site_url_is_the_members_own_clubs_site(downtown, riverside_site, riverside, settings):
    # given Riverside has a site of its own; Downtown is shown by the default site
    settings.SITE_URL = "http://127.0.0.1:8000/"

    # then each club's messages link to its own site
    assert evaluator.club_values(riverside)["site_url"] == "https://riverside.example.com"
    assert evaluator.club_values(downtown)["site_url"] == "http://127.0.0.1:8000"
