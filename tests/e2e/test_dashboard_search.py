"""The dashboard's search box, in a real browser: it finds members, as the sidebar's does."""

import pytest
from playwright.sync_api import expect

from tests.factories import PASSWORD

pytestmark = pytest.mark.e2e


def test_fiona_finds_maya_from_the_dashboard_search_box(live_server, page, log_in, fiona, maya):
    log_in(fiona, PASSWORD)
    page.goto(f"{live_server.url}/admin/")
    box = page.locator(".w-dashboard form[role=search] input[name=q]")
    expect(box).to_have_attribute("placeholder", "Search members…")

    box.fill("jansen")
    box.press("Enter")

    page.wait_for_url(f"{live_server.url}/admin/desk/search/?q=jansen")
    expect(page.get_by_text("Maya Jansen").first).to_be_visible()
