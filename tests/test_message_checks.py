"""A message that cannot be sent is refused when it is written and never sent when it comes
out wrong for one member: empty for everyone (a comment only), empty for this member (a false
{% if %}), an SMS over Twilio's 1,600 characters, {% load %}; a one-off campaign to nobody is
not scheduled, and one that reached nobody says so; the rule editor's preview says when its
member would not get the message.

The clock starts at Monday 23 Nov 2026 18:00 in Amsterdam; campaigns go on Tuesday at 10:00.
"""

import datetime as dt

import pytest
from django.urls import reverse

from campaigns import dispatcher, dryrun, evaluator, launches
from campaigns.backoffice import forms as rule_forms
from campaigns.backoffice import views
from campaigns.backoffice.views import Counts
from campaigns.channels import twilio_sms
from campaigns.models import Campaign, CampaignVariant, Rule, Segment, Touchpoint
from club import clock
from members.consent import set_consent
from members.models import Member, Task
from tests.factories import MemberFactory
from tests.test_campaign_screens import form_data as campaign_form_data
from tests.test_playbook_screens import form_data as rule_form_data

pytestmark = pytest.mark.usefixtures("frozen_clock")

TODAY = dt.date(2026, 11, 23)
TUESDAY = TODAY + dt.timedelta(days=1)
Status, Reason = Touchpoint.Status, Touchpoint.Reason
LONG = "x" * 1601


@pytest.fixture
def reminder(db) -> Rule:
    """Rule 15, an SMS renewal reminder, as the defaults have it."""
    return Rule.objects.get(number=15)


@pytest.fixture
def everyone(downtown) -> Segment:
    segment = Segment.objects.create(name="Everyone at Downtown")
    segment.clubs.set([downtown])
    return segment


def members(club, *names: str):
    return [
        MemberFactory(home_club=club, first_name=name, sms_consent=True, phone=f"+3161{i:07d}")
        for i, name in enumerate(names)
    ]


def campaign(segment, template: str, **fields) -> Campaign:
    defaults = {
        "name": "Winter offer",
        "channel": "sms",
        "send_on": TUESDAY,
        "send_time": dt.time(10, 0),
        "holdout_percent": 0,
        "status": Campaign.Status.SCHEDULED,
    }
    created = Campaign.objects.create(segment=segment, **{**defaults, **fields})
    CampaignVariant.objects.create(campaign=created, label="A", template=template)
    return created


def launched(winter: Campaign, frozen_clock) -> list[Touchpoint]:
    """The campaign launched at its time, Tuesday 10:00, and its rows by first name."""
    frozen_clock.move_to(clock.local_datetime(TUESDAY, dt.time(10, 0)))
    launches.launch(winter)
    return list(Touchpoint.objects.filter(campaign=winter).order_by("member__first_name"))


# --- 1. empty messages ----------------------------------------------------------------


@pytest.mark.parametrize(
    "template",
    [
        "{# TODO write copy #}",
        "{% comment %}later{% endcomment %}",
        "{% if first_name %} {% endif %}",
    ],
)
def test_a_campaign_variant_with_no_text_for_anyone_is_refused(client, mia, downtown, template):
    chosen = Segment.objects.create(name="Downtown")
    chosen.clubs.set([downtown])
    client.force_login(mia)

    response = client.post(
        reverse("playbook:campaign_add"), campaign_form_data(chosen, template_A=template)
    )

    assert response.status_code == 200
    assert "Every member would get an empty message" in " ".join(
        response.context["form"].errors["template_A"]
    )
    assert not Campaign.objects.exists()


@pytest.mark.parametrize("channel", ["sms", "email", "task"])
def test_a_rule_with_no_text_for_anyone_is_refused_on_every_channel(client, mia, reminder, channel):
    client.force_login(mia)
    before = Rule.objects.filter(pk=reminder.pk).values().get()

    response = client.post(
        reverse("playbook:rule_edit", args=[reminder.pk]),
        rule_form_data(
            reminder, channel=channel, subject="Renew", template="{# TODO write copy #}"
        ),
    )

    assert response.status_code == 200
    assert "empty message" in " ".join(response.context["form"].errors["template"])
    assert Rule.objects.filter(pk=reminder.pk).values().get() == before


