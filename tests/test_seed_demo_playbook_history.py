"""The demo's playbook has a past for more than rule 14: the welcome (7), the 10th visit (10),
the birthday greeting (20) and the anniversary (21) are planted as the engine would have
written them, and change no outcome."""

import datetime as dt
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.urls import reverse

from campaigns import dispatcher, evaluator, triggers
from campaigns.models import Rule, Touchpoint
from club import clock
from club.models import Club
from cms.demo import catalogue
from members.models import Member

TODAY = dt.date(2026, 11, 23)  # the frozen clock's day
PLANTED_RULES = [spec.number for spec in catalogue.PLAYBOOK_HISTORY]


def seed(tmp_path, members=400):
    call_command(
        "seed_demo",
        members=members,
        years=1,
        seed=7,
        today=TODAY,
        params_out=tmp_path / "seed_params.json",
        stdout=StringIO(),
    )


@pytest.fixture
def demo(db, frozen_clock, tmp_path):
    seed(tmp_path)


@pytest.mark.django_db
def test_the_generator_knows_the_planted_rules_and_the_engine_as_they_are():
    # given: the default playbook as migrated, the engine's clock and caps
    rules = {rule.number: rule for rule in Rule.objects.filter(number__in=PLANTED_RULES)}

    # then: what the generator assumes of them is what they are
    for spec in catalogue.PLAYBOOK_HISTORY:
        rule = rules[spec.number]
        assert (rule.trigger, rule.channel, rule.holdout_percent) == (
            spec.trigger,
            spec.channel,
            spec.holdout_percent,
        )
        assert (rule.priority, rule.is_marketing, rule.stages, rule.plan_kinds) == (
            spec.priority,
            spec.marketing,
            [],
            [],
        )
    assert rules[10].params["n"] == catalogue.TENTH_VISIT
    assert rules[20].params["at"] == rules[21].params["at"] == "10:00"
    assert catalogue.CALENDAR_MINUTE == 10 * 60
    quiet = [Club._meta.get_field(f"quiet_hours_{end}").default for end in ("start", "end")]
    assert [t.hour * 60 + t.minute for t in quiet] == list(catalogue.QUIET_HOURS)
    assert evaluator.LOOKBACK.total_seconds() == catalogue.EVALUATOR_LOOKBACK
    assert evaluator.LOOKAHEAD.total_seconds() == catalogue.EVALUATOR_LOOKAHEAD
    assert (dispatcher.DAILY_CAP, dispatcher.WEEKLY_CAP) == (
        catalogue.DAILY_CAP,
        catalogue.WEEKLY_CAP,
    )


@pytest.mark.parametrize("number", PLANTED_RULES)
def test_the_planted_touchpoints_of_the_last_month_are_those_the_trigger_finds(demo, number):
    # given: touchpoints due in the last 30 days; none of these triggers asks anything that
    # can change after the due time, so the trigger on today's rows judges them as it did then
    rule = Rule.objects.get(number=number)
    planted, found = set(), set()
    for club in Club.objects.all():
        today_began = clock.start_of_day(TODAY, club)
        window = triggers.Window(
            club=club, since=today_began - dt.timedelta(days=30), until=today_began
        )

        # when
        occurrences = triggers.occurrences(rule.trigger, window, rule.params)
        joined = dict(
            Member.objects.filter(pk__in={o.member_id for o in occurrences}).values_list(
                "pk", "created_at"
            )
        )
        # The engine could only greet members it knew: the evaluator catches up 26 hours.
        found |= {
            (o.member_id, o.key, o.due_at)
            for o in occurrences
            if joined[o.member_id] < o.due_at + evaluator.LOOKBACK
        }
        planted |= set(
            Touchpoint.objects.filter(
                rule=rule, club=club, due_at__gt=window.since, due_at__lte=window.until
            ).values_list("member_id", "occurrence_key", "due_at")
        )

    # then
    assert planted, f"nothing of rule {number} fell due in the last month"
    assert planted == found


def test_planted_touchpoints_are_held_out_suppressed_or_sent_as_the_engine_decides(demo):
    touchpoints = Touchpoint.objects.filter(rule__number__in=PLANTED_RULES).select_related(
        "rule", "member", "club"
    )

    statuses = {(t.rule.number, t.status) for t in touchpoints}

    # then: the welcome is never held out (0 %); the others are, and each has every arm
    assert {status for number, status in statuses if number == 7} == {
        "delivered",
        "sent",
        "suppressed",
    }
    for number in (10, 20, 21):
        assert {"held_out", "delivered", "suppressed"} <= {s for n, s in statuses if n == number}
    for t in touchpoints:
        zone = ZoneInfo(t.club.time_zone)
        assert t.send_at == evaluator.send_time(t.due_at, t.club, t.rule)
        assert t.created_at >= t.due_at - evaluator.LOOKAHEAD
        assert t.body and t.explanation.startswith(f"rule {t.rule.number}: ")
        if t.status == "suppressed" and t.reason == "no_consent":
            # Consent is given once, at first contact: without it at send time, none now.
            assert not evaluator.has_channel_consent(t.member, t.channel)
        if t.status in ("sent", "delivered"):
            # Sent when the quiet hours were over, after it was written.
            assert t.sent_at > max(t.send_at, t.created_at)
            assert not t.club.in_quiet_hours(t.sent_at.astimezone(zone).time())
        else:
            assert t.sent_at is None
    welcome = touchpoints.filter(rule__number=7, status="delivered").first()
    assert welcome.subject == f"Welcome to {welcome.club.name}!"
    assert welcome.body.startswith(f"Hi {welcome.member.first_name},")


def test_the_playbook_screen_shows_the_planted_rules_with_an_uplift_or_why_not(client, demo):
    client.force_login(get_user_model().objects.get(username="mia"))

    response = client.get(reverse("playbook:index"), {"days": 90})

    assert response.status_code == 200
    rows = {row["rule"].number: row for row in response.context["rows"]}
    labels = [column.label for column in response.context["columns"]]
    for number in PLANTED_RULES:
        counts, extra = rows[number]["counts"], rows[number]["extra"]
        assert counts.sent > 0
        uplift = extra[labels.index("Uplift")]
        if number == 7:  # nobody held out: nothing to compare with
            assert counts.held_out == 0
            assert uplift.text == "—"
        else:
            assert "pts" in uplift.text or uplift.title.startswith("Too little data"), uplift
    assert rows[20]["counts"].held_out > 0


@pytest.mark.django_db
def test_a_rule_changed_by_hand_gets_no_planted_past_and_the_history_stays_the_same(
    tmp_path, frozen_clock
):
    # given: marketing made rule 10 about something else before the demo was seeded
    seed(tmp_path, members=150)
    before = Touchpoint.objects.filter(rule__number__in=[7, 20]).count()
    Rule.objects.filter(number=10).update(trigger="birthday", params={"at": "10:00"})

    # when
    call_command(
        "seed_demo",
        members=150,
        years=1,
        seed=7,
        today=TODAY,
        reset=True,
        params_out=tmp_path / "again.json",
        stdout=StringIO(),
    )

    # then: rule 10 has none; the other planted rules have theirs, as before
    assert not Touchpoint.objects.filter(rule__number=10).exists()
    assert Touchpoint.objects.filter(rule__number__in=[7, 20]).count() == before
