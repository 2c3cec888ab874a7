"""The check-in result's actions on a tablet-sized screen, in a real browser: Undo and Open
card side by side as the denial's buttons are, and "Admit anyway…" drawn as a button."""

import datetime as dt

import pytest
from playwright.sync_api import expect

from club import clock
from tests.factories import PASSWORD, MemberFactory, MembershipFactory

pytestmark = pytest.mark.e2e


def same_row(first, second) -> bool:
    a, b = first.bounding_box(), second.bounding_box()
    return abs(a["y"] - b["y"]) < 4 and a["x"] + a["width"] <= b["x"]


def test_result_actions_sit_side_by_side_and_admit_anyway_is_a_button(
    live_server, page, log_in, screenshot, fiona, maya, downtown, monthly_plan
):
    tom = MemberFactory(home_club=downtown, first_name="Tom", last_name="Berg", card_token="TB-1")
    ended = clock.today(downtown) - dt.timedelta(days=10)
    MembershipFactory(member=tom, plan=monthly_plan, start=ended - dt.timedelta(days=29))
    page.set_viewport_size({"width": 768, "height": 1024})
    log_in(fiona, PASSWORD)
    page.goto(f"{live_server.url}/admin/desk/")
    scan_box = page.locator("#desk-q")

    scan_box.fill("MAYA-0001")
    scan_box.press("Enter")
    admitted = page.locator("[data-outcome=admitted]")
    undo = admitted.get_by_role("button", name="Undo")
    expect(undo).to_be_visible()
    assert same_row(undo, admitted.get_by_role("link", name="Open card"))
    screenshot("desk-admitted-actions-768")

    scan_box.fill("TB-1")
    scan_box.press("Enter")
    denied = page.locator("[data-outcome=denied]")
    renew = denied.get_by_role("link", name="Renew now")
    expect(renew).to_be_visible()
    assert same_row(renew, denied.get_by_role("link", name="Open card"))
    summary = denied.locator("summary", has_text="Admit anyway…")
    look = summary.evaluate(
        "el => { const s = getComputedStyle(el); return [s.borderTopStyle, s.borderTopWidth,"
        " s.display, s.listStyleType]; }"
    )
    assert look[0] != "none" and look[1] != "0px", look  # drawn with a border, as a button
    assert look[3] == "none", look  # no disclosure triangle
    screenshot("desk-denied-actions-768")

    summary.click()
    expect(denied.locator("input[name=reason]")).to_be_focused()