def test_a_template_that_may_say_something_saves(client, mia, reminder):
    client.force_login(mia)

    response = client.post(
        reverse("playbook:rule_edit", args=[reminder.pk]),
        rule_form_data(reminder, template="{% if plan %}Your {{ plan }} ends soon{% endif %}"),
    )

    assert response.status_code == 302


def test_a_campaign_message_empty_for_one_member_is_suppressed_not_sent(
    frozen_clock, downtown, everyone, twilio
):
    members(downtown, "Anna", "Bo")
    winter = campaign(everyone, "{% if first_name == 'Anna' %}Hi Anna{% endif %}")
    anna_row, bo_row = launched(winter, frozen_clock)

    results = dispatcher.dispatch()

    anna_row.refresh_from_db()
    bo_row.refresh_from_db()
    assert (anna_row.status, anna_row.body) == (Status.SENT, "Hi Anna")
    assert (bo_row.status, bo_row.reason) == (Status.SUPPRESSED, Reason.EMPTY_MESSAGE)
    assert results == {"sent": 1}
    assert [m["body"] for m in twilio.messages] == ["Hi Anna"]


def test_the_dispatcher_suppresses_an_empty_row_written_before_the_check(
    frozen_clock, downtown, everyone, twilio
):
    # given a row in the outbox with no text (written before the launch checked it)
    members(downtown, "Anna")
    winter = campaign(everyone, "Hi {{ first_name }}")
    (row,) = launched(winter, frozen_clock)
    Touchpoint.objects.filter(pk=row.pk).update(body="  ")

    dispatcher.dispatch()

    row.refresh_from_db()
    assert (row.status, row.reason) == (Status.SUPPRESSED, Reason.EMPTY_MESSAGE)
    assert twilio.messages == []


def test_a_staff_task_with_an_empty_title_is_not_opened(downtown, twilio):
    rule = Rule.objects.create(
        number=301,
        name="Call on a birthday",
        trigger="birthday",
        params={"at": "10:00"},
        channel="task",
        template="{% if last_name == 'Nobody' %}Call {{ first_name }}{% endif %}",
        holdout_percent=0,
    )
    MemberFactory(home_club=downtown, birth_date=dt.date(1990, 11, 23), last_name="Jansen")
    now = clock.now()
    evaluator.evaluate_rule(rule, downtown, since=now - dt.timedelta(hours=26), until=now)

    dispatcher.dispatch()

    row = Touchpoint.objects.get()
    assert (row.status, row.reason) == (Status.SUPPRESSED, Reason.EMPTY_MESSAGE)
    assert not Task.objects.exists()


def test_the_reasons_read_in_words_on_the_results_and_in_the_dry_run():
    counts = Counts()
    counts.add(Status.SUPPRESSED, Reason.EMPTY_MESSAGE, 2)
    counts.add(Status.SUPPRESSED, Reason.TOO_LONG, 1)

    assert counts.suppressed_by_reason == [
        ("Empty message", 2),
        ("Too long for an SMS (over 1,600 characters)", 1),
    ]
    planned = Touchpoint(status=Status.SUPPRESSED, reason=Reason.EMPTY_MESSAGE)
    assert dryrun._suppressed_words(planned, "sms") == "empty message"


# --- 2. SMS length --------------------------------------------------------------------


def test_an_sms_template_over_1600_characters_is_refused_naming_the_limit_and_length(
    client, mia, reminder, downtown
):
    client.force_login(mia)
    chosen = Segment.objects.create(name="Downtown")
    chosen.clubs.set([downtown])

    rule = client.post(
        reverse("playbook:rule_edit", args=[reminder.pk]),
        rule_form_data(reminder, template="y" * 5000),
    )
    variant = client.post(
        reverse("playbook:campaign_add"), campaign_form_data(chosen, template_B="y" * 5000)
    )

    said = (
        "An SMS can be at most 1,600 characters long (Twilio refuses longer ones); "
        "this one is 5,000."
    )
    assert said in " ".join(rule.context["form"].errors["template"])
    assert said in " ".join(variant.context["form"].errors["template_B"])


