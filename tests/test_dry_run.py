"""Dry runs: what a member will get in the next 60 days and why, whom a rule reaches this
week, and a template rendered for one member.

The clock is frozen at Monday 23 Nov 2026 18:00 in Amsterdam. Holdout is switched off in the
default playbook (so a member's id cannot decide a test) unless a test turns it on.
"""

import datetime as dt
import re
from dataclasses import replace

import pytest
from django.contrib.staticfiles import finders
from django.urls import reverse

from campaigns import dryrun, evaluator, triggers
from campaigns.models import Rule, Touchpoint
from club import clock
from members.consent import set_consent
from members.models import Member
from tests.factories import MemberFactory, MembershipFactory, PlanFactory, VisitFactory

TODAY = dt.date(2026, 11, 23)


def local(day: dt.date, hh: int, mm: int = 0) -> dt.datetime:
    return clock.local_datetime(day, dt.time(hh, mm))


def rule(number: int) -> Rule:
    return Rule.objects.prefetch_related("clubs").get(number=number)


@pytest.fixture(autouse=True)
def no_holdout(db):
    Rule.objects.update(holdout_percent=0)


@pytest.fixture
def annual(downtown):
    return PlanFactory(club=downtown, name="Annual", duration_days=365)


@pytest.fixture
def sanne(frozen_clock, downtown, annual):
    """Her annual membership ends in 20 days, on 13 December, and is not renewed; she has
    never visited and has her birthday in summer."""
    member = MemberFactory(
        home_club=downtown,
        status=Member.Status.MEMBER,
        first_name="Sanne",
        birth_date=dt.date(1990, 6, 1),
        sms_consent=True,
        email_consent=True,
    )
    MembershipFactory(member=member, plan=annual, start=dt.date(2025, 12, 14))
    return member


RENEWAL_LINE = (
    "Sun 6 Dec, 10:00 — SMS, rule 15 Renewal reminder: 7 days before a membership longer than 14 "
    "days ends, if not renewed (membership ends 13 Dec 2026). Will be sent."
)


def test_the_forecast_lists_the_renewal_reminder_a_week_before_the_end(sanne):
    forecasts = dryrun.member_forecast(sanne)

    reminder = next(f for f in forecasts if f.rule_number == 15)
    assert reminder.line == RENEWAL_LINE
    assert reminder.send_at == local(dt.date(2026, 12, 6), 10)
    assert reminder.send_at.tzinfo == clock.zone(sanne.home_club)
    assert reminder.body == (
        "Sanne, your Annual at Downtown ends 13 Dec. Renew at the front desk on your next visit "
        "or call +31201234567."
    )
    assert (reminder.segments.count, reminder.segments.encoding) == (1, "GSM-7")


def test_the_forecast_is_sorted_and_reads_the_stage_on_the_day_it_is_due(sanne):
    # given Sanne is expiring today; the win-back rules ask for "lapsed", which she will be
    forecasts = dryrun.member_forecast(sanne)

    assert [(f.rule_number, f.when, f.status) for f in forecasts] == [
        (15, "Sun 6 Dec, 10:00", "will be sent"),
        (18, "Wed 16 Dec, 10:00", "will be sent"),
        (19, "Tue 12 Jan, 10:00", "will be sent"),
    ]


def test_a_touchpoint_already_in_the_outbox_is_reported_once_not_as_new(sanne, downtown):
    # given the evaluator has already written the reminder
    reminder = rule(15)
    day = dt.date(2026, 12, 6)
    evaluator.evaluate_rule(reminder, downtown, since=local(day, 0), until=local(day, 23, 59))
    assert Touchpoint.objects.filter(rule=reminder, member=sanne).count() == 1

    forecasts = dryrun.member_forecast(sanne)

    reminders = [f for f in forecasts if f.rule_number == 15]
    assert [(f.line, f.in_outbox) for f in reminders] == [(RENEWAL_LINE, True)]


