"""Fiona freezes a membership from the back-office's "Add freeze" screen, in a real browser:
the membership is found by typing its member's name in the chooser dialog, not picked from a
list of every membership."""

import datetime as dt

import pytest
from playwright.sync_api import expect

from club import clock
from memberships.models import Freeze
from tests.factories import PASSWORD

pytestmark = pytest.mark.e2e


def test_the_desk_finds_the_membership_by_typing_and_freezes_it(
    live_server, page, log_in, screenshot, fiona, maya_membership
):
    log_in(fiona, PASSWORD)
    page.goto(f"{live_server.url}/admin/freezes/new/")

    page.get_by_role("button", name="Choose a membership").click()
    dialog = page.locator(".modal-dialog")
    dialog.locator("#id_q").fill("maya jans")
    expect(dialog).to_contain_text("There is 1 match")
    expect(dialog).to_contain_text("Monthly")
    screenshot("membership-chooser")
    dialog.get_by_role("link", name="Maya Jansen").click()

    expect(page.locator("[data-chooser-title]")).to_have_text(str(maya_membership))
    start = clock.today(maya_membership.member.home_club) + dt.timedelta(days=1)
    page.fill("#id_start", start.isoformat())
    page.fill("#id_end", (start + dt.timedelta(days=6)).isoformat())
    page.fill("#id_reason", "Holiday")
    page.get_by_role("button", name="Create").click()

    page.wait_for_url(f"{live_server.url}/admin/freezes/")
    assert Freeze.objects.filter(membership=maya_membership, start=start).exists()
