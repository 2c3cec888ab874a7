"""The renewal dashboard in a real browser: Chart.js draws its charts for Max (manager) and
Mia (marketing), the tables carry the numbers, and Tom the trainer gets 403."""

import datetime as dt
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from analytics import views
from campaigns.models import Rule, Touchpoint
from tests.factories import PASSWORD, MemberFactory, MembershipFactory, PlanFactory

pytestmark = pytest.mark.e2e

PATH = "/admin/analytics/renewal/"
CHARTS = ["renewal_by_month", "renewal_by_plan", "renewal_by_visits", "funnel"]


@pytest.fixture
def october(frozen_clock, downtown, monthly_plan):
    """Three monthly memberships ended on 15 October; two renewed onto an annual plan."""
    annual = PlanFactory(club=downtown, name="Annual", price=Decimal("480.00"), duration_days=365)
    joined = dt.datetime(2026, 9, 1, 9, 0, tzinfo=dt.UTC)
    for n, member in enumerate(
        MemberFactory.create_batch(3, home_club=downtown, created_at=joined)
    ):
        old = MembershipFactory(
            member=member,
            plan=monthly_plan,
            start=dt.date(2026, 9, 16),
            end=dt.date(2026, 10, 15),
            created_at=joined,
        )
        if n < 2:
            MembershipFactory(
                member=member,
                plan=annual,
                start=dt.date(2026, 10, 16),
                end=dt.date(2027, 10, 15),
                renewed_from=old,
                created_at=dt.datetime(2026, 10, 14, 10, 0, tzinfo=dt.UTC),
            )


@pytest.mark.parametrize("persona", ["max", "mia"])
def test_the_dashboard_draws_its_charts(
    live_server, page, log_in, screenshot, request, persona, october
):
    # given: Chart.js fetched from npm by `make install`, and Max or Mia at Downtown
    assert views.chart_js_url(), "No static_build/vendor/chart.umd.js: run `make install` (npm)."
    log_in(request.getfixturevalue(persona), PASSWORD)
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))

    # when: they open Reports → Renewal
    page.goto(f"{live_server.url}/admin/")
    page.get_by_role("button", name="Reports").click()
    page.get_by_role("link", name="Renewal").click()
    page.wait_for_url(f"{live_server.url}{PATH}")

    # then: the tiles and tables carry the numbers
    expect(page.locator("#kpi-renewal-last-month")).to_contain_text("66.7 %")
    expect(page.locator("#kpi-renewal-last-month")).to_contain_text("2 of 3 renewed")
    row = page.locator("#table-renewal_by_month tbody tr").first
    expect(row).to_contain_text("2026-10")
    expect(row).to_contain_text("66.7")
    # and Chart.js drew each chart on its canvas
    expect(page.locator("html")).to_have_attribute("data-charts-drawn", "true")
    assert page.evaluate("typeof window.Chart") == "function"
    for key in CHARTS:
        assert page.evaluate(f"!!Chart.getChart(document.getElementById('chart-{key}'))"), key
    # and no touchpoint was sent: the uplift chart says there is nothing to draw
    expect(page.locator("[data-empty='chart-uplift']")).to_have_text(
        "Nothing to chart in this period."
    )
    expect(page.locator("#charts-unavailable")).to_have_count(0)
    assert errors == []
    # The admin scrolls inside its own panel: a tall window shows the whole report.
    page.set_viewport_size({"width": 1280, "height": 3600})
    screenshot(f"analytics-renewal-{persona}")


def test_a_trainer_gets_403(live_server, page, log_in, screenshot, tom, october):
    log_in(tom, PASSWORD)

    response = page.goto(f"{live_server.url}{PATH}")

    assert response.status == 403
    expect(page.get_by_role("alert")).to_contain_text("for managers and marketing")
    expect(page.locator("canvas")).to_have_count(0)
    screenshot("analytics-renewal-trainer-403")


@pytest.fixture
def twelve_rules(october, downtown):
    """Twelve rules each sent to one Downtown member and holding out another in October."""
    due = dt.datetime(2026, 10, 10, 9, 0, tzinfo=dt.UTC)
    rules = list(Rule.objects.order_by("number")[:12])
    for rule in rules:
        for status in (Touchpoint.Status.SENT, Touchpoint.Status.HELD_OUT):
            member = MemberFactory(home_club=downtown)
            Touchpoint.objects.create(
                rule=rule, member=member, club=downtown, occurrence_key=f"e2e:{member.pk}",
                channel=rule.channel, status=status, due_at=due, send_at=due,
                sent_at=due if status == Touchpoint.Status.SENT else None,
                explanation="test", created_at=due,
            )  # fmt: skip
    return rules


def test_the_uplift_chart_names_every_rule_beside_its_bar(
    live_server, page, log_in, screenshot, max, twelve_rules
):
    # given: twelve rules with touchpoints in the period
    log_in(max, PASSWORD)

    # when: Max opens the report for October
    page.goto(f"{live_server.url}{PATH}?start=2026-10-01&end=2026-10-31")
    expect(page.locator("html")).to_have_attribute("data-charts-drawn", "true")

    # then: the chart shows all twelve names, in the table's order, none skipped
    ticks = page.evaluate(
        "Chart.getChart(document.getElementById('chart-uplift')).scales.y.ticks"
        ".map(function (t) { return t.label; })"
    )
    names = [f"{rule.number} {rule.name}" for rule in twelve_rules]
    assert ticks == names
    # and the chart grew to give each row room: at least 28 px a rule
    height = page.evaluate("document.getElementById('chart-uplift').parentNode.clientHeight")
    assert height >= 12 * 28
    box = page.evaluate(
        "(function (c) { var s = c.scales.y; return [s.top, s.bottom]; })"
        "(Chart.getChart(document.getElementById('chart-uplift')))"
    )
    assert (box[1] - box[0]) / 12 >= 20
    page.set_viewport_size({"width": 1280, "height": 4200})
    screenshot("analytics-renewal-uplift-twelve-rules")
