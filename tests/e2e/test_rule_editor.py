"""Mia the marketer, in a real browser: the rule editor's preview follows what she types
without losing it, and warns before saving."""

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from campaigns.models import Rule
from tests.factories import PASSWORD, MemberFactory

pytestmark = pytest.mark.e2e


def test_choosing_a_preview_member_keeps_the_unsaved_edits(
    live_server, page, log_in, screenshot, mia, maya, downtown
):
    rule = Rule.objects.get(number=15)
    MemberFactory(home_club=downtown, first_name="Anna", last_name="Bakker")
    log_in(mia, PASSWORD)
    page.goto(f"{live_server.url}{reverse('playbook:rule_edit', args=[rule.pk])}")

    # Mia edits the rule, then looks for Anna to preview it for her
    page.fill("#id_name", "Renewal reminder, warmer")
    page.fill("#id_template", "Unsaved text for {{ first_name }}")
    page.fill("#member-search", "anna")
    page.get_by_role("button", name="Find", exact=True).click()
    page.get_by_role("link", name="Anna Bakker").click()

    expect(page.locator("#preview")).to_contain_text("For Anna Bakker")
    expect(page.locator("[data-picker-chosen]")).to_contain_text("Chosen: Anna Bakker")
    expect(page.get_by_role("link", name="Anna Bakker")).to_be_hidden()  # results folded
    expect(page.locator("[data-preview-body]")).to_have_text("Unsaved text for Anna")
    expect(page.locator("#id_template")).to_have_value("Unsaved text for {{ first_name }}")
    expect(page.locator("#id_name")).to_have_value("Renewal reminder, warmer")
    screenshot("rule-editor-preview-for-a-chosen-member")

    # a misspelled name is pointed out before saving, for the member chosen
    page.fill("#id_template", "Hi {{ frist_name }}")
    page.get_by_role("button", name="Preview changes").click()

    expect(page.locator("[data-preview-problems]")).to_contain_text(
        'Template: "frist_name" is not a field this rule can use'
    )
    expect(page.locator("#preview")).to_contain_text("For Anna Bakker")
    assert Rule.objects.get(pk=rule.pk).template == rule.template


def test_the_timing_in_words_follows_the_trigger_and_parameters_as_they_are_typed(
    live_server, page, log_in, screenshot, mia
):
    rule = Rule.objects.get(number=15)
    log_in(mia, PASSWORD)
    page.goto(f"{live_server.url}{reverse('playbook:rule_edit', args=[rule.pk])}")
    timing = page.locator("#rule-timing")
    expect(timing).to_have_text(
        "Fires 7 days before a membership longer than 14 days ends, if not renewed."
    )
    expect(page.locator("#id_param_days")).to_have_value("7")
    expect(page.locator("#id_param_at")).to_have_attribute("type", "time")

    # Mia changes the days, types a number that cannot be, then picks another trigger
    page.locator("#id_param_days").fill("10")
    expect(timing).to_have_text(
        "Fires 10 days before a membership longer than 20 days ends, if not renewed."
    )
    page.locator("#id_param_days").fill("-3")
    expect(timing).to_contain_text("Days: Ensure this value is greater than or equal to 1.")
    page.locator("#id_param_days").fill("3")
    expect(timing).to_have_text(
        "Fires 3 days before a membership longer than 6 days ends, if not renewed."
    )
    page.select_option("#id_trigger", "membership_ended")
    expect(timing).to_have_text("Fires 3 days after a membership ended, if not renewed.")
    expect(page.locator("#id_param_days")).to_have_value("3")  # kept: it still applies

    # she changes her mind at once, twice: the fields follow the last trigger chosen
    page.select_option("#id_trigger", "birthday")
    page.select_option("#id_trigger", "days_without_visit")
    page.select_option("#id_trigger", "birthday")
    expect(timing).to_have_text("Fires on the member's birthday at 10:00.")
    expect(page.locator("#id_param_days")).to_have_count(0)
    # and back: the days she typed come back with the trigger that reads them
    page.select_option("#id_trigger", "membership_ended")
    expect(page.locator("#id_param_days")).to_have_value("3")
    expect(timing).to_have_text("Fires 3 days after a membership ended, if not renewed.")
    screenshot("rule-editor-timing-in-words")

    assert Rule.objects.get(pk=rule.pk).params == rule.params


def test_mia_saves_a_rules_parameters_through_its_fields(
    live_server, page, log_in, screenshot, mia
):
    rule = Rule.objects.get(number=15)
    log_in(mia, PASSWORD)
    page.goto(f"{live_server.url}{reverse('playbook:rule_edit', args=[rule.pk])}")

    # a day too many is refused under its field, nothing saved; then she fixes it
    page.locator("#id_param_days").fill("0")
    page.locator("#id_param_at").fill("09:30")
    page.locator("#id_param_quiet_hours").select_option("before")
    page.get_by_role("button", name="Save").click()
    expect(page.locator("#rule-form")).to_contain_text(
        "Ensure this value is greater than or equal to 1."
    )
    assert Rule.objects.get(pk=rule.pk).params == rule.params

    page.locator("#id_param_days").fill("5")
    page.get_by_role("button", name="Save").click()
    expect(page.locator("#rule-timing")).to_have_text(
        "Fires 5 days before a membership longer than 10 days ends, if not renewed."
    )
    screenshot("rule-editor-parameters-saved")
    assert Rule.objects.get(pk=rule.pk).params == {
        "days": 5,
        "at": "09:30",
        "quiet_hours": "before",
    }
