"""The public site's settings and pages are changed only by staff of the club it is for.

The demo's one site shows Downtown. Rita manages Riverside only: she is refused there, and
nothing she sends is saved; Max (Downtown's manager) and a superuser still change it.
"""

import pytest
from django.contrib.auth.models import Group, Permission
from wagtail.models import GroupPagePermission, Page, Site
from wagtail.test.utils.form_data import inline_formset, nested_form_data, rich_text

from club import roles
from cms.models import ClubSiteSettings, HomePage, SchedulePage, TrainerPage, TrainersIndexPage
from tests.factories import UserFactory

DENIED = "Sorry, you do not have permission to access this area."


@pytest.fixture
def site(downtown, riverside):
    site = Site.objects.get(is_default_site=True)
    settings = ClubSiteSettings.for_site(site)
    settings.club = downtown
    settings.save()
    return site


@pytest.fixture
def rita(riverside):
    return UserFactory(username="rita", first_name="Rita", clubs=[riverside], roles=[roles.MANAGER])


def settings_form(club, phone="+31209998877") -> dict:
    return {
        "club": club.pk,
        "phone": phone,
        "email": "",
        "address": "",
        "opening_hours": "",
        "sms_consent_wording": "SMS?",
        "email_consent_wording": "Email?",
    }


def settings_url(site) -> str:
    return f"/admin/settings/cms/clubsitesettings/{site.pk}/"


def test_staff_of_another_club_are_refused_the_site_settings(client, site, rita, downtown):
    client.force_login(rita)

    opened = client.get(settings_url(site), follow=True)
    sent = client.post(settings_url(site), settings_form(downtown), follow=True)

    assert DENIED in opened.content.decode()
    assert DENIED in sent.content.decode()
    assert ClubSiteSettings.for_site(site).phone == ""


def test_the_settings_menu_does_not_lead_them_to_another_clubs_site(client, site, rita):
    client.force_login(rita)

    response = client.get("/admin/settings/cms/clubsitesettings/")

    assert response.status_code == 302
    assert response.url != settings_url(site)


def test_staff_of_the_sites_club_change_its_settings(client, site, max, downtown):
    client.force_login(max)

    response = client.post(settings_url(site), settings_form(downtown), follow=True)

    assert "Club site updated." in response.content.decode()
    assert str(ClubSiteSettings.for_site(site).phone) == "+31209998877"


def test_staff_point_the_site_only_at_one_of_their_clubs(client, site, max, riverside):
    client.force_login(max)

    response = client.post(settings_url(site), settings_form(riverside))

    assert response.status_code == 200  # the form again, with its error
    assert ClubSiteSettings.for_site(site).club.name == "Downtown"


def test_a_superuser_changes_any_sites_settings(admin_client, site, riverside):
    response = admin_client.post(settings_url(site), settings_form(riverside), follow=True)

    assert "Club site updated." in response.content.decode()
    assert ClubSiteSettings.for_site(site).club == riverside


def edit_form(page, title: str, **extra) -> dict:
    data = nested_form_data(
        {
            "title": title,
            "slug": page.slug,
            "intro": rich_text(""),
            "days_shown": page.days_shown,
            "comments": inline_formset([]),
        }
    )
    return {**data, **extra}


@pytest.mark.parametrize("action", [{}, {"action-publish": "action-publish"}])
def test_staff_of_another_club_may_not_edit_or_publish_its_pages(client, site, rita, action):
    schedule = SchedulePage.objects.get()
    client.force_login(rita)
    url = f"/admin/pages/{schedule.pk}/edit/"
    revisions = schedule.revisions.count()

    opened = client.get(url, follow=True)
    sent = client.post(url, edit_form(schedule, "Rita's timetable", **action), follow=True)

    assert DENIED in opened.content.decode()
    assert DENIED in sent.content.decode()
    schedule.refresh_from_db()
    assert schedule.title != "Rita's timetable"
    assert schedule.revisions.count() == revisions  # not even a draft


def test_staff_of_another_club_may_not_add_unpublish_or_delete_its_pages(client, site, rita):
    schedule = SchedulePage.objects.get()
    index = TrainersIndexPage.objects.get()
    client.force_login(rita)

    added = client.post(
        f"/admin/pages/add/cms/trainerpage/{index.pk}/", {"title": "Rita", "slug": "rita"}
    )
    unpublished = client.post(f"/admin/pages/{schedule.pk}/unpublish/")
    deleted = client.post(f"/admin/pages/{schedule.pk}/delete/")

    assert [added.status_code, unpublished.status_code, deleted.status_code] == [302] * 3
    assert not TrainerPage.objects.exists()
    assert SchedulePage.objects.live().filter(pk=schedule.pk).exists()


def test_staff_of_the_sites_club_edit_and_publish_its_pages(client, site, max):
    schedule = SchedulePage.objects.get()
    client.force_login(max)

    client.post(
        f"/admin/pages/{schedule.pk}/edit/",
        edit_form(schedule, "Timetable", **{"action-publish": "action-publish"}),
    )

    schedule.refresh_from_db()
    assert schedule.title == "Timetable"
    assert schedule.live


def test_a_superuser_edits_and_publishes_any_page(admin_client, site):
    schedule = SchedulePage.objects.get()

    admin_client.post(
        f"/admin/pages/{schedule.pk}/edit/",
        edit_form(schedule, "Timetable", **{"action-publish": "action-publish"}),
    )

    schedule.refresh_from_db()
    assert schedule.title == "Timetable"


def test_staff_of_another_club_may_not_unpublish_its_pages_in_bulk(client, site, rita):
    schedule = SchedulePage.objects.get()
    client.force_login(rita)

    response = client.post(f"/admin/bulk/wagtailcore/page/unpublish/?id={schedule.pk}", follow=True)

    assert DENIED in response.content.decode()
    assert SchedulePage.objects.live().filter(pk=schedule.pk).exists()


@pytest.fixture
def riverside_news(site, riverside):
    """A second site, for Riverside, with a page its manager may edit and move."""
    home = Page.get_first_root_node().add_child(
        instance=HomePage(title="Riverside", slug="riverside-home")
    )
    riverside_site = Site.objects.create(hostname="riverside.example", root_page=home)
    ClubSiteSettings.objects.create(site=riverside_site, club=riverside)
    manager = Group.objects.get(name=roles.MANAGER)
    for codename in ("add_page", "change_page", "publish_page"):
        GroupPagePermission.objects.create(
            group=manager, page=home, permission=Permission.objects.get(codename=codename)
        )
    return home.add_child(instance=Page(title="Riverside news", slug="news"))


def test_staff_may_not_move_their_page_into_another_clubs_site(client, rita, riverside_news):
    downtown_home = HomePage.objects.get(slug="home")
    client.force_login(rita)

    response = client.post(
        f"/admin/pages/{riverside_news.pk}/move/{downtown_home.pk}/confirm/", follow=True
    )

    assert DENIED in response.content.decode()
    riverside_news.refresh_from_db()
    assert riverside_news.get_parent().slug == "riverside-home"


def test_staff_edit_the_pages_of_their_own_clubs_site(client, rita, riverside_news):
    client.force_login(rita)

    response = client.get(f"/admin/pages/{riverside_news.pk}/edit/")

    assert response.status_code == 200