def test_a_sent_touchpoint_reads_already_sent_on(sanne, downtown, frozen_clock):
    reminder = rule(15)
    day = dt.date(2026, 12, 6)
    evaluator.evaluate_rule(reminder, downtown, since=local(day, 0), until=local(day, 23, 59))
    Touchpoint.objects.filter(rule=reminder).update(
        status=Touchpoint.Status.SENT, sent_at=local(TODAY, 12, 5)
    )

    (sent,) = [f for f in dryrun.member_forecast(sanne) if f.rule_number == 15]

    assert (sent.status, sent.outcome) == ("already sent on 23 Nov 2026, 12:05", "sent")


def test_without_sms_consent_the_sms_is_flagged_and_email_still_goes(sanne):
    # never asked about SMS: marketing SMS needs consent, the transactional reminder does not
    Member.objects.filter(pk=sanne.pk).update(sms_consent=False)
    sanne.refresh_from_db()

    forecasts = {f.rule_number: f for f in dryrun.member_forecast(sanne)}

    assert forecasts[18].status == "not sent: no SMS consent"  # the win-back offer
    assert forecasts[18].line.endswith("Not sent: no SMS consent.")
    assert forecasts[18].outcome == "not_sent"
    assert forecasts[15].status == "will be sent"  # the renewal reminder, transactional
    assert forecasts[19].status == "will be sent"  # an email


def test_after_switching_sms_off_even_the_transactional_sms_is_flagged(sanne):
    set_consent(sanne, "sms", granted=False, source="portal")

    forecasts = {f.rule_number: f for f in dryrun.member_forecast(sanne)}

    assert forecasts[15].status == "not sent: opted out of SMS"
    assert forecasts[15].line.endswith("Not sent: opted out of SMS.")
    assert forecasts[15].outcome == "not_sent"
    assert forecasts[18].status == "not sent: no SMS consent"
    assert forecasts[19].status == "will be sent"  # an email


def test_a_held_out_member_is_flagged_as_control_group(sanne):
    Rule.objects.filter(number=15).update(holdout_percent=100)

    (reminder,) = [f for f in dryrun.member_forecast(sanne) if f.rule_number == 15]

    assert reminder.status == "held out (control group)"


def test_an_inactive_rule_or_one_for_another_club_is_not_forecast(sanne, riverside):
    Rule.objects.filter(number=15).update(is_active=False)
    rule(18).clubs.set([riverside])

    assert [f.rule_number for f in dryrun.member_forecast(sanne)] == [19]


def test_quiet_hours_move_the_send_time(sanne):
    # a reminder due at 07:00 goes at 09:00, when the quiet hours end
    Rule.objects.filter(number=15).update(params={"days": 7, "at": "07:00"})

    (reminder,) = [f for f in dryrun.member_forecast(sanne) if f.rule_number == 15]

    assert reminder.when == "Sun 6 Dec, 09:00"


@pytest.fixture
def due_yesterday(frozen_clock, downtown, annual):
    """Femke's membership ends on Monday 30 Nov: rule 15 fell due on 23 Nov at 10:00, and the
    clock is at 01:31 the night after, inside the quiet hours (21:00-09:00)."""
    member = MemberFactory(home_club=downtown, first_name="Femke", sms_consent=True)
    MembershipFactory(member=member, plan=annual, start=dt.date(2025, 12, 1))
    frozen_clock.move_to(local(dt.date(2026, 11, 24), 1, 31))
    return member


def test_a_message_that_fell_due_waits_for_the_end_of_the_quiet_hours(due_yesterday):
    (reminder,) = [f for f in dryrun.member_forecast(due_yesterday) if f.rule_number == 15]

    assert (reminder.when, reminder.status) == ("Tue 24 Nov, 09:00", "will be sent")


def test_a_scheduled_row_that_fell_due_waits_for_the_end_of_the_quiet_hours(
    due_yesterday, downtown
):
    # given the evaluator wrote the row before the quiet hours began
    reminder = rule(15)
    day = dt.date(2026, 11, 23)
    evaluator.evaluate_rule(reminder, downtown, since=local(day, 0), until=local(day, 23))

    (forecast,) = [f for f in dryrun.member_forecast(due_yesterday) if f.rule_number == 15]

    assert (forecast.when, forecast.status, forecast.in_outbox) == (
        "Tue 24 Nov, 09:00",
        "will be sent",
        True,
    )


