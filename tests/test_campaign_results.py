"""A campaign's results: per variant, what happened to its messages, and the renewals of the
members sent it against those held out within 60 days of the send.

The clock is frozen at Monday 23 Nov 2026 18:00 in Amsterdam; the campaign went a month ago.
"""

import datetime as dt
import re

import pytest
from django.urls import reverse

from analytics.campaigns import renewal_comparison
from campaigns.models import Campaign, CampaignVariant, Segment, Touchpoint
from club import clock
from tests.factories import MemberFactory, MembershipFactory, PlanFactory

SENT_ON = dt.date(2026, 10, 23)
Status, Reason = Touchpoint.Status, Touchpoint.Reason

pytestmark = pytest.mark.usefixtures("frozen_clock")


@pytest.fixture
def launched(downtown) -> Campaign:
    segment = Segment.objects.create(name="Everyone")
    segment.clubs.set([downtown])
    campaign = Campaign.objects.create(
        name="Autumn offer",
        segment=segment,
        channel="sms",
        send_on=SENT_ON,
        status=Campaign.Status.SENT,
    )
    for label in ("A", "B"):
        CampaignVariant.objects.create(campaign=campaign, label=label, template=f"Text {label}")
    return campaign


def outbox(campaign, club, variant, status, n=1, *, reason="", renewed=0):
    """`n` rows of one outcome, each for a new member; the first `renewed` of those members
    buy a paid membership within the 60 days."""
    due = clock.local_datetime(SENT_ON, dt.time(10), club)
    plan = PlanFactory(club=club)
    for i in range(n):
        member = MemberFactory(home_club=club)
        Touchpoint.objects.create(
            campaign=campaign,
            variant=variant,
            member=member,
            club=club,
            occurrence_key=campaign.key,
            channel="sms",
            status=status,
            reason=reason,
            due_at=due,
            send_at=due,
            explanation="campaign",
            created_at=due,
        )
        if i < renewed:
            MembershipFactory(member=member, plan=plan, created_at=due + dt.timedelta(days=20))


def row_text(html: str, variant: str, table: str) -> str:
    """The cells of one variant's row in the table marked `data-<table>`."""
    part = html.split(f"data-{table}", 1)[1]
    row = re.search(rf'data-variant="{variant}">(.*?)</tr>', part, re.S)[1]
    return " ".join(re.sub(r"<[^>]+>", " ", row).split())


def test_the_results_count_each_variants_messages(client, mia, downtown, riverside, launched):
    outbox(launched, downtown, "A", Status.SCHEDULED)
    outbox(launched, downtown, "A", Status.SENT, 3)
    outbox(launched, downtown, "A", Status.DELIVERED, 2)
    outbox(launched, downtown, "A", Status.FAILED)
    outbox(launched, downtown, "A", Status.SUPPRESSED, 2, reason=Reason.NO_CONSENT)
    outbox(launched, downtown, "A", Status.SUPPRESSED, reason=Reason.FREQUENCY_CAP)
    outbox(launched, downtown, "A", Status.HELD_OUT, 2)
    outbox(launched, downtown, "B", Status.DELIVERED, 4)
    outbox(launched, downtown, "B", Status.HELD_OUT)
    outbox(launched, riverside, "B", Status.DELIVERED, 7)  # not Mia's club
    client.force_login(mia)

    html = client.get(reverse("playbook:campaign_results", args=[launched.pk])).content.decode()

    # scheduled, sent, delivered, failed, suppressed, held out, cancelled
    assert row_text(html, "A", "results") == "A 1 5 2 1 no consent 2 · frequency cap 1 2 0"
    assert row_text(html, "B", "results") == "B 0 4 4 0 0 1 0"
    assert row_text(html, "all", "results") == "All 1 9 6 1 no consent 2 · frequency cap 1 3 0"


def test_small_groups_are_too_few_to_tell(client, mia, downtown, launched):
    outbox(launched, downtown, "A", Status.DELIVERED, 3, renewed=2)
    outbox(launched, downtown, "A", Status.HELD_OUT, 2)
    client.force_login(mia)

    html = client.get(reverse("playbook:campaign_results", args=[launched.pk])).content.decode()

    assert row_text(html, "A", "renewals") == "A 3 2 (67 %) 2 0 (0 %) too few members to tell"


def test_renewals_of_those_sent_against_those_held_out(downtown, launched):
    outbox(launched, downtown, "A", Status.DELIVERED, 30, renewed=12)
    outbox(launched, downtown, "A", Status.SENT, 10, renewed=4)
    outbox(launched, downtown, "A", Status.HELD_OUT, 25, renewed=5)
    outbox(launched, downtown, "B", Status.DELIVERED, 20, renewed=2)
    outbox(launched, downtown, "B", Status.HELD_OUT, 20, renewed=2)
    # Not in either arm: never sent, and not held out.
    outbox(launched, downtown, "B", Status.SUPPRESSED, 5, reason=Reason.NO_CONSENT, renewed=5)

    found = {c.variant: c for c in renewal_comparison(launched.pk)}

    a, b, both = found["A"], found["B"], found["All"]
    assert (a.sent, a.sent_renewed, a.held_out, a.held_out_renewed) == (40, 16, 25, 5)
    assert a.difference == pytest.approx(0.4 - 0.2)
    assert a.verdict.startswith("+20.0 pts ±")
    assert (b.sent, b.held_out, b.verdict) == (20, 20, "0.0 pts ±18.6")
    assert (both.sent, both.sent_renewed, both.held_out, both.held_out_renewed) == (60, 18, 45, 7)


def test_a_membership_bought_after_the_60_days_is_not_a_renewal(downtown, launched):
    outbox(launched, downtown, "A", Status.DELIVERED, 1)
    member = Touchpoint.objects.get().member
    due = clock.local_datetime(SENT_ON, dt.time(10), downtown)
    MembershipFactory(member=member, created_at=due + dt.timedelta(days=61))

    (a, _both) = renewal_comparison(launched.pk)

    assert (a.sent, a.sent_renewed) == (1, 0)
