"""On a 390 px phone, links standing alone in small text are at least 24 × 24 px (WCAG 2.2
target size), and a booking row never breaks a room's name across two lines."""

import datetime as dt

import pytest
from playwright.sync_api import expect

from club import clock
from cms.models import TrainerPage, TrainersIndexPage
from tests.e2e.test_portal import sign_in_by_link
from tests.factories import BookingFactory, ClassSessionFactory, ClassTypeFactory

pytestmark = pytest.mark.e2e

PHONE = {"width": 390, "height": 844}
TARGET = 24


def size(locator) -> tuple[float, float]:
    box = locator.bounding_box()
    assert box is not None, "not shown"
    return box["width"], box["height"]


def assert_tappable(locator) -> None:
    width, height = size(locator)
    assert (width >= TARGET, height >= TARGET) == (True, True), f"{width:.0f}×{height:.0f} px"


@pytest.fixture
def a_class_with_tom(downtown, tom):
    TrainersIndexPage.objects.get().add_child(
        instance=TrainerPage(title="Tom Bakker", slug="tom", staff_user=tom, specialities="Spin")
    )
    start = clock.now() + dt.timedelta(days=1)
    return ClassSessionFactory(
        club=downtown,
        class_type=ClassTypeFactory(club=downtown, name="Strength and conditioning"),
        trainer=tom,
        room="Studio 1",
        start=start,
        end=start + dt.timedelta(hours=1),
    )


def test_the_schedules_trainer_link_and_the_footers_phone_link_are_tappable(
    live_server, page, a_class_with_tom
):
    page.set_viewport_size(PHONE)

    page.goto(f"{live_server.url}/schedule/")

    trainer = page.locator(".session__meta a", has_text="Tom")
    expect(trainer).to_be_visible()
    assert_tappable(trainer)
    phone = page.locator(".site-footer a[href^='tel:']")
    expect(phone).to_be_visible()
    assert_tappable(phone)


def test_the_portal_footer_link_is_tappable_and_a_booking_row_keeps_the_room_on_one_line(
    live_server, settings, page, a_class_with_tom, maya
):
    settings.SITE_URL = live_server.url  # the emailed sign-in link points here
    BookingFactory(member=maya, session=a_class_with_tom)
    page.set_viewport_size(PHONE)

    sign_in_by_link(page, live_server, maya)

    privacy = page.get_by_role("link", name="Privacy and your data")
    assert_tappable(privacy)
    room = page.locator(".class-row .room", has_text="Studio 1")
    expect(room).to_be_visible()
    # One box for the room: it wraps, if at all, as a whole and not between its words.
    assert room.evaluate("(e) => e.getClientRects().length") == 1