def test_a_message_the_quiet_hours_would_hold_too_long_is_not_sent(due_yesterday, downtown):
    # the dispatcher drops it: 09:00 is 23 hours past its due time, the rule allows 12
    Rule.objects.filter(number=15).update(params={"days": 7, "max_delay_hours": 12})

    reach = dryrun.rule_reach(rule(15), downtown)

    (forecast,) = [f for f in reach.forecasts if f.member_id == due_yesterday.pk]
    assert (forecast.status, forecast.outcome) == (
        "not sent: the quiet hours would hold it too long",
        "not_sent",
    )
    assert forecast.when == "Tue 24 Nov, 01:31"


@pytest.fixture
def regular(frozen_clock, downtown):
    """Lotte: a two-year membership from 10 Dec 2025, last visit Friday 20 Nov, birthday on
    1 December; her neighbour Bram has a birthday then too."""
    member = MemberFactory(
        home_club=downtown, first_name="Lotte", birth_date=dt.date(1991, 12, 1), sms_consent=True
    )
    two_years = PlanFactory(club=downtown, duration_days=730)
    MembershipFactory(member=member, plan=two_years, start=dt.date(2025, 12, 10))
    VisitFactory(member=member, club=downtown, at=local(dt.date(2026, 11, 20), 19))
    MemberFactory(home_club=downtown, first_name="Bram", birth_date=dt.date(1985, 12, 1))
    return member


@pytest.mark.parametrize(
    ("number", "due"),
    [
        (11, dt.date(2026, 12, 4)),  # 14 days without a visit
        (12, dt.date(2026, 12, 18)),  # 28 days
        (20, dt.date(2026, 12, 1)),  # birthday
        (21, dt.date(2026, 12, 10)),  # first anniversary
    ],
)
def test_a_member_s_occurrences_are_what_the_club_wide_query_finds_for_them(
    regular, downtown, number, due
):
    the_rule = rule(number)
    window = triggers.Window(downtown, clock.now(), clock.now() + dt.timedelta(days=60))

    mine = dryrun.member_occurrences(the_rule, regular, window)
    club_wide = triggers.occurrences(the_rule.trigger, window, the_rule.params)

    assert mine == [o for o in club_wide if o.member_id == regular.pk]
    assert [o.due_at for o in mine] == [local(due, 10)]


def test_the_forecast_costs_a_few_queries_per_rule_not_one_per_day(
    regular, django_assert_max_num_queries
):
    with django_assert_max_num_queries(60):
        forecasts = dryrun.member_forecast(regular)

    assert [f.rule_number for f in forecasts] == [20, 11, 21, 12]


@pytest.fixture
def ending_next_week(frozen_clock, downtown, riverside, annual):
    """Three members whose memberships end on Wednesday 2 Dec (Cor switched SMS off in the
    portal), and one at Riverside: rule 15 is due for them on Wednesday 25 Nov."""
    members = []
    for name in ["Anna", "Bas", "Cor"]:
        member = MemberFactory(home_club=downtown, first_name=name, sms_consent=True)
        MembershipFactory(member=member, plan=annual, start=dt.date(2025, 12, 3))
        members.append(member)
    set_consent(members[-1], "sms", granted=False, source="portal")
    other = MemberFactory(home_club=riverside, sms_consent=True)
    MembershipFactory(
        member=other,
        plan=PlanFactory(club=riverside, duration_days=365),
        start=dt.date(2025, 12, 3),
    )
    return members


def test_rule_reach_counts_the_members_of_the_club_this_week(ending_next_week, downtown):
    reach = dryrun.rule_reach(rule(15), downtown)

    assert (reach.total, reach.will_send, reach.held_out, reach.not_sent) == (3, 2, 0, 1)
    assert [f.member_name.split()[0] for f in reach.forecasts] == ["Anna", "Bas", "Cor"]
    assert {f.when for f in reach.forecasts} == {"Wed 25 Nov, 10:00"}


