"""Opening a club's site twice at once, on PostgreSQL: one site, one page tree."""

import pytest
from django.db import connection
from wagtail.models import Site

from cms import sites
from cms.models import ClubSiteSettings, HomePage
from tests.factories import ClubFactory
from tests.race import run_concurrently

pytestmark = [pytest.mark.race, pytest.mark.django_db(transaction=True)]


def test_two_openings_of_one_club_make_one_site():
    ClubFactory(name="Downtown", slug="downtown")
    harbour = ClubFactory(name="Harbour", slug="harbour")

    outcome = run_concurrently(lambda: sites.open_site(harbour, "harbour.example.com"), threads=4)

    assert outcome.errors == []
    assert len({site.pk for site in outcome.results}) == 1
    assert ClubSiteSettings.objects.filter(club=harbour).count() == 1
    assert HomePage.objects.filter(slug="harbour").count() == 1


def test_two_clubs_racing_for_one_address_get_one_site_and_one_field_error():
    ClubFactory(name="Downtown", slug="downtown")
    clubs = [ClubFactory(name=name, slug=name.lower()) for name in ("Harbour", "Dunes")]
    turn = iter(clubs)

    def open_next():
        club = next(turn)  # one club per thread
        connection.ensure_connection()
        return sites.open_site(club, "shared.example.com")

    outcome = run_concurrently(open_next, threads=2)

    assert len(outcome.results) == 1
    assert [error.field for error in outcome.errors_of(sites.SiteError)] == ["hostname"]
    assert Site.objects.filter(hostname="shared.example.com").count() == 1
    # The refused club's pages went with its transaction.
    assert HomePage.objects.filter(depth=2).count() == 2
