"""A club's own public site (cms.sites.open_site), from the Clubs screen and the command.

Harbour is a new club: no site, no plans. Hugo manages it. Downtown keeps the migrated
default site. The clock is frozen at Monday 23 November 2026, 18:00 in Amsterdam.
"""

import re

import pytest
from django.core.management import CommandError, call_command
from django.test import override_settings
from wagtail.models import GroupPagePermission, Page, Site
from wagtail.test.utils.form_data import inline_formset, nested_form_data, rich_text

from club import roles
from cms import sites
from cms.forms import HONEYPOT
from cms.models import (
    DEFAULT_EMAIL_WORDING,
    DEFAULT_SMS_WORDING,
    ClubSiteSettings,
    HomePage,
    SchedulePage,
)
from cms.trials import ConsentWordings
from members.models import Member
from tests.factories import (
    ClassSessionFactory,
    ClassTypeFactory,
    ClubFactory,
    PlanFactory,
    UserFactory,
)

DENIED = "Sorry, you do not have permission to access this area."
HOST = "harbour.example.com"

pytestmark = pytest.mark.usefixtures("any_host")


@pytest.fixture
def any_host():
    with override_settings(ALLOWED_HOSTS=["*"]):
        yield


@pytest.fixture
def harbour(downtown):
    # Opened after Downtown: the default site (empty setting) shows the first club, Downtown.
    return ClubFactory(name="Harbour", slug="harbour", phone="+31101112233")


@pytest.fixture
def hugo(harbour):
    return UserFactory(username="hugo", clubs=[harbour], roles=[roles.MANAGER])


@pytest.fixture
def harbour_site(harbour):
    return sites.open_site(harbour, HOST)


def text(response) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.content.decode()))


# --- open_site ----------------------------------------------------------------------------


def test_open_site_creates_the_site_its_own_pages_and_its_settings(harbour, downtown):
    site = sites.open_site(harbour, "Harbour.Example.com ", port=8080)

    home = site.root_page.specific
    assert (site.hostname, site.port, site.site_name) == ("harbour.example.com", 8080, "Harbour")
    assert isinstance(home, HomePage) and home.depth == 2
    assert [(p.slug, p.live, p.show_in_menus) for p in home.get_children()] == [
        ("schedule", True, True),
        ("plans", True, True),
        ("trainers", True, True),
        ("trial", True, True),
    ]
    settings = ClubSiteSettings.objects.get(site=site)
    assert (settings.club, settings.email) == (harbour, harbour.email_sender)
    assert str(settings.contact_phone) == "+31101112233"  # read from the club's record
    manager_rights = GroupPagePermission.objects.filter(page=home, group__name=roles.MANAGER)
    assert set(manager_rights.values_list("permission__codename", flat=True)) == {
        "add_page",
        "change_page",
        "publish_page",
        "bulk_delete_page",
        "lock_page",
        "unlock_page",
    }


def test_opening_again_returns_the_same_site_and_makes_nothing_new(harbour, downtown):
    first = sites.open_site(harbour, HOST)
    pages = Page.objects.count()

    again = sites.open_site(harbour, HOST.upper())

    assert again == first
    assert Page.objects.count() == pages
    assert ClubSiteSettings.objects.filter(club=harbour).count() == 1


def test_an_address_another_site_has_is_refused_and_nothing_is_made(harbour, riverside, downtown):
    sites.open_site(riverside, HOST)
    pages = Page.objects.count()

    with pytest.raises(sites.SiteError) as refused:
        sites.open_site(harbour, HOST)

    assert refused.value.field == "hostname"
    assert Page.objects.count() == pages
    assert not ClubSiteSettings.objects.filter(club=harbour).exists()


def test_a_club_that_already_has_a_site_is_not_given_a_second(harbour_site, harbour):
    with pytest.raises(sites.SiteError, match=r"already has a site at harbour\.example\.com"):
        sites.open_site(harbour, "other.example.com")

    assert Site.objects.filter(hostname="other.example.com").count() == 0


# --- the new club's site ------------------------------------------------------------------


@pytest.fixture
def harbour_class(harbour):
    spin = ClassTypeFactory(club=harbour, name="Harbour Spin", trial_eligible=True)
    return ClassSessionFactory(club=harbour, class_type=spin)


