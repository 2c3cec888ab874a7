"""Nothing is cut off at the edge: the renewal report's wide tables scroll inside their panel
at a laptop's 1366 px, and the front desk fits a 390 px phone."""

import datetime as dt

import pytest
from playwright.sync_api import expect

from tests.factories import PASSWORD, MemberFactory, MembershipFactory, PlanFactory

pytestmark = pytest.mark.e2e

# Elements whose right edge lies past the window (1 px of rounding allowed).
PAST_THE_EDGE = """(selector) => [...document.querySelectorAll(selector)]
    .filter((e) => e.getBoundingClientRect().right > window.innerWidth + 1)
    .map((e) => e.id || e.className || e.tagName)"""


def test_the_report_s_wide_tables_scroll_inside_their_panel(
    live_server, page, log_in, screenshot, max, frozen_clock, downtown, monthly_plan
):
    # given: a member who joined a year ago, so the cohort table has a column per month
    joined = dt.datetime(2025, 12, 5, 10, 0, tzinfo=dt.UTC)
    MembershipFactory(
        member=MemberFactory(home_club=downtown, created_at=joined),
        plan=PlanFactory(club=downtown, name="Annual", duration_days=365),
        start=dt.date(2025, 12, 5),
        end=dt.date(2026, 12, 4),
        created_at=joined,
    )
    page.set_viewport_size({"width": 1366, "height": 900})
    log_in(max, PASSWORD)

    # when
    page.goto(f"{live_server.url}/admin/analytics/renewal/?start=2025-12-01&end=2026-11-23")

    # then: no table-scroll box runs past the window, and the cohort table scrolls in its own
    expect(page.locator("#table-cohorts")).to_be_visible()
    assert page.evaluate(PAST_THE_EDGE, ".analytics .table-scroll") == []
    cohorts = page.locator(".table-scroll:has(#table-cohorts)")
    assert cohorts.evaluate("(e) => e.scrollWidth > e.clientWidth")
    cohorts.evaluate("(e) => { e.scrollLeft = e.scrollWidth; }")
    last = page.locator("#table-cohorts thead th").last
    assert last.evaluate("(e) => e.getBoundingClientRect().right <= window.innerWidth")
    # The admin scrolls inside its own panel: a tall window shows the whole report.
    page.set_viewport_size({"width": 1366, "height": 3600})
    screenshot("analytics-renewal-1366")


def test_the_desk_fits_a_phone(live_server, page, log_in, screenshot, fiona, maya):
    page.set_viewport_size({"width": 390, "height": 844})
    log_in(fiona, PASSWORD)
    page.goto(f"{live_server.url}/admin/desk/")

    # A very long search finds nobody, and says so within the screen.
    page.locator("#desk-q").fill("x" * 120)
    expect(page.locator(".desk-none")).to_contain_text("No member matches")
    assert page.evaluate(PAST_THE_EDGE, "#desk-q, .desk-none") == []
    screenshot("desk-390-no-match")

    # Maya's card: both columns on screen.
    page.goto(f"{live_server.url}/admin/desk/members/{maya.pk}/")
    expect(page.get_by_role("heading", name="This month")).to_be_visible()
    assert page.evaluate(PAST_THE_EDGE, ".member-card__columns > *") == []
    screenshot("desk-390-card")
