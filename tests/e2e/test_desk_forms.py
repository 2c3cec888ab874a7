"""The desk's forms in a real browser: a sale's button says what it takes as the choice
changes, and a form sent once is not sent again by a second click."""

import datetime as dt
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from club import clock
from tests.factories import PASSWORD, PlanFactory

pytestmark = pytest.mark.e2e

# Two clicks on the submit button, the second while the first's answer is still awaited.
DOUBLE_CLICK = """() => {
  const button = document.querySelector("form.desk-form button[type=submit]");
  button.click();
  setTimeout(() => button.click(), 300);
}"""


def test_the_renew_button_follows_the_plan_and_payment_chosen(
    live_server, page, log_in, fiona, maya, downtown
):
    pack = PlanFactory(club=downtown, pack=True, name="10 visits", price=Decimal("120.00"))
    log_in(fiona, PASSWORD)
    page.goto(f"{live_server.url}/admin/desk/memberships/{maya.memberships.get().pk}/renew/")
    submit = page.locator("form.desk-form button[type=submit]")
    expect(submit).to_have_text("Renew · take €49.00 by card terminal")

    page.locator("select[name=plan]").select_option(str(pack.pk))
    expect(submit).to_have_text("Renew · take €120.00 by card terminal")
    page.locator("select[name=method]").select_option("cash")
    expect(submit).to_have_text("Renew · take €120.00 in cash")


def test_a_double_click_on_freeze_after_an_error_sends_one_request(
    live_server, page, log_in, fiona, maya
):
    membership = maya.memberships.get()
    url = f"{live_server.url}/admin/desk/memberships/{membership.pk}/freeze/"
    log_in(fiona, PASSWORD)
    page.goto(url)
    today = clock.today(maya.home_club)
    # first refused: the last frozen day before the first
    page.fill("input[name=start]", (today + dt.timedelta(days=3)).isoformat())
    page.fill("input[name=end]", today.isoformat())
    page.get_by_role("button", name="Freeze").click()
    expect(page.locator(".help-critical, .error-message").first).to_be_visible()
    # The answer is held back, as on a busy evening, while a second click follows the first.
    held = []
    page.route(url, lambda route: held.append(route))
    page.fill("input[name=end]", (today + dt.timedelta(days=9)).isoformat())

    page.evaluate(DOUBLE_CLICK)
    page.wait_for_timeout(800)
    sent = len(held)
    for route in held:
        route.continue_()
    page.unroute(url)

    assert sent == 1
    page.wait_for_url(f"{live_server.url}/admin/desk/members/{maya.pk}/")
    expect(page.get_by_text("Frozen ", exact=False).first).to_be_visible()
    expect(page.get_by_text("overlaps another freeze")).to_have_count(0)
    assert membership.freezes.count() == 1