def test_a_long_email_and_an_sms_of_1600_characters_save(client, mia, reminder):
    client.force_login(mia)

    email = client.post(
        reverse("playbook:rule_edit", args=[reminder.pk]),
        rule_form_data(reminder, channel="email", subject="Renew", template="y" * 5000),
    )
    sms = client.post(
        reverse("playbook:rule_edit", args=[reminder.pk]),
        rule_form_data(reminder, channel="sms", template="y" * 1600),
    )

    assert (email.status_code, sms.status_code) == (302, 302)


def test_an_sms_rendered_over_1600_characters_is_suppressed_not_sent(
    frozen_clock, downtown, everyone, twilio
):
    # given a name long enough to take the text past the limit for one member only
    members(downtown, "Al", "Z" * 50)
    winter = campaign(everyone, "{{ first_name }}" * 37)
    short, long = launched(winter, frozen_clock)

    dispatcher.dispatch()

    short.refresh_from_db()
    long.refresh_from_db()
    assert short.status == Status.SENT
    assert (long.status, long.reason) == (Status.SUPPRESSED, Reason.TOO_LONG)
    assert len(twilio.messages) == 1


def test_twilio_refusing_a_long_body_fails_it_for_good_with_the_reason():
    assert twilio_sms._reason(21617) == "too_long"
    assert twilio_sms._reason(21211) == "invalid_number"


def test_the_preview_warns_of_many_segments_and_a_body_too_long(client, mia, maya, reminder):
    client.force_login(mia)
    url = reverse("playbook:rule_preview", args=[reminder.pk])

    costly = client.get(url, {"member": maya.pk, "template": "y" * 500}).content.decode()
    too_long = client.get(url, {"member": maya.pk, "template": LONG}).content.decode()
    short = client.get(url, {"member": maya.pk, "template": "Hi"}).content.decode()

    assert "4 SMS segments: each is charged as a message." in costly
    assert "Too long for an SMS: Twilio refuses more than 1,600 characters" in too_long
    assert "each is charged" not in short and "Too long" not in short


# --- 3. campaigns to nobody -----------------------------------------------------------


def draft(segment, **fields) -> Campaign:
    return campaign(segment, "Hi {{ first_name }}", status=Campaign.Status.DRAFT, **fields)


def test_a_one_off_to_a_segment_matching_nobody_is_not_scheduled(client, mia, everyone):
    winter = draft(everyone)
    client.force_login(mia)

    response = client.post(reverse("playbook:campaign_schedule", args=[winter.pk]), follow=True)

    winter.refresh_from_db()
    assert winter.status == Campaign.Status.DRAFT
    assert (
        "Not scheduled: The segment “Everyone at Downtown” matches no one now, so this one-off "
        "campaign would reach nobody." in response.content.decode()
    )


def test_a_repeating_campaign_matching_nobody_today_is_scheduled_with_a_warning(
    client, mia, everyone
):
    weekly = draft(everyone, repeat=Campaign.Repeat.WEEKLY)
    client.force_login(mia)

    response = client.post(reverse("playbook:campaign_schedule", args=[weekly.pk]), follow=True)

    weekly.refresh_from_db()
    page = response.content.decode()
    assert weekly.status == Campaign.Status.SCHEDULED
    assert "The segment “Everyone at Downtown” matches no one today" in page


def test_a_one_off_matching_someone_is_scheduled_without_a_warning(client, mia, downtown, everyone):
    members(downtown, "Anna")
    winter = draft(everyone)
    client.force_login(mia)

    response = client.post(reverse("playbook:campaign_schedule", args=[winter.pk]), follow=True)

    winter.refresh_from_db()
    assert winter.status == Campaign.Status.SCHEDULED
    assert "matches no one" not in response.content.decode()


def test_a_campaign_that_launched_to_nobody_says_so_on_its_results(
    frozen_clock, client, mia, downtown, everyone
):
    # given one campaign launched when no one matched, one after a member joined
    winter = campaign(everyone, "Hi")
    assert launched(winter, frozen_clock) == []
    members(downtown, "Anna")
    sent = campaign(everyone, "Hi", name="Sent one")
    assert len(launched(sent, frozen_clock)) == 1
    client.force_login(mia)

    empty = client.get(reverse("playbook:campaign_results", args=[winter.pk])).content.decode()
    normal = client.get(reverse("playbook:campaign_results", args=[sent.pk])).content.decode()

    assert "Reached nobody: the segment matched no one at send time" in empty
    assert "Reached nobody" not in normal


