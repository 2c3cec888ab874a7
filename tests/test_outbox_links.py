"""Counts lead to their messages: every count of the playbook and of a campaign's results links
to the outbox list filtered to exactly the touchpoints it counted, and the list shows as many
rows as the count said. The outbox's filter chips name rules and campaigns, and its heading is
the menu's word.

The clock is frozen at Monday 23 Nov 2026 18:00 in Amsterdam.
"""

import datetime as dt
import re
from html import unescape

import pytest
from django.urls import reverse

from campaigns.models import Campaign, CampaignVariant, Rule, Segment, Touchpoint
from club import clock, roles
from members.models import Channel
from tests.factories import MemberFactory, UserFactory

Status, Reason = Touchpoint.Status, Touchpoint.Reason
INDEX = "outbox:index"

pytestmark = pytest.mark.usefixtures("frozen_clock")


def words(html: str) -> str:
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


def listed(client, url: str) -> int:
    """How many rows the outbox list at `url` holds (all on one page here)."""
    response = client.get(url)
    assert response.status_code == 200
    assert not response.context["filters"].errors, response.context["filters"].errors
    return response.context["paginator"].count


def links(html: str) -> list[tuple[str, int]]:
    """Every (outbox URL, count) linked in `html`."""
    found = re.findall(r'<a href="(/admin/outbox/[^"]*)"[^>]*>(\d+)</a>', html)
    return [(unescape(url), int(n)) for url, n in found]


def touchpoint(member, *, status, reason="", days_ago=1, rule=None, campaign=None, variant=""):
    due = clock.now() - dt.timedelta(days=days_ago)
    return Touchpoint.objects.create(
        rule=rule,
        campaign=campaign,
        variant=variant,
        member=member,
        club=member.home_club,
        occurrence_key=f"test:{member.pk}:{status}:{days_ago}:{rule and rule.pk}",
        channel=Channel.SMS,
        status=status,
        reason=reason,
        due_at=due,
        send_at=due,
        explanation="test",
        created_at=due,
    )


@pytest.fixture
def rule_outbox(downtown, riverside):
    """Rule 11's touchpoints at Downtown of every outcome in the last 30 days, and beside them
    rows the playbook's counts leave out: older ones, another rule's, Riverside's."""
    rule, other = Rule.objects.get(number=11), Rule.objects.get(number=20)

    def at(club, n, **fields):
        for _ in range(n):
            touchpoint(MemberFactory(home_club=club), **fields)

    at(downtown, 4, rule=rule, status=Status.SENT)
    at(downtown, 2, rule=rule, status=Status.DELIVERED)
    at(downtown, 1, rule=rule, status=Status.FAILED)
    at(downtown, 3, rule=rule, status=Status.SUPPRESSED, reason=Reason.NO_CONSENT)
    at(downtown, 1, rule=rule, status=Status.SUPPRESSED, reason=Reason.FREQUENCY_CAP)
    at(downtown, 2, rule=rule, status=Status.HELD_OUT)
    at(downtown, 1, rule=rule, status=Status.HOLDING, days_ago=-2)  # due in two days
    at(downtown, 1, rule=rule, status=Status.SCHEDULED, days_ago=-1)
    at(downtown, 1, rule=rule, status=Status.CANCELLED, reason=Reason.OBSOLETE)
    # not counted in the last 30 days: older; another rule's; another club's
    at(downtown, 2, rule=rule, status=Status.SENT, days_ago=40)
    at(downtown, 1, rule=rule, status=Status.SUPPRESSED, reason=Reason.NO_CONSENT, days_ago=31)
    at(downtown, 2, rule=other, status=Status.SUPPRESSED, reason=Reason.NO_CONSENT)
    at(riverside, 2, rule=rule, status=Status.SENT)
    at(riverside, 1, rule=rule, status=Status.SUPPRESSED, reason=Reason.NO_CONSENT)
    return rule


def test_each_playbook_count_opens_the_list_of_exactly_its_messages(client, mia, rule_outbox):
    client.force_login(mia)

    html = client.get(reverse("playbook:index")).content.decode()

    row = re.search(rf'<tr data-rule="{rule_outbox.number}".*?</tr>', html, re.S)[0]
    counted = links(row)
    # scheduled 1, sent 6, delivered 2, failed 1, no consent 3, frequency cap 1, held out 3,
    # cancelled 1: every non-zero count is a link
    assert sorted(n for _, n in counted) == [1, 1, 1, 1, 2, 3, 3, 6]
    for url, n in counted:
        assert listed(client, url) == n, url
    assert "no consent 3" in words(row)


def test_the_playbook_s_totals_link_to_the_rules_messages(client, mia, rule_outbox):
    client.force_login(mia)

    html = client.get(reverse("playbook:index"), {"days": 7}).content.decode()

    summary = html.split('class="summary"', 1)[1]
    counted = links(summary)
    assert counted  # sent, suppressed …: the totals of every rule at Downtown
    for url, n in counted:
        assert listed(client, url) == n, url


@pytest.fixture
def campaign_outbox(downtown, riverside):
    segment = Segment.objects.create(name="Everyone")
    segment.clubs.set([downtown, riverside])
    campaign = Campaign.objects.create(
        name="Autumn offer", segment=segment, channel="sms", send_on=dt.date(2026, 10, 23)
    )
    for label in ("A", "B"):
        CampaignVariant.objects.create(campaign=campaign, label=label, template=f"Text {label}")
    other = Campaign.objects.create(
        name="Spring offer", segment=segment, channel="sms", send_on=dt.date(2026, 4, 1)
    )
    for club, variant, status, reason, n in [
        (downtown, "A", Status.SENT, "", 3),
        (downtown, "A", Status.DELIVERED, "", 1),
        (downtown, "B", Status.SENT, "", 2),
        (downtown, "A", Status.SUPPRESSED, Reason.NO_CONSENT, 2),
        (downtown, "B", Status.HELD_OUT, "", 2),
        (riverside, "A", Status.SENT, "", 5),
    ]:
        for _ in range(n):
            member = MemberFactory(home_club=club)
            touchpoint(member, campaign=campaign, variant=variant, status=status, reason=reason)
    touchpoint(MemberFactory(home_club=downtown), campaign=other, variant="A", status=Status.SENT)
    return campaign


