"""Migration campaigns 0014: renewal and top-up messages send members to the front desk, not to
an online renewal the portal cannot take yet; a text marketing edited stays as they wrote it."""

import importlib

import pytest
from django.apps import apps

from campaigns.models import Rule

migration = importlib.import_module("campaigns.migrations.0014_renew_at_the_desk_wording")

pytestmark = pytest.mark.django_db


def test_the_defaults_now_send_members_to_the_desk_and_the_old_ones_come_back_on_reverse():
    texts = {
        rule.number: rule.template for rule in Rule.objects.filter(number__in=[13, 14, 15, 16])
    }

    assert all("online" not in text and "in a minute: " not in text for text in texts.values())
    assert "Renew at the front desk on your next visit or call {{ club_phone }}." in texts[15]
    migration.backwards(apps, None)
    assert Rule.objects.get(number=15).template == migration.CHANGES[15][0]
    migration.forwards(apps, None)
    assert Rule.objects.get(number=15).template == migration.CHANGES[15][1]


def test_a_text_marketing_edited_is_left_as_it_is():
    Rule.objects.filter(number=16).update(template="Our own words, {{ first_name }}.")
    migration.backwards(apps, None)

    migration.forwards(apps, None)

    assert Rule.objects.get(number=16).template == "Our own words, {{ first_name }}."
