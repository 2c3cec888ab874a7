"""The public site: pages created by migration, navigation, schedule, plans, trainers, settings.

The clock is frozen at Monday 23 November 2026, 18:00 in Amsterdam (17:00 UTC).
"""

import datetime as dt
import html as html_lib
import re
from decimal import Decimal
from urllib.parse import parse_qs

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from wagtail.models import Page, Site

from club import clock, roles
from club.models import OpeningHours
from cms.models import (
    ClubSiteSettings,
    HomePage,
    PlansPage,
    SchedulePage,
    TrainerPage,
    TrainersIndexPage,
    TrialPage,
)
from cms.portal import auth as portal_auth
from tests.factories import (
    BookingFactory,
    ClassSessionFactory,
    ClassTypeFactory,
    PlanFactory,
    UserFactory,
)


def at(club, day_offset: int, hour: int, minute: int = 0) -> dt.datetime:
    """A wall-clock time at the club, `day_offset` days from the frozen today."""
    return clock.local_datetime(
        clock.today(club) + dt.timedelta(days=day_offset), dt.time(hour, minute), club
    )


def text(response) -> str:
    """The page's visible text with tags dropped and whitespace collapsed."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.content.decode()))


@pytest.fixture
def spin(downtown):
    return ClassTypeFactory(club=downtown, name="Spin", trial_eligible=True)


@pytest.fixture
def boxing(downtown):
    return ClassTypeFactory(club=downtown, name="Boxing", trial_eligible=False)


@pytest.fixture
def trainers_index():
    return TrainersIndexPage.objects.get()


# --- the pages the migrations create ------------------------------------------------------


@pytest.mark.django_db
def test_migrations_create_the_site_pages_published_and_in_the_menu():
    home = HomePage.objects.get()
    children = {page.slug: page for page in home.get_children().specific()}

    assert {slug: type(page) for slug, page in children.items()} == {
        "schedule": SchedulePage,
        "plans": PlansPage,
        "trainers": TrainersIndexPage,
        "trial": TrialPage,
    }
    assert all(page.live and page.show_in_menus for page in children.values())
    assert [page.url for page in children.values()] == [
        "/schedule/",
        "/plans/",
        "/trainers/",
        "/trial/",
    ]
    assert Site.objects.get(is_default_site=True).root_page_id == home.pk
    assert Page.find_problems() == ([], [], [], [], [])


@pytest.mark.django_db
@pytest.mark.parametrize("url", ["/", "/schedule/", "/plans/", "/trainers/", "/trial/"])
def test_every_page_renders_with_the_navigation(client, frozen_clock, downtown, url):
    response = client.get(url)

    assert response.status_code == 200
    nav = re.search(r'<nav id="site-nav".*?</nav>', response.content.decode(), re.S).group()
    links = re.findall(r'<a href="([^"]+)"[^>]*>([^<]+)</a>', nav)
    assert links == [
        ("/", "Home"),
        ("/schedule/", "Schedule"),
        ("/plans/", "Plans"),
        ("/trainers/", "Trainers"),
        ("/trial/", "Free trial"),
        ("/account/", "My account"),
    ]
    assert "Downtown" in text(response)


def test_navigation_marks_the_current_page(client, frozen_clock, downtown):
    html = client.get("/plans/").content.decode()

    assert re.findall(r'href="([^"]+)"[^>]*aria-current="page"', html) == ["/plans/"]


def test_a_page_hidden_from_menus_leaves_the_navigation(client, frozen_clock, downtown):
    Page.objects.filter(slug="trainers").update(show_in_menus=False)

    html = client.get("/").content.decode()

    assert 'href="/trainers/"' not in html


def test_home_page_calls_to_the_trial_and_shows_what_is_coming_up(
    client, frozen_clock, downtown, spin, monthly_plan
):
    ClassSessionFactory(club=downtown, class_type=spin, start=at(downtown, 0, 19, 30))
    PlanFactory(club=downtown, name="Annual", price=Decimal("399.00"), duration_days=365)

    response = client.get("/")

    page_text = text(response)
    assert "Your first class is on us" in page_text
    assert 'href="/trial/"' in response.content.decode()
    assert "Coming up Full schedule → Today 19:30 20:30 Spin Free trial" in page_text
    assert "Memberships from €49.00" in page_text


def test_footer_shows_contact_and_opening_hours_from_the_settings(client, frozen_clock, downtown):
    site_settings = ClubSiteSettings.for_site(Site.objects.get(is_default_site=True))
    site_settings.email = "hello@downtown.example.com"
    site_settings.opening_hours = "Mon–Fri: 07:00–23:00\nSunday: closed"
    site_settings.save()

    page_text = text(client.get("/"))

    assert "+31 20 123 4567" in page_text
    assert "hello@downtown.example.com" in page_text
    assert "Keizersgracht" in page_text  # the club's address, the setting being empty
    assert "Mon–Fri 07:00–23:00 Sunday closed" in page_text


# --- which club ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_without_any_club_the_pages_say_so(client, frozen_clock):
    for url in ("/schedule/", "/plans/", "/trial/"):
        response = client.get(url)

        assert response.status_code == 200
        assert "This site is not connected to a club yet" in text(response)


def test_the_site_setting_chooses_the_club(client, frozen_clock, downtown, riverside):
    PlanFactory(club=downtown, name="Downtown monthly")
    PlanFactory(club=riverside, name="Riverside monthly")

    assert "Downtown monthly" in text(client.get("/plans/"))  # empty setting: the first club

    site_settings = ClubSiteSettings.for_site(Site.objects.get(is_default_site=True))
    site_settings.club = riverside
    site_settings.save()

    page_text = text(client.get("/plans/"))
    assert "Riverside monthly" in page_text
    assert "Downtown monthly" not in page_text


# --- schedule -----------------------------------------------------------------------------


def test_schedule_lists_seven_local_days_with_time_class_trainer_room_and_spots(
    client, frozen_clock, downtown, spin, tom
):
    ClassSessionFactory(
        club=downtown, class_type=spin, trainer=tom, room="Studio 2", start=at(downtown, 1, 7)
    )

    response = client.get("/schedule/")

    page_text = text(response)
    day_labels = re.findall(r'class="day-label"[^>]*>\s*([^<]+?)\s*<', response.content.decode())
    assert day_labels == [
        "Today",
        "Tomorrow",
        "Wednesday 25 November",
        "Thursday 26 November",
        "Friday 27 November",
        "Saturday 28 November",
        "Sunday 29 November",
    ]
    assert "Tomorrow Tuesday 24 November 07:00 08:00 Spin Free trial with Tom · Studio 2" in (
        page_text
    )
    assert "12 spots left" in page_text
    # at 18:00 the day may have had classes already: none are left to come
    assert "Today Monday 23 November No more classes today." in page_text
    assert "Wednesday 25 November No classes this day." in page_text


def test_schedule_groups_by_the_clubs_day_not_utc(client, frozen_clock, downtown, spin):
    # 00:30 on Wednesday in Amsterdam is still Tuesday in UTC.
    ClassSessionFactory(club=downtown, class_type=spin, start=at(downtown, 2, 0, 30))

    page_text = text(client.get("/schedule/"))

    assert "Wednesday 25 November 00:30" in page_text


def test_schedule_leaves_out_the_past_the_cancelled_the_far_and_other_clubs(
    client, frozen_clock, downtown, riverside, spin
):
    ClassSessionFactory(club=downtown, class_type=spin, start=at(downtown, 0, 17), room="Past")
    ClassSessionFactory(
        club=downtown, class_type=spin, start=at(downtown, 1, 9), room="Off", is_cancelled=True
    )
    ClassSessionFactory(club=downtown, class_type=spin, start=at(downtown, 7, 9), room="Far")
    ClassSessionFactory(club=riverside, start=at(riverside, 1, 9), room="Riverside hall")
    ClassSessionFactory(club=downtown, class_type=spin, start=at(downtown, 6, 21), room="Last")

    page_text = text(client.get("/schedule/"))

    assert "Last" in page_text
    for room in ("Past", "Off", "Far", "Riverside hall"):
        assert room not in page_text


def test_schedule_filters_by_class_type(client, frozen_clock, downtown, spin, boxing):
    ClassSessionFactory(club=downtown, class_type=spin, start=at(downtown, 1, 7))
    ClassSessionFactory(club=downtown, class_type=boxing, start=at(downtown, 1, 9))

    response = client.get("/schedule/", {"class": boxing.pk})

    page_text = text(response)
    assert "09:00 10:00 Boxing" in page_text
    assert "07:00 08:00 Spin" not in page_text
    assert f'href="/schedule/?class={boxing.pk}" aria-current="true"' in (response.content.decode())


@pytest.mark.parametrize("wanted", ["999999", "spin", ""])
def test_an_unknown_class_filter_shows_every_class(client, frozen_clock, downtown, spin, wanted):
    ClassSessionFactory(club=downtown, class_type=spin, start=at(downtown, 1, 7))

    response = client.get("/schedule/", {"class": wanted})

    assert response.status_code == 200
    assert "07:00 08:00 Spin" in text(response)


def test_another_clubs_class_type_is_not_a_filter(client, frozen_clock, downtown, riverside):
    theirs = ClassTypeFactory(club=riverside, name="Aqua")
    ClassSessionFactory(club=riverside, class_type=theirs, start=at(riverside, 1, 7))

    page_text = text(client.get("/schedule/", {"class": theirs.pk}))

    assert "Aqua" not in page_text


def test_spots_left_count_booked_seats_and_a_full_class_offers_the_waitlist(
    client, frozen_clock, downtown, spin
):
    almost = ClassSessionFactory(club=downtown, class_type=spin, start=at(downtown, 1, 7))
    almost.capacity = 3
    almost.save()
    BookingFactory(session=almost)
    BookingFactory(session=almost, status="cancelled")
    BookingFactory(session=almost, status="waitlisted", waitlist_position=1)
    full = ClassSessionFactory(club=downtown, class_type=spin, start=at(downtown, 1, 9), capacity=1)
    BookingFactory(session=full)

    response = client.get("/schedule/")

    page_text = text(response)
    assert "07:00 08:00 Spin Free trial Studio 1 2 spots left Try it free" in page_text
    assert (
        "09:00 10:00 Spin Free trial Studio 1 Full Join the waitlist "
        "Members: sign in with the email you gave us" in page_text
    )
    page = response.content.decode()
    assert f"/trial/?session={almost.pk}" in page
    assert f"/trial/?session={full.pk}" not in page
    # the portal's booking page, on the class's day, at the class
    assert f'href="/account/book/?from=2026-11-24&amp;class={full.pk}"' in page
    assert page.count("Join the waitlist") == 1


def test_the_waitlist_link_asks_to_sign_in_then_offers_the_waitlist(
    client, frozen_clock, downtown, spin, maya
):
    full = ClassSessionFactory(club=downtown, class_type=spin, start=at(downtown, 1, 9), capacity=1)
    BookingFactory(session=full)
    schedule = client.get("/schedule/").content.decode()
    path = html_lib.unescape(re.search(r'href="([^"]+)"[^>]*>Join the waitlist', schedule)[1])

    asked = client.get(path)
    client.force_login(portal_auth.portal_user(maya))
    back = client.get(path)  # where sign-in returns to: `next` is the whole path
    portal = client.get(back["Location"]).content.decode()

    assert asked.status_code == 302
    login, query = asked["Location"].split("?")
    assert (login, parse_qs(query)["next"]) == ("/account/login/", [path])
    # the class is named in the query (a #fragment never reaches the server, so it would be
    # lost through sign-in); the portal answers with the class's day, scrolled to the class
    assert back["Location"] == f"/account/book/?from=2026-11-24#class-{full.pk}"
    row = re.search(rf'<li class="class-row" id="class-{full.pk}".*?</li>', portal, re.S)[0]
    assert "Join the waitlist for Spin on Tue 24 Nov at 09:00" in row


def test_skip_link_is_the_first_link_and_targets_the_main_landmark(client, frozen_clock, downtown):
    page = client.get("/schedule/").content.decode()

    body = page[page.index("<body>") :]
    first_link = re.search(r"<a [^>]*>[^<]*</a>", body)[0]
    assert first_link == '<a class="skip-link" href="#main">Skip to content</a>'
    assert '<main class="site-main" id="main" tabindex="-1">' in page


def test_try_it_free_only_for_trial_eligible_classes(client, frozen_clock, downtown, boxing):
    session = ClassSessionFactory(club=downtown, class_type=boxing, start=at(downtown, 1, 9))

    response = client.get("/schedule/")

    assert "09:00 10:00 Boxing with" not in text(response)  # no trainer: no "with"
    assert f"?session={session.pk}" not in response.content.decode()
    assert "Try it free" not in text(response)


def test_no_try_it_free_once_booking_has_closed(client, frozen_clock, downtown, spin):
    ClassSessionFactory(club=downtown, class_type=spin, start=at(downtown, 0, 18, 10))

    page_text = text(client.get("/schedule/"))

    assert "18:10 19:10 Spin Free trial Studio 1 12 spots left" in page_text
    assert "Try it free" not in page_text


def test_schedule_links_the_trainer_to_their_page(
    client, frozen_clock, downtown, spin, tom, trainers_index
):
    trainers_index.add_child(instance=TrainerPage(title="Tom Bakker", slug="tom", staff_user=tom))
    ClassSessionFactory(club=downtown, class_type=spin, trainer=tom, start=at(downtown, 1, 7))

    html = client.get("/schedule/").content.decode()

    assert 'with <a href="/trainers/tom/">Tom</a>' in html


def test_schedule_queries_do_not_grow_with_the_classes(client, frozen_clock, downtown, spin, tom):
    ClassSessionFactory(club=downtown, class_type=spin, trainer=tom, start=at(downtown, 1, 6))
    client.get("/schedule/")  # the site settings row is created on the first visit
    with CaptureQueriesContext(connection) as one_class:
        client.get("/schedule/")
    for hour in range(7, 21):
        ClassSessionFactory(
            club=downtown, class_type=spin, trainer=tom, start=at(downtown, 1, hour)
        )

    with CaptureQueriesContext(connection) as many_classes:
        client.get("/schedule/")

    assert len(many_classes) == len(one_class)


# --- plans --------------------------------------------------------------------------------


def test_plans_come_from_the_database_with_price_and_what_is_included(
    client, frozen_clock, downtown, riverside, monthly_plan
):
    PlanFactory(club=downtown, pack=True, name="10-visit card")
    PlanFactory(
        club=downtown,
        name="Off-peak",
        price=Decimal("29.50"),
        duration_days=30,
        allows_classes=False,
        valid_at_all_clubs=True,
        auto_renew=True,
    )
    PlanFactory(club=downtown, name="Retired plan", is_active=False)
    PlanFactory(club=downtown, trial=True, name="Trial week")
    PlanFactory(club=riverside, name="Riverside only")

    response = client.get("/plans/")

    page_text = text(response)
    names = re.findall(r'class="plan__name">([^<]+)<', response.content.decode())
    assert names == ["Off-peak", "Monthly", "10-visit card"]  # memberships first, by price
    assert "Off-peak €29.50 per month" in page_text
    assert "Gym floor only Train at every club of ours Renews automatically" in page_text
    assert "Monthly €49.00 per month Unlimited visits for 1 month" in page_text
    assert "Group classes included At Downtown" in page_text
    assert "10-visit card €120.00 for 10 visits" in page_text
    assert "10 visits, to use within 6 months €12.00 per visit" in page_text
    for hidden in ("Retired plan", "Trial week", "Riverside only"):
        assert hidden not in page_text


def test_a_price_change_shows_at_once(client, frozen_clock, downtown, monthly_plan):
    monthly_plan.price = Decimal("52.00")
    monthly_plan.save()

    assert "Monthly €52.00" in text(client.get("/plans/"))


def test_plans_in_another_currency(client, frozen_clock, downtown):
    downtown.currency = "CHF"
    downtown.save()
    PlanFactory(club=downtown, name="Monatlich", price=Decimal("1250.00"))

    assert "Monatlich 1,250.00 CHF per month" in text(client.get("/plans/"))


@pytest.mark.django_db
def test_no_plans_yet(client, frozen_clock, downtown):
    assert "Our plans are being updated" in text(client.get("/plans/"))


# --- trainers -----------------------------------------------------------------------------


def test_trainers_index_lists_live_trainer_pages(client, frozen_clock, downtown, trainers_index):
    trainers_index.add_child(
        instance=TrainerPage(title="Sara Koster", slug="sara", specialities="Yoga, Pilates")
    )
    trainers_index.add_child(instance=TrainerPage(title="Tom Bakker", slug="tom"))
    trainers_index.add_child(instance=TrainerPage(title="Draft Dan", slug="dan", live=False))

    response = client.get("/trainers/")

    page_text = text(response)
    assert "Sara Koster Yoga · Pilates" in page_text
    assert "TB Tom Bakker" in page_text  # initials stand in for a missing photo
    assert "Draft Dan" not in page_text
    assert 'href="/trainers/sara/"' in response.content.decode()


def test_trainer_page_shows_bio_specialities_and_their_classes(
    client, frozen_clock, downtown, spin, tom, trainers_index
):
    trainers_index.add_child(
        instance=TrainerPage(
            title="Tom Bakker",
            slug="tom",
            staff_user=tom,
            specialities="Spin, HIIT",
            bio="<p>Former track cyclist.</p>",
        )
    )
    ClassSessionFactory(club=downtown, class_type=spin, trainer=tom, start=at(downtown, 2, 7))
    ClassSessionFactory(club=downtown, class_type=spin, start=at(downtown, 2, 9))

    page_text = text(client.get("/trainers/tom/"))

    assert "Tom Bakker Spin HIIT Former track cyclist." in page_text
    assert "Classes with Tom Bakker this week Wednesday 25 November 07:00" in page_text
    assert "09:00" not in page_text


@pytest.fixture
def leo(riverside):
    return UserFactory(username="leo", first_name="Leo", clubs=[riverside], roles=[roles.TRAINER])


def test_the_trainers_page_lists_only_the_site_club_s_trainers(
    client, frozen_clock, downtown, tom, leo, trainers_index
):
    # given one page tree with a Downtown trainer, a Riverside one and an editor's page
    trainers_index.add_child(instance=TrainerPage(title="Tom Bakker", slug="tom", staff_user=tom))
    trainers_index.add_child(instance=TrainerPage(title="Leo Mulder", slug="leo", staff_user=leo))
    trainers_index.add_child(instance=TrainerPage(title="Guest Gina", slug="gina"))

    page_text = text(client.get("/trainers/"))

    assert "Tom Bakker" in page_text
    assert "Guest Gina" in page_text
    assert "Leo Mulder" not in page_text


def test_another_club_s_trainer_page_is_not_found(
    client, frozen_clock, downtown, leo, trainers_index
):
    trainers_index.add_child(instance=TrainerPage(title="Leo Mulder", slug="leo", staff_user=leo))

    assert client.get("/trainers/leo/").status_code == 404


def test_the_riverside_site_lists_riverside_s_trainers(
    client, frozen_clock, downtown, riverside, tom, leo, trainers_index
):
    site_settings = ClubSiteSettings.for_site(Site.objects.get(is_default_site=True))
    site_settings.club = riverside
    site_settings.save()
    trainers_index.add_child(instance=TrainerPage(title="Tom Bakker", slug="tom", staff_user=tom))
    trainers_index.add_child(instance=TrainerPage(title="Leo Mulder", slug="leo", staff_user=leo))

    page_text = text(client.get("/trainers/"))

    assert "Leo Mulder" in page_text
    assert "Tom Bakker" not in page_text
    assert client.get("/trainers/leo/").status_code == 200
    assert client.get("/trainers/tom/").status_code == 404


# --- editing ------------------------------------------------------------------------------


def test_marketing_edits_and_publishes_the_site_and_its_settings(mia, fiona):
    schedule = SchedulePage.objects.get()

    assert schedule.permissions_for_user(mia).can_publish()
    assert TrainersIndexPage.objects.get().permissions_for_user(mia).can_add_subpage()
    assert mia.has_perm("cms.change_clubsitesettings")
    assert not schedule.permissions_for_user(fiona).can_edit()
    assert not fiona.has_perm("cms.change_clubsitesettings")


def test_marketing_opens_the_site_settings_in_the_back_office(client, mia):
    client.force_login(mia)
    site = Site.objects.get(is_default_site=True)

    response = client.get(f"/admin/settings/cms/clubsitesettings/{site.pk}/")

    assert response.status_code == 200
    assert "SMS consent wording" in response.content.decode()


@pytest.mark.parametrize("slug", ["schedule", "plans", "trainers", "trial"])
def test_each_page_opens_in_the_editor(admin_client, slug):
    page = Page.objects.get(slug=slug)

    response = admin_client.get(f"/admin/pages/{page.pk}/edit/")

    assert response.status_code == 200


def test_a_trainer_page_can_be_added_in_the_editor(admin_client):
    index = TrainersIndexPage.objects.get()

    response = admin_client.get(f"/admin/pages/add/cms/trainerpage/{index.pk}/")

    assert response.status_code == 200


def test_by_default_the_footer_shows_the_clubs_own_opening_hours(client, frozen_clock, downtown):
    OpeningHours.objects.bulk_create(
        OpeningHours(club=downtown, weekday=day, opens=dt.time(7), closes=dt.time(22))
        for day in range(6)
    )
    downtown.opening_hours.filter(weekday=5).update(opens=dt.time(9), closes=dt.time(17))
    # The site's settings as a new site gets them: no text of their own.
    ClubSiteSettings.objects.all().delete()

    page_text = text(client.get("/"))

    assert "Opening hours Mon–Fri 07:00–22:00 Sat 09:00–17:00 Sun closed" in page_text


def test_without_a_text_or_the_clubs_hours_the_footer_has_no_opening_hours(
    client, frozen_clock, downtown
):
    site_settings = ClubSiteSettings.for_site(Site.objects.get(is_default_site=True))
    site_settings.opening_hours = " \n"
    site_settings.save()

    assert "Opening hours" not in text(client.get("/"))
