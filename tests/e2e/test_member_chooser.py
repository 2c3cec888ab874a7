"""Fiona sells a membership from the back-office's "Add membership" screen, in a real browser:
the member is found by typing in the chooser dialog, not picked from a list of everyone."""

import datetime as dt

import pytest
from playwright.sync_api import expect

from club import clock
from memberships.models import Membership
from tests.factories import PASSWORD

pytestmark = pytest.mark.e2e


def test_the_desk_finds_the_member_by_typing_and_sells(
    live_server, page, log_in, screenshot, fiona, maya, monthly_plan
):
    log_in(fiona, PASSWORD)
    page.goto(f"{live_server.url}/admin/memberships/new/")

    page.get_by_role("button", name="Choose a member").click()
    dialog = page.locator(".modal-dialog")
    # The search box has the focus as the dialog opens: Fiona just types.
    expect(dialog.locator("#id_q")).to_be_focused()
    page.keyboard.type("maya jans")
    expect(dialog).to_contain_text("There is 1 match")
    screenshot("member-chooser")
    dialog.get_by_role("link", name="Maya Jansen").click()

    expect(page.locator("[data-chooser-title]")).to_have_text("Maya Jansen")
    page.select_option("#id_plan", str(monthly_plan.pk))
    start = clock.today(maya.home_club) + dt.timedelta(days=30)
    page.fill("#id_start", start.isoformat())
    page.get_by_role("button", name="Sell").click()

    page.wait_for_url(f"{live_server.url}/admin/memberships/")
    assert Membership.objects.filter(member=maya, start=start).exists()