def test_each_campaign_result_opens_the_list_of_exactly_its_messages(
    client, downtown, campaign_outbox
):
    # given: marketing at Downtown only: Riverside's five are neither counted nor listed
    client.force_login(UserFactory(username="dee", clubs=[downtown], roles=[roles.MARKETING]))
    # the segment covers Riverside too: Dee may read its results (view only)
    html = client.get(
        reverse("playbook:campaign_results", args=[campaign_outbox.pk])
    ).content.decode()

    counted = links(html.split("data-results", 1)[1].split("</table>", 1)[0])
    assert sorted(n for _, n in counted) == [1, 1, 2, 2, 2, 2, 2, 4, 6]
    for url, n in counted:
        assert listed(client, url) == n, url


def test_each_run_s_counts_open_the_list_of_that_run(client, mia, downtown):
    # given: a weekly campaign's two runs, and a one-off's rows beside them
    segment = Segment.objects.create(name="Everyone")
    segment.clubs.set([downtown])
    weekly = Campaign.objects.create(
        name="Weekly tips", segment=segment, channel="sms", send_on=dt.date(2026, 11, 9),
        repeat=Campaign.Repeat.WEEKLY,
    )  # fmt: skip
    CampaignVariant.objects.create(campaign=weekly, label="A", template="Tip")
    for run_on, status, n in [
        (dt.date(2026, 11, 9), Status.SENT, 3),
        (dt.date(2026, 11, 9), Status.SUPPRESSED, 1),
        (dt.date(2026, 11, 16), Status.SENT, 2),
        (dt.date(2026, 11, 16), Status.HELD_OUT, 1),
    ]:
        for _ in range(n):
            row = touchpoint(
                MemberFactory(home_club=downtown), campaign=weekly, variant="A", status=status,
                reason=Reason.NO_CONSENT if status == Status.SUPPRESSED else "",
            )  # fmt: skip
            row.occurrence_key = weekly.run_key(run_on)
            row.save(update_fields=["occurrence_key"])
    client.force_login(mia)

    html = client.get(reverse("playbook:campaign_results", args=[weekly.pk])).content.decode()

    runs = html.split("data-runs", 1)[1].split("</table>", 1)[0]
    run_16 = re.search(r'data-run="2026-11-16">.*?</tr>', runs, re.S)[0]
    assert sorted(n for _, n in links(run_16)) == [1, 2]
    counted = links(runs)
    assert sorted(n for _, n in counted) == [1, 1, 1, 1, 2, 3, 5]  # runs, then all runs
    for url, n in counted:
        assert listed(client, url) == n, url
    chip = words(client.get(links(run_16)[0][0]).content.decode())
    assert "Run: 16 Nov 2026" in chip


def test_the_outbox_chips_name_the_rule_and_the_campaign(client, mia, rule_outbox, campaign_outbox):
    client.force_login(mia)

    response = client.get(reverse(INDEX), {"rule": rule_outbox.pk, "campaign": campaign_outbox.pk})

    chips = words(response.content.decode())
    assert f"Rule: 11. {rule_outbox.name}" in chips
    assert "Campaign: Autumn offer" in chips
    assert f"Rule: {rule_outbox.pk} " not in chips + " "
    assert f"Campaign: {campaign_outbox.pk} " not in chips + " "


def test_the_outbox_is_called_the_outbox(client, mia, rule_outbox):
    client.force_login(mia)
    row = Touchpoint.objects.filter(club__slug="downtown").first()

    index = client.get(reverse(INDEX))
    inspect = client.get(reverse("outbox:inspect", args=[row.pk]))

    assert re.search(r"<h1[^>]*>\s*Outbox\s*</h1>", index.content.decode())
    assert "Touchpoints" not in words(index.content.decode())
    assert "Touchpoints" not in words(inspect.content.decode())


@pytest.mark.parametrize(
    "params, field",
    [
        ({"outcome": "everything"}, "outcome"),
        ({"due_before": "tomorrow"}, "due_before"),
        ({"due_from": "2026-13-01T00:00:00+00:00"}, "due_from"),
        ({"sent_by": "robot"}, "sent_by"),
        ({"variant": "Z"}, "variant"),
    ],
)
def test_bad_link_filters_are_field_errors_not_crashes(client, mia, rule_outbox, params, field):
    client.force_login(mia)

    response = client.get(reverse(INDEX), params)

    assert response.status_code == 200
    assert field in response.context["filters"].errors


def test_another_club_s_campaign_is_no_filter_choice(client, riverside, campaign_outbox, mia):
    # given: a campaign of Riverside alone is not Mia's (Downtown) to filter by
    segment = Segment.objects.create(name="Riverside only")
    segment.clubs.set([riverside])
    theirs = Campaign.objects.create(
        name="River run", segment=segment, channel="sms", send_on=dt.date(2026, 10, 1)
    )
    client.force_login(mia)

    response = client.get(reverse(INDEX), {"campaign": theirs.pk})

    assert "campaign" in response.context["filters"].errors
    assert "River run" not in response.content.decode()