def test_rule_reach_counts_the_outbox_but_not_what_was_sent(ending_next_week, downtown):
    # given the evaluator wrote the week ahead, and Anna's reminder has gone already
    reminder = rule(15)
    day = dt.date(2026, 11, 25)
    evaluator.evaluate_rule(reminder, downtown, since=local(day, 0), until=local(day, 23))
    Touchpoint.objects.filter(member=ending_next_week[0]).update(
        status=Touchpoint.Status.SENT, sent_at=local(TODAY, 12)
    )

    reach = dryrun.rule_reach(reminder, downtown)

    assert (reach.total, reach.will_send, reach.not_sent, reach.already) == (2, 1, 1, 1)
    assert all(f.in_outbox for f in reach.forecasts)


def test_the_early_renewal_offer_waits_for_the_second_half_in_dry_runs(frozen_clock, downtown):
    """The dry runs use the evaluator's finder: a month bought early (from 27 Nov, its day
    -30 the day before it starts) gets no early offer; a quarter ending the same day does."""
    month = PlanFactory(club=downtown, name="Monthly", duration_days=30)
    monthly = MemberFactory(home_club=downtown, first_name="Mo", email_consent=True)
    current = MembershipFactory(member=monthly, plan=month, start=TODAY - dt.timedelta(days=26))
    MembershipFactory(
        member=monthly, plan=month, start=current.end + dt.timedelta(days=1), renewed_from=current
    )
    quarter = PlanFactory(club=downtown, name="Quarter", duration_days=90)
    quarterly = MemberFactory(home_club=downtown, first_name="Quinn", email_consent=True)
    MembershipFactory(member=quarterly, plan=quarter, start=dt.date(2026, 9, 28))

    reach = dryrun.rule_reach(rule(14), downtown)
    coming = [(f.rule_number, f.when) for f in dryrun.member_forecast(monthly)]

    assert [f.member_name.split()[0] for f in reach.forecasts] == ["Quinn"]
    assert (14, "Thu 26 Nov, 10:00") not in coming
    assert (15, "Sat 19 Dec, 10:00") in coming  # the new month's own reminder still comes


def test_preview_renders_for_the_member_with_segments(sanne):
    preview = dryrun.preview(rule(15), sanne)

    assert preview.body.startswith("Sanne, your Annual at Downtown ends 13 Dec.")
    assert (preview.segments.count, preview.segments.encoding) == (1, "GSM-7")
    assert preview.facts_from == "Sanne's next occurrence, due Sun 6 Dec 2026, 10:00"


def test_preview_of_unsaved_text_and_of_a_member_without_an_occurrence(sanne):
    preview = dryrun.preview(rule(20), sanne, template="Fijne verjaardag {{ first_name }} 🎉")

    assert preview.body == "Fijne verjaardag Sanne 🎉"
    assert preview.segments.encoding == "UCS-2"
    assert preview.facts_from.startswith("sample values")


@pytest.mark.parametrize("kind", sorted(triggers.REGISTRY))
def test_the_preview_offers_the_fields_the_rule_editor_accepts(sanne, kind):
    # from Sanne's own occurrence (her membership ends in 20 days) or from sample values
    unsaved = Rule(trigger=kind, params={"days": 7, "n": 10}, channel="sms", template="Hi")

    preview = dryrun.preview(unsaved, sanne)

    assert preview.fields == evaluator.template_fields(kind)


def test_preview_reports_a_template_error_instead_of_failing(sanne):
    preview = dryrun.preview(rule(15), sanne, template="Hi {% if %}")

    assert preview.error
    assert preview.body == ""


# --- "Coming up" on the member card -------------------------------------------------------


def test_the_member_card_loads_what_is_coming_up_after_it_renders(client, fiona, sanne):
    client.force_login(fiona)

    card = client.get(reverse("desk:member", args=[sanne.pk])).content.decode()

    assert f'hx-get="{reverse("playbook:coming_up", args=[sanne.pk])}"' in card
    assert "Renewal reminder" not in card  # worked out only when the section asks


