"""The portal header's club name links to the member's own club's site: "/" when this site
shows their club, the root of their club's own Wagtail site otherwise, and nowhere when their
club has none (it linked to "/", Downtown's site, for a Riverside member)."""

from django.urls import reverse

from cms.portal import auth
from members.models import Member
from tests.factories import MemberFactory


def brand(client, member: Member) -> str:
    client.force_login(auth.portal_user(member))
    page = client.get(reverse("portal:home")).content.decode()
    header = page[page.index('<header class="site-header">') : page.index('class="nav-toggle"')]
    return header


def test_a_member_of_the_sites_club_is_linked_to_this_sites_home(client, frozen_clock, maya):
    header = brand(client, maya)

    assert '<a class="brand" href="/">' in header
    assert "Downtown" in header


def test_a_member_of_another_club_is_linked_to_that_clubs_own_site(
    client, frozen_clock, downtown, riverside, riverside_site
):
    lisa = MemberFactory(home_club=riverside, first_name="Lisa")

    header = brand(client, lisa)

    assert '<a class="brand" href="https://riverside.example.com/">' in header
    assert "Riverside" in header and "Downtown" not in header


def test_a_member_of_a_club_without_a_site_gets_no_link(client, frozen_clock, downtown, riverside):
    lisa = MemberFactory(home_club=riverside, first_name="Lisa")

    header = brand(client, lisa)

    assert '<span class="brand">' in header
    assert 'class="brand" href' not in header
    assert "Riverside" in header


def test_the_public_pages_link_the_club_name_home(client, frozen_clock, downtown):
    page = client.get("/plans/").content.decode()

    assert '<a class="brand" href="/">' in page
