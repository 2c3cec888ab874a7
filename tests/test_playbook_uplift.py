"""The playbook's uplift column, which analytics adds through campaigns' hook: each rule's
renewal uplift (sent vs held out) for the page's period and the user's clubs, "—" when there
is too little data, in queries that do not grow with the number of rules.

The clock is frozen at Monday 23 Nov 2026 18:00 in Amsterdam.
"""

import datetime as dt
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from analytics import frames, playbook, uplift
from analytics.stats import signed_points
from campaigns.models import Rule, Touchpoint
from club import clock
from tests.factories import MemberFactory, MembershipFactory

Status = Touchpoint.Status


def arm(rule, club, plan, status, *, members, renewed, days_ago=10):
    """`members` touchpoints of the rule due `days_ago` days ago; the first `renewed` of
    those members buy a membership a day after theirs was due."""
    due = clock.now() - dt.timedelta(days=days_ago)
    for i, member in enumerate(MemberFactory.create_batch(members, home_club=club)):
        Touchpoint.objects.create(
            rule=rule,
            member=member,
            club=club,
            occurrence_key=f"test:{status}:{member.pk}",
            channel=rule.channel,
            status=status,
            due_at=due,
            send_at=due,
            explanation="test",
            created_at=due - dt.timedelta(days=1),
        )
        if i < renewed:
            MembershipFactory(member=member, plan=plan, created_at=due + dt.timedelta(days=1))


@pytest.fixture
def history(frozen_clock, downtown, monthly_plan):
    """Rule 14: 40 sent (24 renewed) and 25 held out (10 renewed); rule 15: 30 sent and only
    5 held out; nothing for rule 11."""
    offer, reminder = Rule.objects.get(number=14), Rule.objects.get(number=15)
    arm(offer, downtown, monthly_plan, Status.DELIVERED, members=40, renewed=24)
    arm(offer, downtown, monthly_plan, Status.HELD_OUT, members=25, renewed=10)
    arm(reminder, downtown, monthly_plan, Status.SENT, members=30, renewed=12)
    arm(reminder, downtown, monthly_plan, Status.HELD_OUT, members=5, renewed=1)


def uplift_cells(response) -> dict[int, tuple[str, str]]:
    """Rule number → (uplift cell text, its title), read from the page's HTML."""
    assert response.status_code == 200, response.status_code
    page = response.content.decode().split('<table class="listing playbook">')[1]
    headings = re.findall(r"<th scope=\"col\"[^>]*>(.*?)</th>", page)
    index = headings.index("Uplift")
    cells = {}
    for number, row in re.findall(r'<tr data-rule="(\d+)"[^>]*>(.*?)</tr>', page, re.S):
        cell = re.findall(r"<td[^>]*?(?: title=\"([^\"]*)\")?>(.*?)</td>", row, re.S)[index]
        cells[int(number)] = (cell[1].strip(), cell[0])
    return cells


def test_each_rule_shows_its_renewal_uplift_with_the_interval(client, history, mia):
    client.force_login(mia)

    cells = uplift_cells(client.get(reverse("playbook:index")))

    # 60 % vs 40 % renewed: +20 points, Newcombe's interval from the arms' Wilson intervals
    assert cells[14] == (
        "+20.0 pts (\u22124.7 to +41.5)",
        "95 % interval \u22124.7 to +41.5 pts; renewed 60.0 % of 40 sent vs 40.0 % of 25 held out.",
    )
    assert cells[15] == (
        "—",
        "Too little data: 30 sent, 5 held out (at least 20 of each needed).",
    )
    assert cells[11] == ("—", "Too little data: nothing sent or held out in the period.")


def test_what_a_dash_means_is_said_below_the_table_not_only_on_hover(client, history, mia):
    client.force_login(mia)

    page = client.get(reverse("playbook:index")).content.decode()

    below = page[page.index("</table>") :]
    assert "“—”: too little data to say (at least 20 sent and 20 held out)" in below


def test_the_column_says_what_analytics_uplift_says_for_the_pages_period(history, downtown):
    # given: the playbook's default period, the last 30 days
    until = clock.now()
    since = until - dt.timedelta(days=30)

    # when
    column = playbook.uplift_column(clubs=[downtown], since=since, until=until)

    # then: every cell with enough data is analytics' own uplift, in points
    touchpoints = frames.touchpoints(
        clubs=[downtown], since=since, until=until, outcomes=["renewed"]
    )
    table = uplift.uplift(touchpoints, outcome="renewed").set_index("rule_number")
    offer = table.loc[14]
    expected = (
        f"{signed_points(offer['difference'])} pts "
        f"({signed_points(offer['ci_low'])} to {signed_points(offer['ci_high'])})"
    )
    assert column.cell(Rule.objects.get(number=14)).text == expected
    assert expected == "+20.0 pts (\u22124.7 to +41.5)"
    assert table.loc[15, "held_out"] == 5
    assert column.cell(Rule.objects.get(number=15)).text == "—"