def test_the_new_site_shows_its_clubs_schedule_and_plans(
    client, frozen_clock, harbour_site, harbour, downtown, harbour_class
):
    ClassSessionFactory(club=downtown, class_type__name="Downtown Boxing")
    PlanFactory(club=harbour, name="Harbour monthly")
    PlanFactory(club=downtown, name="Downtown monthly")

    schedule = text(client.get("/schedule/", HTTP_HOST=HOST))
    plans = text(client.get("/plans/", HTTP_HOST=HOST))

    assert "Harbour Spin" in schedule and "Downtown Boxing" not in schedule
    assert "Harbour monthly" in plans and "Downtown monthly" not in plans
    assert "Downtown Boxing" in text(client.get("/schedule/"))  # the default site: Downtown


def test_a_trial_sign_up_on_the_new_site_is_a_lead_of_that_club_with_no_plan_at_all(
    client, frozen_clock, harbour_site, harbour, harbour_class
):
    # A trial is a booked trial class, not a plan: a club that sells nothing yet takes them.
    assert "Harbour Spin" in text(client.get("/trial/", HTTP_HOST=HOST))

    response = client.post(
        "/trial/",
        {
            "session": str(harbour_class.pk),
            "first_name": "Ana",
            "last_name": "Kovač",
            "phone": "06 87654321",
            "email": "ana@example.com",
            "sms_consent": "on",
            "consent_digest": ConsentWordings(
                sms=DEFAULT_SMS_WORDING, email=DEFAULT_EMAIL_WORDING
            ).digest,
            HONEYPOT: "",
        },
        HTTP_HOST=HOST,
    )

    assert response.status_code == 302
    lead = Member.objects.get(first_name="Ana")
    assert (lead.home_club, lead.status) == (harbour, "lead")
    assert lead.bookings.get().session == harbour_class


def test_a_trial_form_on_the_new_site_with_no_class_yet_still_takes_the_lead(
    client, frozen_clock, harbour_site, harbour
):
    response = client.post(
        "/trial/",
        {
            "first_name": "Ana",
            "last_name": "Kovač",
            "phone": "06 87654321",
            "email": "ana@example.com",
            "consent_digest": ConsentWordings(
                sms=DEFAULT_SMS_WORDING, email=DEFAULT_EMAIL_WORDING
            ).digest,
            HONEYPOT: "",
        },
        HTTP_HOST=HOST,
    )

    assert response.status_code == 302
    assert Member.objects.get(first_name="Ana").home_club == harbour


# --- who edits its pages ------------------------------------------------------------------


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


def schedule_of(site) -> SchedulePage:
    return SchedulePage.objects.descendant_of(site.root_page).get()


def test_its_manager_edits_and_publishes_its_schedule(client, harbour_site, hugo):
    schedule = schedule_of(harbour_site)
    client.force_login(hugo)

    client.post(f"/admin/pages/{schedule.pk}/edit/", edit_form(schedule, "Timetable"))

    schedule.refresh_from_db()
    assert (schedule.title, schedule.live) == ("Timetable", True)


def test_its_manager_adds_a_trainer_page(client, harbour_site, hugo):
    trainers = harbour_site.root_page.get_children().get(slug="trainers")
    client.force_login(hugo)

    client.post(
        f"/admin/pages/add/cms/trainerpage/{trainers.pk}/",
        nested_form_data(
            {
                "title": "Hanna",
                "slug": "hanna",
                "specialities": "",
                "bio": rich_text(""),
                "comments": inline_formset([]),
            }
        ),
    )

    trainers.refresh_from_db()  # treebeard answers "no children" from a stale numchild
    assert trainers.get_children().filter(slug="hanna").exists()


def test_its_manager_may_not_edit_another_clubs_schedule(client, harbour_site, hugo, downtown):
    downtown_schedule = schedule_of(Site.objects.get(is_default_site=True))
    client.force_login(hugo)

    response = client.post(
        f"/admin/pages/{downtown_schedule.pk}/edit/",
        edit_form(downtown_schedule, "Hugo's"),
        follow=True,
    )

    assert DENIED in response.content.decode()
    downtown_schedule.refresh_from_db()
    assert downtown_schedule.title == "Schedule"


