"""Every public page fits a 375 px wide phone without sideways scrolling; the screenshots are
kept in artifacts/e2e/ for people to look at."""

import datetime as dt
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from club import clock
from cms.models import TrainerPage, TrainersIndexPage
from tests.factories import BookingFactory, ClassSessionFactory, ClassTypeFactory, PlanFactory

pytestmark = pytest.mark.e2e

PHONE = {"width": 375, "height": 812}


@pytest.fixture
def a_week_of_classes(downtown, tom):
    """A realistic timetable: a few classes a day, one nearly full and one full."""
    kinds = [
        ClassTypeFactory(club=downtown, name=name, trial_eligible=trial)
        for name, trial in (("Spin", True), ("Yoga", True), ("HIIT", True), ("Boxing", False))
    ]
    today = clock.today(downtown)
    sessions = []
    for day in range(7):
        for slot, (hour, minute) in enumerate(((7, 0), (12, 15), (18, 30), (19, 45))):
            start = clock.local_datetime(
                today + dt.timedelta(days=day), dt.time(hour, minute), downtown
            )
            if start <= clock.now():
                continue
            sessions.append(
                ClassSessionFactory(
                    club=downtown,
                    class_type=kinds[(day + slot) % len(kinds)],
                    trainer=tom,
                    room=("Studio 1", "Studio 2")[slot % 2],
                    start=start,
                    end=start + dt.timedelta(minutes=45),
                    capacity=(16, 3, 1, 20)[slot],
                )
            )
    for session in sessions:
        if session.capacity <= 3:
            BookingFactory(session=session)
    return sessions


@pytest.fixture
def plans(downtown):
    PlanFactory(club=downtown, name="Monthly unlimited", price=Decimal("49.00"), auto_renew=True)
    PlanFactory(club=downtown, name="Annual", price=Decimal("449.00"), duration_days=365)
    PlanFactory(club=downtown, pack=True, name="10-visit card")


@pytest.fixture
def trainers(tom):
    index = TrainersIndexPage.objects.get()
    for title, slug, specialities, user in (
        ("Tom Bakker", "tom", "Spin, HIIT, strength", tom),
        ("Sara Koster", "sara", "Yoga, Pilates, mobility", None),
        ("Leo van den Heuvel-Oosterhout", "leo", "Boxing, conditioning", None),
    ):
        index.add_child(
            instance=TrainerPage(
                title=title,
                slug=slug,
                specialities=specialities,
                staff_user=user,
                bio="<p>Coaching people of every level for more than ten years.</p>",
            )
        )


def assert_fits_the_phone(page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"{page.url} scrolls sideways: {width}px wide"


@pytest.mark.parametrize(
    ("path", "name", "heading"),
    [
        ("/", "mobile-home", "Your first class is on us"),
        ("/schedule/", "mobile-schedule", "Schedule"),
        ("/plans/", "mobile-plans", "Plans"),
        ("/trainers/", "mobile-trainers", "Trainers"),
        ("/trainers/leo/", "mobile-trainer", "Leo van den Heuvel-Oosterhout"),
        ("/trial/", "mobile-trial-form", "Free trial"),
    ],
)
def test_page_fits_a_phone(
    live_server, page, screenshot, a_week_of_classes, plans, trainers, path, name, heading
):
    page.set_viewport_size(PHONE)

    page.goto(f"{live_server.url}{path}")

    expect(page.get_by_role("heading", level=1)).to_have_text(heading)
    assert_fits_the_phone(page)
    screenshot(name)


def test_the_menu_opens_on_a_phone(live_server, page, screenshot, downtown):
    page.set_viewport_size(PHONE)
    page.goto(f"{live_server.url}/")
    nav_link = page.get_by_role("navigation", name="Main").get_by_role("link", name="Schedule")
    expect(nav_link).to_be_hidden()

    page.get_by_role("button", name="Menu").click()

    expect(nav_link).to_be_visible()
    expect(page.get_by_role("link", name="My account")).to_have_attribute("href", "/account/")
    assert_fits_the_phone(page)
    screenshot("mobile-menu-open")
    nav_link.click()
    page.wait_for_url(f"{live_server.url}/schedule/")
