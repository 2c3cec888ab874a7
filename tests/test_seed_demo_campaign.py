"""The demo opens with one campaign sent a month ago, launched by the engine itself, whose
results page shows its messages per variant and the renewals of sent vs held-out members."""

import datetime as dt
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.urls import reverse

from campaigns import launches
from campaigns.models import Campaign, Segment, Touchpoint
from cms.demo import catalogue

TODAY = dt.date(2026, 11, 23)  # the frozen clock's day


@pytest.fixture
def demo(db, frozen_clock, tmp_path):
    call_command(
        "seed_demo",
        members=200,
        years=1,
        seed=7,
        today=TODAY,
        params_out=tmp_path / "seed_params.json",
        stdout=StringIO(),
    )


def test_the_demo_has_a_sent_campaign_with_results(client, demo):
    campaign = Campaign.objects.get()
    rows = Touchpoint.objects.filter(campaign=campaign)
    client.force_login(get_user_model().objects.get(username="mia"))

    response = client.get(reverse("playbook:campaign_results", args=[campaign.pk]))

    assert (campaign.name, campaign.status) == (catalogue.CAMPAIGN["name"], "sent")
    assert campaign.send_on == TODAY - dt.timedelta(days=30)
    assert set(rows.values_list("status", flat=True)) == {"delivered", "held_out", "suppressed"}
    variants = list(campaign.variants.all())
    for row in rows:
        assert row.variant == launches.variant_for(campaign, row.member_id, variants).label
    assert response.status_code == 200
    assert "Memberships bought within 60 days of the send" in response.content.decode()


def test_resetting_the_demo_removes_its_campaign_and_segment(demo, tmp_path):
    call_command(
        "seed_demo",
        members=200,
        years=1,
        seed=7,
        today=TODAY,
        reset=True,
        params_out=tmp_path / "seed_params.json",
        stdout=StringIO(),
    )

    assert (Campaign.objects.count(), Segment.objects.count()) == (1, 1)