def test_coming_up_lists_the_next_touchpoints_for_the_front_desk(client, fiona, sanne):
    client.force_login(fiona)

    response = client.get(reverse("playbook:coming_up", args=[sanne.pk]), HTTP_HX_REQUEST="true")

    html = response.content.decode()
    assert response.status_code == 200
    assert [int(n) for n in re.findall(r'data-rule="(\d+)"', html)] == [15, 18, 19]
    assert "Sun 6 Dec, 10:00" in html and "Renewal reminder" in html
    # The full dry run, with each message, is marketing's and managers'.
    assert reverse("playbook:member_dry_run", args=[sanne.pk]) not in html


def test_marketing_gets_a_link_to_the_full_dry_run(client, mia, sanne):
    client.force_login(mia)

    html = client.get(reverse("playbook:coming_up", args=[sanne.pk])).content.decode()

    assert reverse("playbook:member_dry_run", args=[sanne.pk]) in html


def test_the_front_desk_reads_coming_up_without_playbook_terms(client, fiona, mia, sanne):
    Rule.objects.filter(number=15).update(holdout_percent=100)

    client.force_login(fiona)
    desk = re.sub(r"\s+", " ", client.get(reverse("playbook:coming_up", args=[sanne.pk])).text)
    client.force_login(mia)
    marketing = re.sub(r"\s+", " ", client.get(reverse("playbook:coming_up", args=[sanne.pk])).text)

    assert "Renewal reminder" in desk and "Not sent (comparison group)" in desk
    assert not re.search(r"rule \d|dry run|control group", desk, re.I)
    assert "rule 15:" in marketing and "dry run" in marketing
    assert "Held out (control group)" in marketing


def test_a_member_with_nothing_coming_up_is_told_so(client, fiona, frozen_clock, downtown):
    lead = MemberFactory(home_club=downtown, status=Member.Status.LEAD, first_name="Joris")
    Rule.objects.update(is_active=False)
    client.force_login(fiona)

    html = client.get(reverse("playbook:coming_up", args=[lead.pk])).content.decode()

    assert "Nothing is coming up for Joris in the next 60 days." in html


@pytest.mark.parametrize(("persona", "status"), [("tom", 302), ("olga", 404)])
def test_coming_up_is_not_for_trainers_or_other_clubs(client, request, sanne, persona, status):
    client.force_login(request.getfixturevalue(persona))

    response = client.get(reverse("playbook:coming_up", args=[sanne.pk]))

    assert response.status_code == status


def test_coming_up_tags_say_apart_what_goes_and_what_does_not(client, fiona, sanne):
    # given Sanne without email consent: the SMS reminder goes, the emails do not
    Member.objects.filter(pk=sanne.pk).update(email_consent=False)
    client.force_login(fiona)

    html = client.get(reverse("playbook:coming_up", args=[sanne.pk])).content.decode()

    # then each outcome has its own Wagtail status tag, not one colour for all
    tags = dict(
        (re.sub(r"\s+", " ", text).strip(), classes)
        for classes, text in re.findall(
            r'<span class="(w-status[^"]*)"[^>]*>(.*?)</span>', html, re.S
        )
    )
    assert tags["Will be sent"] == "w-status outcome-goes"
    assert tags["Not sent: no email consent"] == "w-status outcome-stopped"


@pytest.mark.parametrize(
    "outcome", ["send", "task", "held_out", "not_sent", "sent", "failed", "cancelled"]
)
def test_every_outcome_has_a_tag_and_going_differs_from_not_going(sanne, outcome):
    (forecast,) = [f for f in dryrun.member_forecast(sanne) if f.rule_number == 15]

    tag = replace(forecast, outcome=outcome).tag_class

    goes = outcome in ("send", "sent")
    assert (tag == "outcome-goes") is goes


def test_every_outcome_tag_is_styled_where_outcomes_are_shown(client, fiona, sanne):
    with open(finders.find("campaigns/outcomes.css")) as stylesheet:
        css = stylesheet.read()
    for tag in set(dryrun.TAG_CLASSES.values()):
        assert f".w-status.{tag} " in css
    client.force_login(fiona)
    card = client.get(reverse("desk:member", args=[sanne.pk])).content.decode()
    assert "campaigns/outcomes.css" in card  # the coming-up panel brings its styles