def test_another_clubs_manager_may_not_edit_the_new_sites_schedule(client, harbour_site, max):
    schedule = schedule_of(harbour_site)
    client.force_login(max)

    response = client.post(
        f"/admin/pages/{schedule.pk}/edit/", edit_form(schedule, "Max's"), follow=True
    )

    assert DENIED in response.content.decode()
    schedule.refresh_from_db()
    assert schedule.title == "Schedule"


def test_its_manager_changes_its_site_settings(client, harbour_site, hugo, harbour):
    client.force_login(hugo)

    response = client.post(
        f"/admin/settings/cms/clubsitesettings/{harbour_site.pk}/",
        {
            "club": harbour.pk,
            "phone": "",
            "email": "desk@harbour.example.com",
            "address": "",
            "opening_hours": "",
            "sms_consent_wording": "SMS?",
            "email_consent_wording": "Email?",
        },
        follow=True,
    )

    assert "Club site updated." in response.content.decode()
    assert ClubSiteSettings.for_site(harbour_site).email == "desk@harbour.example.com"


# --- the Clubs screen's action ------------------------------------------------------------


def open_url(club) -> str:
    return f"/admin/club-sites/open/{club.pk}/"


def test_the_clubs_list_offers_a_site_only_to_clubs_without_one(admin_client, harbour, downtown):
    page = admin_client.get("/admin/clubs/").content.decode()

    assert open_url(harbour) in page
    assert open_url(downtown) not in page  # the default site shows it


def test_a_superuser_opens_a_site_from_the_clubs_screen(admin_client, harbour, downtown):
    response = admin_client.post(open_url(harbour), {"hostname": HOST, "port": "80"}, follow=True)

    assert "Harbour&#x27;s site is open at http://harbour.example.com/" in response.content.decode()
    assert ClubSiteSettings.objects.get(club=harbour).site.hostname == HOST
    assert open_url(harbour) not in admin_client.get("/admin/clubs/").content.decode()


@pytest.mark.parametrize(
    ("form", "field", "error"),
    [
        ({"hostname": "localhost", "port": "80"}, "hostname", "already another site's address"),
        ({"hostname": "https://harbour.example.com/", "port": "80"}, "hostname", "host name only"),
        ({"hostname": HOST, "port": "0"}, "port", "greater than or equal to 1"),
    ],
)
def test_the_form_refuses_a_taken_or_malformed_address(
    admin_client, harbour, downtown, form, field, error
):
    response = admin_client.post(open_url(harbour), form)

    assert response.status_code == 200
    assert any(error in message for message in response.context["form"].errors[field])
    assert not ClubSiteSettings.objects.filter(club=harbour).exists()


def test_staff_may_not_open_a_site(client, harbour, hugo):
    client.force_login(hugo)

    response = client.post(open_url(harbour), {"hostname": HOST, "port": "80"}, follow=True)

    assert DENIED in response.content.decode()
    assert not Site.objects.filter(hostname=HOST).exists()
    assert open_url(harbour) not in client.get("/admin/clubs/").content.decode()


# --- the command --------------------------------------------------------------------------


def test_the_command_opens_the_site_once(harbour, downtown, capsys):
    call_command("open_club_site", "harbour", HOST, "--port", "8000")
    call_command("open_club_site", "harbour", HOST, "--port", "8000")

    output = capsys.readouterr().out.splitlines()
    site = Site.objects.get(hostname=HOST)
    assert output == [f"Harbour: http://{HOST}:8000/ (site {site.pk})"] * 2
    assert Site.objects.count() == 2


@pytest.mark.parametrize(
    ("args", "error"),
    [
        (["nowhere", HOST], "No club with the slug"),
        (["harbour", "localhost"], "already another site's address"),
        (["harbour", "harbour.example.com/x"], "host name only"),
    ],
)
def test_the_command_refuses_an_unknown_club_or_a_taken_address(harbour, downtown, args, error):
    with pytest.raises(CommandError, match=error):
        call_command("open_club_site", *args)

    assert not ClubSiteSettings.objects.filter(club=harbour).exists()
