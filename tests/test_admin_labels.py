"""What the back-office calls fields: initialisms in capitals ("SMS sender", "Stripe price ID"),
as Django would otherwise write them from the field's name ("Sms sender", "Stripe price id")."""

import re

import pytest
from django.apps import apps
from django.urls import reverse
from django.utils.text import capfirst

pytestmark = pytest.mark.django_db

INITIALISMS = {"sms", "api", "url", "id", "csv", "ip", "utc", "sid"}
OUR_APPS = {"club", "members", "memberships", "checkin", "campaigns", "cms", "analytics"}


def test_the_clubs_list_and_form_say_sms_sender(client, max, downtown):
    client.force_login(max)

    listing = client.get(reverse("clubs:index")).content.decode()
    form = client.get(reverse("clubs:edit", args=[downtown.pk])).context["form"]

    assert "SMS sender" in listing and "Sms sender" not in listing
    assert form["sms_sender"].label == "SMS sender"


def test_the_plan_form_says_stripe_price_id(client, max):
    client.force_login(max)

    form = client.get(reverse("plans:add")).context["form"]

    assert form["stripe_price_id"].label == "Stripe price ID"


def test_no_field_name_spells_an_initialism_in_lower_case():
    lower = [
        f"{model._meta.label}.{field.name}: {capfirst(field.verbose_name)}"
        for model in apps.get_models()
        if model._meta.app_label in OUR_APPS
        for field in model._meta.get_fields()
        if isinstance(getattr(field, "verbose_name", None), str)
        and any(
            word.lower() in INITIALISMS and word != word.upper()
            for word in re.findall(r"\w+", field.verbose_name)
        )
    ]

    assert lower == []
