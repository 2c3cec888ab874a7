"""The home page's key figures in a real browser: htmx fills the placeholder."""

import re

import pytest
from playwright.sync_api import expect

from tests.factories import PASSWORD

pytestmark = pytest.mark.e2e


def test_max_sees_the_key_figures_fill_in_on_his_home_page(live_server, page, log_in, max, maya):
    # given: Maya holds a monthly membership at Downtown, which Max manages
    log_in(max, PASSWORD)

    # when
    page.goto(f"{live_server.url}/admin/")

    # then: the placeholder is replaced by the figures, with a link to the report
    active = page.locator("#kf-active-downtown")
    expect(active).to_contain_text("Active members")
    expect(active.locator("strong")).to_have_text("1")
    expect(page.get_by_text("Working out the key figures…")).to_have_count(0)
    expect(page.locator("#kf-renewal-downtown a")).to_have_attribute(
        "href", re.compile(r"^/admin/analytics/renewal/\?club=downtown&start=")
    )
