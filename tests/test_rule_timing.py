"""The rule editor says the trigger's timing in words next to its parameters, as the evaluator
explains a touchpoint, and again (htmx) as the trigger, channel or parameters change."""

import datetime as dt
import html
import re

import pytest
from django.urls import reverse

from campaigns import evaluator, triggers
from campaigns.models import Rule
from tests.test_playbook_screens import form_data

TIMING = re.compile(r'<div id="rule-timing"[^>]*>(.*?)</div>', re.S)


def timing_text(response) -> str:
    """The words in the editor's timing box, tags dropped and whitespace collapsed."""
    assert response.status_code == 200, response.status_code
    box = TIMING.search(response.content.decode()).group(1)
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", box)).strip())


@pytest.fixture
def offer(db) -> Rule:
    return Rule.objects.get(number=14)


def test_the_editor_says_the_saved_timing_next_to_the_parameters(client, mia, offer):
    client.force_login(mia)

    response = client.get(reverse("playbook:rule_edit", args=[offer.pk]))

    assert (
        timing_text(response)
        == "Fires 30 days before a membership longer than 60 days ends, if not renewed."
    )
    page = response.content.decode()
    assert (
        page.index('name="channel"')
        < page.index('name="param_days"')
        < page.index('name="param_at"')
        < page.index('id="rule-timing"')
        < page.index('name="subject"')
    )


def test_the_timing_follows_what_is_typed_in_the_words_a_touchpoint_is_explained_in(
    client, mia, offer
):
    client.force_login(mia)

    response = client.get(
        reverse("playbook:rule_timing"),
        {"trigger": "membership_ended", "param_days": "3", "param_at": "11:00", "channel": "sms"},
        headers={"HX-Request": "true"},
    )

    assert timing_text(response) == "Fires 3 days after a membership ended, if not renewed."
    rule = Rule(number=99, trigger="membership_ended", params={"days": 3, "at": "11:00"})
    occurrence = triggers.Occurrence(1, "k", dt.datetime(2026, 11, 23, tzinfo=dt.UTC), {})
    assert evaluator.explain(rule, occurrence) == (
        "rule 99: 3 days after a membership ended, if not renewed"
    )


def test_a_new_rule_says_the_timing_of_the_trigger_its_list_shows_first(client, mia):
    client.force_login(mia)

    response = client.get(reverse("playbook:rule_add"))

    assert timing_text(response) == "Fires at once a lead is created."


@pytest.mark.parametrize(
    ("trigger", "typed", "says"),
    [
        (
            "membership_ends_in",
            {"param_days": "7", "params": '{"day": 7'},
            "Other parameters: Not valid JSON",
        ),
        (
            "membership_ends_in",
            {"param_days": "7", "params": "[7]"},
            'Other parameters: Give a JSON object such as {"days": 7}, not a list or value.',
        ),
        ("membership_ends_in", {}, "Days: Membership ends soon needs this."),
        (
            "membership_ends_in",
            {"param_days": "7", "params": '{"day": 7}'},
            'Other parameters: "day" is not a parameter',
        ),
        (
            "membership_ends_in",
            {"param_days": "-7"},
            "Days: Ensure this value is greater than or equal to 1.",
        ),
        (
            "membership_ends_in",
            {"param_days": "7", "param_at": "25:00"},
            "Time of day: Enter a time of day as HH:MM (24-hour), e.g. 21:00.",
        ),
        (
            "lead_created",
            {"params": '{"due_minutes": 15}'},
            'Other parameters: "due_minutes" is for staff-task rules only.',
        ),
        ("no_such_kind", {}, "'no_such_kind' is not a trigger kind."),
        ("", {}, "Choose a trigger."),
    ],
)
def test_parameters_that_cannot_be_said_in_words_say_what_is_wrong(
    client, mia, trigger, typed, says
):
    client.force_login(mia)

    response = client.get(
        reverse("playbook:rule_timing"),
        {"trigger": trigger, **typed, "channel": "sms"},
        headers={"HX-Request": "true"},
    )

    assert timing_text(response).startswith(says)


def test_a_staff_task_rule_may_have_the_task_parameters(client, mia):
    client.force_login(mia)

    response = client.get(
        reverse("playbook:rule_timing"),
        {"trigger": "lead_created", "param_due_minutes": "15", "channel": "task"},
    )

    assert timing_text(response) == "Fires at once a lead is created."


@pytest.mark.parametrize(
    ("typed", "field", "says"),
    [
        ({"param_days": "0"}, "param_days", "Ensure this value is greater than or equal to 1."),
        (
            {"params": "[30]"},
            "params",
            'Give a JSON object such as {"days": 7}, not a list or value.',
        ),
    ],
)
def test_a_refused_save_says_what_is_wrong_with_the_parameters_once_under_the_field(
    client, mia, offer, typed, field, says
):
    client.force_login(mia)

    response = client.post(
        reverse("playbook:rule_edit", args=[offer.pk]), form_data(offer, **typed)
    )

    page = html.unescape(response.content.decode())
    assert page.count(says) == 1
    assert page.index(f'for="id_{field}"') < page.index(says) < page.index('id="rule-timing"')
    assert timing_text(response) == ""
    offer.refresh_from_db()
    assert offer.params["days"] == 30


def test_a_save_refused_for_another_field_keeps_the_timing_in_words(client, mia, offer):
    client.force_login(mia)

    response = client.post(
        reverse("playbook:rule_edit", args=[offer.pk]),
        form_data(offer, param_days=21, template="Hi {{ frist_name }}"),
    )

    assert "frist_name" in html.unescape(response.content.decode())
    assert (
        timing_text(response)
        == "Fires 21 days before a membership longer than 42 days ends, if not renewed."
    )


def test_only_marketing_and_managers_ask_for_the_timing(client, fiona):
    client.force_login(fiona)

    response = client.get(reverse("playbook:rule_timing"), {"trigger": "birthday"})

    assert response.status_code == 302
    assert response["Location"] == reverse("wagtailadmin_home")
