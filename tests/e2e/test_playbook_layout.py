"""The playbook fits a 1400 px window: every rule's Edit and Dry run are on screen without a
horizontal scroll, with the uplift column and long suppression reasons; narrower, the table
scrolls in its own box but each rule's actions stay beside its name."""

import datetime as dt

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from campaigns.models import Rule, Touchpoint
from club import clock
from members.models import Channel
from tests.factories import PASSWORD, MemberFactory

pytestmark = pytest.mark.e2e

Status, Reason = Touchpoint.Status, Touchpoint.Reason

# The elements whose right edge lies past the window (1 px of rounding allowed).
PAST_THE_EDGE = """(selector) => [...document.querySelectorAll(selector)]
    .filter((e) => e.getBoundingClientRect().right > window.innerWidth + 1)
    .map((e) => e.closest('tr').dataset.rule + ' ' + e.textContent.trim())"""


@pytest.fixture
def busy_playbook(frozen_clock, downtown, riverside):
    """Counts in every column, and suppressions with several long reasons, for a few rules."""
    reasons = [Reason.NO_CONSENT, Reason.FREQUENCY_CAP, Reason.QUIET_HOURS_OVERFLOW,
               Reason.INVALID_NUMBER, Reason.OPTED_OUT]  # fmt: skip
    statuses = [Status.SENT, Status.DELIVERED, Status.FAILED, Status.HELD_OUT, Status.CANCELLED]
    for rule in Rule.objects.filter(number__in=[1, 4, 11, 14, 15, 20]):
        for i, (status, reason) in enumerate(
            [(s, "") for s in statuses] + [(Status.SUPPRESSED, r) for r in reasons]
        ):
            member = MemberFactory(home_club=downtown if i % 2 else riverside)
            due = clock.now() - dt.timedelta(days=2, minutes=i)
            Touchpoint.objects.create(
                rule=rule,
                member=member,
                club=member.home_club,
                occurrence_key=f"layout:{rule.pk}:{member.pk}",
                channel=Channel.SMS,
                status=status,
                reason=reason if status in (Status.SUPPRESSED,) else "",
                due_at=due,
                send_at=due,
                explanation="layout",
                created_at=due,
            )
    # Rule 14 with enough members in both arms for its uplift's widest text, "+x pts (…)".
    rule, due = Rule.objects.get(number=14), clock.now() - dt.timedelta(days=3)
    Touchpoint.objects.bulk_create(
        Touchpoint(
            rule=rule,
            member=member,
            club=downtown,
            occurrence_key=f"uplift:{member.pk}",
            channel=Channel.EMAIL,
            status=Status.DELIVERED if i % 2 else Status.HELD_OUT,
            due_at=due,
            send_at=due,
            explanation="layout",
            created_at=due,
        )
        for i, member in enumerate(MemberFactory.create_batch(44, home_club=downtown))
    )


def test_the_playbook_s_actions_are_on_screen_without_scrolling(
    live_server, page, log_in, screenshot, carla, busy_playbook
):
    # the reach column too: the widest the table gets
    width = 1400
    page.set_viewport_size({"width": width, "height": 900})
    log_in(carla, PASSWORD)

    page.goto(f"{live_server.url}{reverse('playbook:index')}?reach=1")

    expect(page.locator("table.playbook")).to_be_visible()
    screenshot(f"playbook-{width}")
    box = page.locator(".playbook-scroll")
    assert box.evaluate("(e) => e.scrollWidth <= e.clientWidth + 1"), "the table scrolls"
    assert page.locator("table.playbook [data-actions] a").count() == 2 * Rule.objects.count()
    assert page.evaluate(PAST_THE_EDGE, "table.playbook [data-actions] a") == []
    first = page.locator('tr[data-rule="1"]')
    expect(first.get_by_role("link", name="Dry run of Call the new lead")).to_be_visible()
    page.set_viewport_size({"width": width, "height": 3200})
    screenshot(f"playbook-{width}-whole")


@pytest.mark.parametrize("width", [1280, 900])
def test_narrower_the_table_scrolls_but_the_actions_stay_by_the_name(
    live_server, page, log_in, screenshot, carla, busy_playbook, width
):
    page.set_viewport_size({"width": width, "height": 900})
    log_in(carla, PASSWORD)

    page.goto(f"{live_server.url}{reverse('playbook:index')}")

    # the table may scroll in its own box, but no rule's Edit or Dry run is past the edge
    expect(page.locator("table.playbook")).to_be_visible()
    screenshot(f"playbook-{width}")
    assert page.locator("table.playbook [data-actions] a").count() == 2 * Rule.objects.count()
    assert page.evaluate(PAST_THE_EDGE, "table.playbook [data-actions] a") == []


def test_a_count_opens_the_outbox_filtered_to_its_messages(
    live_server, page, log_in, screenshot, carla, busy_playbook
):
    page.set_viewport_size({"width": 1400, "height": 900})
    log_in(carla, PASSWORD)
    page.goto(f"{live_server.url}{reverse('playbook:index')}")

    # when: Carla follows rule 15's "no consent 1"
    row = page.locator('tr[data-rule="15"]')
    row.locator(".suppressed .reason", has_text="no consent").get_by_role("link").click()

    # then: the outbox, named as in the menu, lists that one message, its chips in words
    expect(page.get_by_role("heading", level=1)).to_have_text("Outbox")
    expect(page.locator("table.listing tbody tr")).to_have_count(1)
    expect(page.locator("main")).to_contain_text("Suppressed: no consent")
    expect(page.locator("main")).to_contain_text("15. Renewal reminder")
    screenshot("outbox-from-a-count")
