"""A campaign's results: per variant, what happened to its messages, and the renewals of the
members sent it against those held out within 60 days of the send.

The clock is frozen at Monday 23 Nov 2026 18:00 in Amsterdam; the campaign went a month ago.
"""

import datetime as dt
import re

import pytest
from django.urls import reverse

from analytics.campaigns import renewal_comparison
from campaigns.models import Campaign, CampaignRun, CampaignVariant, Segment, Touchpoint
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


def row_text(html: str, variant: str, table: str = "") -> str:
    """The cells of one variant's row in the table marked `data-<table>` (or of one run's
    row, in the html of the runs' table, when no table is named)."""
    if not table:
        row = re.search(rf'data-run="{variant}">(.*?)</tr>', html, re.S)[1]
        return " ".join(re.sub(r"<[^>]+>", " ", row).split())
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
    assert a.verdict.startswith("+20.0 pts (")
    assert (b.sent, b.held_out, b.verdict) == (20, 20, "0.0 pts (\u221221.4 to +21.4)")
    assert (both.sent, both.sent_renewed, both.held_out, both.held_out_renewed) == (60, 18, 45, 7)


def test_a_membership_bought_after_the_60_days_is_not_a_renewal(downtown, launched):
    outbox(launched, downtown, "A", Status.DELIVERED, 1)
    member = Touchpoint.objects.get().member
    due = clock.local_datetime(SENT_ON, dt.time(10), downtown)
    MembershipFactory(member=member, created_at=due + dt.timedelta(days=61))

    (a, _both) = renewal_comparison(launched.pk)

    assert (a.sent, a.sent_renewed) == (1, 0)


@pytest.fixture
def weekly(launched) -> Campaign:
    Campaign.objects.filter(pk=launched.pk).update(repeat=Campaign.Repeat.WEEKLY)
    launched.refresh_from_db()
    return launched


def run_rows(campaign, club, run, members, status, *, renewed=()):
    """One row of the run on day `run` for each of `members`, who renew 20 days after it
    when in `renewed`."""
    due = clock.local_datetime(run, dt.time(10), club)
    for member in members:
        Touchpoint.objects.create(
            campaign=campaign,
            variant="A",
            member=member,
            club=club,
            occurrence_key=campaign.run_key(run),
            channel="sms",
            status=status,
            due_at=due,
            send_at=due,
            explanation="campaign",
            created_at=due,
        )
        if member in renewed:
            MembershipFactory(member=member, created_at=due + dt.timedelta(days=20))


def test_a_weekly_campaigns_results_show_each_run_and_all_runs(client, mia, downtown, weekly):
    sent, held = (
        MemberFactory.create_batch(3, home_club=downtown),
        [MemberFactory(home_club=downtown)],
    )
    first, second = SENT_ON, SENT_ON + dt.timedelta(weeks=1)
    run_rows(weekly, downtown, first, sent, Status.DELIVERED)
    run_rows(weekly, downtown, first, held, Status.HELD_OUT)
    run_rows(weekly, downtown, second, sent[:2], Status.SENT)
    run_rows(weekly, downtown, second, sent[2:], Status.SUPPRESSED)
    run_rows(weekly, downtown, second, held, Status.HELD_OUT)
    client.force_login(mia)

    html = client.get(reverse("playbook:campaign_results", args=[weekly.pk])).content.decode()

    runs = html.split("data-runs", 1)[1]
    # run, members, scheduled, sent, delivered, held out, not sent
    assert "Every Friday at 10:00, from 23 Oct" in html
    assert runs.index('data-run="2026-10-30"') < runs.index('data-run="2026-10-23"')
    assert row_text(runs, "2026-10-30") == "Fri 30 Oct 2026 4 0 2 0 1 1"
    assert row_text(runs, "2026-10-23") == "Fri 23 Oct 2026 4 0 3 3 1 0"
    assert row_text(runs, "all") == "All runs 8 0 5 3 2 1"


def test_runs_that_left_no_row_have_their_line(client, mia, downtown, riverside, weekly):
    # given four runs: one sent here, one missed in an outage, one that matched no one,
    # and one that went only to Riverside's members
    first, second, third, fourth = (SENT_ON + dt.timedelta(weeks=n) for n in range(4))
    run_rows(weekly, downtown, first, MemberFactory.create_batch(2, home_club=downtown), "sent")
    run_rows(weekly, riverside, fourth, MemberFactory.create_batch(5, home_club=riverside), "sent")
    CampaignRun.objects.bulk_create(
        CampaignRun(campaign=weekly, run_on=day, outcome=outcome, members=n, at=clock.now())
        for day, outcome, n in [
            (first, "launched", 2),
            (second, "missed", 0),
            (third, "launched", 0),
            (fourth, "launched", 5),
        ]
    )
    client.force_login(mia)

    html = client.get(reverse("playbook:campaign_results", args=[weekly.pk])).content.decode()

    runs = html.split("data-runs", 1)[1]
    assert row_text(runs, first.isoformat()) == "Fri 23 Oct 2026 2 0 2 0 0 0"
    assert row_text(runs, second.isoformat()) == (
        "Fri 30 Oct 2026 0 Missed: the sender was down at its time, and the next run went instead."
    )
    assert row_text(runs, third.isoformat()) == (
        "Fri 6 Nov 2026 0 Reached nobody: no one was in the segment on its day."
    )
    # mia works at Downtown only: Riverside's five are not hers to count
    fourth_row = row_text(runs, fourth.isoformat())
    assert fourth_row == "Fri 13 Nov 2026 0 Reached no member of these clubs."
    assert runs.index(fourth.isoformat()) < runs.index(third.isoformat())


def test_a_one_off_has_no_runs_table(client, mia, downtown, launched):
    outbox(launched, downtown, "A", Status.DELIVERED)
    client.force_login(mia)

    html = client.get(reverse("playbook:campaign_results", args=[launched.pk])).content.decode()

    assert "data-runs" not in html and "Once, on Fri 23 Oct 2026 at 10:00" in html


def test_renewals_count_each_member_once_across_runs(downtown, weekly):
    # given 20 members sent two runs (8 renew after the second) and 20 held out in both
    sent = MemberFactory.create_batch(20, home_club=downtown)
    held = MemberFactory.create_batch(20, home_club=downtown)
    first, second = SENT_ON, SENT_ON + dt.timedelta(weeks=1)
    run_rows(weekly, downtown, first, sent, Status.DELIVERED)
    run_rows(weekly, downtown, second, sent, Status.DELIVERED, renewed=sent[:8])
    run_rows(weekly, downtown, first, held, Status.HELD_OUT)
    run_rows(weekly, downtown, second, held, Status.HELD_OUT, renewed=held[:4])

    # when the renewals are compared
    a, both = renewal_comparison(weekly.pk)

    # then each member is counted once, in the arm of every run
    assert (a.variant, a.sent, a.sent_renewed, a.held_out, a.held_out_renewed) == (
        "A",
        20,
        8,
        20,
        4,
    )
    assert (both.sent, both.held_out) == (20, 20)
