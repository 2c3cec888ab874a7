"""The desk's sale forms in a real browser: the button says what it takes as the choice
changes."""

from decimal import Decimal

import pytest
from playwright.sync_api import expect

from tests.factories import PASSWORD, PlanFactory

pytestmark = pytest.mark.e2e


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