# --- 4. the preview's member would not get it ------------------------------------------


def test_the_preview_says_when_its_member_opted_out(client, mia, maya, reminder):
    set_consent(maya, "sms", granted=False, source="desk")
    client.force_login(mia)

    response = client.get(reverse("playbook:rule_preview", args=[reminder.pk]), {"member": maya.pk})

    assert "Maya has opted out of SMS, so would not get this." in response.content.decode()


def test_the_preview_says_nothing_when_its_member_gets_it(client, mia, maya, reminder):
    client.force_login(mia)

    response = client.get(reverse("playbook:rule_preview", args=[reminder.pk]), {"member": maya.pk})

    assert "would not get this" not in response.content.decode()


@pytest.mark.parametrize(
    ("fields", "channel", "says"),
    [
        ({"sms_consent": False}, "sms", "Anna has no SMS consent, so would not get this."),
        ({"phone": ""}, "sms", "Anna has no phone number, so would not get this."),
        (
            {"phone": "", "sms_consent": False},
            "sms",
            "Anna has no phone number, so would not get this.",
        ),
        (
            {"email": "", "email_consent": False},
            "email",
            "Anna has no email address, so would not get this.",
        ),
        ({"email": ""}, "email", "Anna has no email address, so would not get this."),
        ({}, "sms", ""),
        ({"sms_consent": False}, "task", ""),
    ],
)
def test_why_a_member_would_not_get_a_message_in_words(downtown, fields, channel, says):
    reachable = {
        "phone": "+31612345670",
        "email": "anna@example.com",
        "sms_consent": True,
        "email_consent": True,
    }
    anna = MemberFactory(home_club=downtown, first_name="Anna", **{**reachable, **fields})

    assert dryrun.would_not_get(anna, channel, marketing=True) == says


def forecast(member, outcome: str) -> dryrun.Forecast:
    return dryrun.Forecast(
        send_at=clock.now(),
        rule_id=1,
        rule_number=15,
        rule_name="Renewal reminder",
        channel="sms",
        subject="",
        body="Hi",
        reason="rule 15: …",
        status="",
        outcome=outcome,
        member_id=member.pk,
    )


def test_the_editors_preview_defaults_to_a_member_the_rule_would_send_to(downtown):
    opted_out, reached = members(downtown, "Lisa", "Maya")
    reach = dryrun.Reach(forecasts=(forecast(opted_out, "not_sent"), forecast(reached, "send")))
    nobody_gets_it = dryrun.Reach(forecasts=(forecast(opted_out, "not_sent"),))
    everyone = Member.objects.filter(home_club=downtown)

    assert views.default_member(everyone, reach) == reached
    assert views.default_member(everyone, nobody_gets_it) == opted_out


def test_with_nobody_reached_the_preview_takes_a_member_of_the_rule_s_clubs(downtown, riverside):
    # given a rule of Downtown alone, reaching nobody this week, and a Riverside member first
    (zoe,) = members(riverside, "Zoë")
    (maya,) = members(downtown, "Maya")
    rule = Rule.objects.get(number=15)
    rule.clubs.set([downtown])
    everyone = Member.objects.order_by("pk")
    assert everyone.first() == zoe

    # then the preview shows a Downtown member, who might get it
    assert views.default_member(everyone, dryrun.Reach(forecasts=()), rule=rule) == maya
    rule.clubs.set([])  # a rule of every club: anyone
    assert views.default_member(everyone, dryrun.Reach(forecasts=()), rule=rule) == zoe


# --- 5. {% load %} ----------------------------------------------------------------------


def test_load_is_refused_in_words_not_cut_off(client, mia, reminder):
    client.force_login(mia)

    response = client.post(
        reverse("playbook:rule_edit", args=[reminder.pk]),
        rule_form_data(reminder, template="{% load static %}Hi {{ first_name }}"),
    )

    assert response.context["form"].errors["template"] == [
        "Template error: {% load %} is not available in messages: use Django's built-in tags "
        "and filters."
    ]
    assert rule_forms.template_problem("{% comment %}{% load static %}{% endcomment %}Hi") == ""
