"""The desk's Recent list refreshes itself, in a real browser, without touching the search box
or the focus: another tab's or the turnstile's check-in shows up on its own."""

import pytest
from playwright.sync_api import expect

from checkin import checkins
from checkin.models import Source
from tests.factories import PASSWORD

pytestmark = pytest.mark.e2e

# The poll runs every 15 s while the tab is shown, and at once when it is shown again: the
# test fires the second rather than wait for the first.
SHOWN_AGAIN = "document.dispatchEvent(new Event('visibilitychange'))"


def test_a_turnstile_check_in_appears_and_the_desk_keeps_its_focus_and_text(
    live_server, page, log_in, screenshot, fiona, maya, tom_berg
):
    log_in(fiona, PASSWORD)
    page.goto(f"{live_server.url}/admin/desk/")
    scan_box = page.locator("#desk-q")
    scan_box.fill("jans")
    expect(page.locator(".desk-result", has_text="Maya Jansen")).to_be_visible()
    recent = page.locator("#desk-recent")
    expect(recent).to_contain_text("No check-ins yet today")

    checkins.check_in(maya, source=Source.TURNSTILE)
    page.evaluate(SHOWN_AGAIN)

    expect(recent).to_contain_text("Maya Jansen")
    expect(scan_box).to_be_focused()
    expect(scan_box).to_have_value("jans")

    # Focus on something else (a link, not a field): the poll does not pull it to the box.
    lead_link = page.get_by_role("link", name="New walk-in lead")
    lead_link.focus()
    checkins.check_in(tom_berg, source=Source.TURNSTILE)
    page.evaluate(SHOWN_AGAIN)

    expect(recent).to_contain_text("Tom Berg")
    expect(lead_link).to_be_focused()
    expect(scan_box).to_have_value("jans")
    screenshot("desk-recent-polled")
