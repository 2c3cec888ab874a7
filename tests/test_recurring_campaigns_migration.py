"""Migration campaigns 0018: campaigns waiting to go get their first day as their next run,
so beat still launches them; launched and cancelled ones get none."""

import datetime as dt
import importlib

import pytest
from django.apps import apps

from campaigns.models import Campaign, Segment

migration = importlib.import_module("campaigns.migrations.0018_recurring_campaigns")

pytestmark = pytest.mark.django_db

DAY = dt.date(2026, 11, 24)


@pytest.mark.parametrize(
    ("status", "launched", "expected"),
    [
        ("scheduled", False, DAY),
        ("draft", False, DAY),
        ("sent", True, None),
        ("cancelled", False, None),
    ],
)
def test_a_campaign_waiting_to_go_is_due_on_its_day(status, launched, expected):
    segment = Segment.objects.create(name="Everyone")
    campaign = Campaign.objects.create(name="Offer", segment=segment, channel="sms", send_on=DAY)
    Campaign.objects.filter(pk=campaign.pk).update(
        status=status,
        next_run_on=None,
        launched_at=dt.datetime(2026, 11, 24, 9, tzinfo=dt.UTC) if launched else None,
    )

    migration.next_run_is_the_first_day(apps, None)

    campaign.refresh_from_db()
    assert campaign.next_run_on == expected
