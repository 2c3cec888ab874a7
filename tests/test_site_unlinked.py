"""A Wagtail site added by hand, with no club chosen in its settings, shows no club.

Only the default site falls back to the first club (Downtown here); another site would
otherwise show Downtown's schedule and take sign-ups for it at an address nobody chose
for it. The clock is frozen at Monday 23 November 2026, 18:00 in Amsterdam.
"""

import re

import pytest
from django.test import override_settings
from wagtail.models import Site
from wagtail.test.utils.form_data import inline_formset, nested_form_data, rich_text

from cms.forms import HONEYPOT
from cms.models import DEFAULT_EMAIL_WORDING, DEFAULT_SMS_WORDING, SchedulePage
from cms.trials import ConsentWordings
from members.models import Member
from tests.factories import PlanFactory

DENIED = "Sorry, you do not have permission to access this area."


@pytest.fixture(autouse=True)
def any_host():
    with override_settings(ALLOWED_HOSTS=["*"]):
        yield


def text(response) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.content.decode()))


def edit_form(page, title: str) -> dict:
    data = nested_form_data(
        {
            "title": title,
            "slug": page.slug,
            "intro": rich_text(""),
            "days_shown": page.days_shown,
            "comments": inline_formset([]),
        }
    )
    return {**data, "action-publish": "action-publish"}


@pytest.fixture
def unlinked_site(downtown):
    default = Site.objects.get(is_default_site=True)
    return Site.objects.create(hostname="new.example.com", root_page=default.root_page)


def test_a_site_with_no_club_says_so_instead_of_showing_the_first_club(
    client, frozen_clock, unlinked_site, downtown
):
    PlanFactory(club=downtown, name="Downtown monthly")

    for url in ("/", "/schedule/", "/plans/", "/trial/"):
        page = text(client.get(url, HTTP_HOST="new.example.com"))

        assert "This site is not connected to a club yet" in page
        assert "Downtown" not in page
    assert "Downtown monthly" in text(client.get("/plans/"))  # the default site still does


def test_a_trial_cannot_be_sent_to_a_site_with_no_club(client, frozen_clock, unlinked_site):
    # What the default site accepts (Downtown's lead) is not taken at the unlinked address.
    form = {
        "first_name": "Ana",
        "last_name": "Kovač",
        "phone": "06 87654321",
        "email": "ana@example.com",
        "consent_digest": ConsentWordings(
            sms=DEFAULT_SMS_WORDING, email=DEFAULT_EMAIL_WORDING
        ).digest,
        HONEYPOT: "",
    }

    refused = client.post("/trial/", form, HTTP_HOST="new.example.com")

    assert refused.status_code == 200
    assert not Member.objects.exists()
    assert client.post("/trial/", form).status_code == 302
    assert Member.objects.get().home_club.name == "Downtown"


def test_its_pages_shared_with_an_unlinked_site_are_for_superusers_only(client, unlinked_site, max):
    # A page is changed by staff of every club whose site shows it; no club shows this one.
    schedule = SchedulePage.objects.get()
    client.force_login(max)

    response = client.post(
        f"/admin/pages/{schedule.pk}/edit/", edit_form(schedule, "Max's"), follow=True
    )

    assert DENIED in response.content.decode()


def test_once_linked_by_a_superuser_it_shows_that_club(
    admin_client, client, frozen_clock, unlinked_site, riverside
):
    PlanFactory(club=riverside, name="Riverside monthly")

    admin_client.post(
        f"/admin/settings/cms/clubsitesettings/{unlinked_site.pk}/",
        {
            "club": riverside.pk,
            "phone": "",
            "email": "",
            "address": "",
            "opening_hours": "",
            "sms_consent_wording": "SMS?",
            "email_consent_wording": "Email?",
        },
    )

    assert "Riverside monthly" in text(client.get("/plans/", HTTP_HOST="new.example.com"))