def test_touchpoints_due_before_the_period_or_at_another_club_do_not_count(
    client, frozen_clock, downtown, riverside, monthly_plan, mia
):
    offer = Rule.objects.get(number=14)
    arm(offer, downtown, monthly_plan, Status.SENT, members=20, renewed=10, days_ago=40)
    arm(offer, downtown, monthly_plan, Status.HELD_OUT, members=20, renewed=5, days_ago=40)
    arm(offer, riverside, monthly_plan, Status.SENT, members=20, renewed=10)
    arm(offer, riverside, monthly_plan, Status.HELD_OUT, members=20, renewed=5)
    client.force_login(mia)

    last_30_days = uplift_cells(client.get(reverse("playbook:index")))
    last_90_days = uplift_cells(client.get(reverse("playbook:index"), {"days": 90}))

    assert last_30_days[14][0] == "—"
    assert last_90_days[14][0] == "+25.0 pts (\u22124.7 to +49.4)"


def test_twelve_months_show_what_a_small_club_sent_half_a_year_ago(
    client, frozen_clock, downtown, monthly_plan, mia
):
    offer = Rule.objects.get(number=14)
    arm(offer, downtown, monthly_plan, Status.SENT, members=20, renewed=10, days_ago=200)
    arm(offer, downtown, monthly_plan, Status.HELD_OUT, members=20, renewed=5, days_ago=200)
    client.force_login(mia)

    last_90_days = uplift_cells(client.get(reverse("playbook:index"), {"days": 90}))
    last_12_months = client.get(reverse("playbook:index"), {"days": 365})

    assert last_90_days[14][0] == "—"
    assert uplift_cells(last_12_months)[14][0] == "+25.0 pts (\u22124.7 to +49.4)"
    assert '<option value="365" selected>Last 12 months</option>' in last_12_months.text
    assert "Touchpoints due in the last 12 months at Downtown" in last_12_months.text


def test_nobody_renewing_in_either_arm_still_has_an_interval(frozen_clock, downtown, monthly_plan):
    offer = Rule.objects.get(number=14)
    arm(offer, downtown, monthly_plan, Status.SENT, members=20, renewed=0)
    arm(offer, downtown, monthly_plan, Status.HELD_OUT, members=20, renewed=0)

    column = playbook.uplift_column(
        clubs=[downtown], since=clock.now() - dt.timedelta(days=30), until=clock.now()
    )

    # no spread in either arm is no certainty either: 0 of 20 could be 16 % (Wilson)
    assert column.cell(offer) == playbook.Cell(
        "0.0 pts (\u221216.1 to +16.1)",
        "95 % interval \u221216.1 to +16.1 pts; renewed 0.0 % of 20 sent vs 0.0 % of 20 held out.",
    )


def test_a_period_that_is_not_offered_shows_the_last_30_days(client, history, mia):
    client.force_login(mia)

    cells = uplift_cells(client.get(reverse("playbook:index"), {"days": "13"}))

    assert cells[14][0] == "+20.0 pts (\u22124.7 to +41.5)"


def test_the_pages_queries_do_not_grow_with_the_number_of_rules(
    client, history, mia, downtown, monthly_plan, monkeypatch
):
    # given: analytics reads touchpoints with COPY, which Django does not capture: count reads
    reads = []
    read_queryset = frames._read_queryset
    monkeypatch.setattr(
        frames, "_read_queryset", lambda *a, **kw: reads.append(1) or read_queryset(*a, **kw)
    )
    client.force_login(mia)
    with CaptureQueriesContext(connection) as before:
        client.get(reverse("playbook:index"))
    reads_before = len(reads)
    template = Rule.objects.get(number=14)
    for number in range(30, 36):
        rule = Rule.objects.create(
            number=number,
            name=f"Copy {number}",
            trigger=template.trigger,
            params=template.params,
            channel=template.channel,
            subject=template.subject,
            template=template.template,
        )
        arm(rule, downtown, monthly_plan, Status.SENT, members=2, renewed=1)
        arm(rule, downtown, monthly_plan, Status.HELD_OUT, members=1, renewed=0)

    # when
    reads.clear()
    with CaptureQueriesContext(connection) as after:
        cells = uplift_cells(client.get(reverse("playbook:index")))

    # then
    assert len(cells) == Rule.objects.count()
    assert len(after) == len(before)
    assert len(reads) == reads_before == 1
