"""Tom the trainer, in a real browser: my classes, the roster, attended and no-show."""

import datetime as dt

import pytest
from playwright.sync_api import expect

from checkin.models import Booking
from club import clock
from members.models import MemberEvent
from tests.factories import (
    PASSWORD,
    BookingFactory,
    ClassSessionFactory,
    ClassTypeFactory,
    MemberFactory,
    VisitFactory,
)

pytestmark = pytest.mark.e2e


@pytest.fixture
def hiit(downtown, tom):
    """A HIIT class of Tom's that started ten minutes ago (today, at the club)."""
    now = clock.now()
    start = max(now - dt.timedelta(minutes=10), clock.start_of_day(clock.today(downtown), downtown))
    return ClassSessionFactory(
        club=downtown,
        class_type=ClassTypeFactory(club=downtown, name="HIIT"),
        trainer=tom,
        room="Studio 2",
        start=start,
        end=start + dt.timedelta(hours=1),
        capacity=20,
    )


def test_tom_marks_one_member_attended_and_one_no_show(
    live_server, page, log_in, screenshot, tom, hiit, maya, downtown
):
    ben = MemberFactory(home_club=downtown, first_name="Ben", last_name="Berg")
    maya_booking = BookingFactory(session=hiit, member=maya)
    ben_booking = BookingFactory(session=hiit, member=ben)
    # Ana checked in at the desk before class; Cas is waiting for a seat.
    ana = MemberFactory(home_club=downtown, first_name="Ana", last_name="Kovač")
    VisitFactory(member=ana, at=hiit.start - dt.timedelta(minutes=9))
    BookingFactory(session=hiit, member=ana, status=Booking.Status.ATTENDED, attended_at=hiit.start)
    BookingFactory(
        session=hiit,
        member=MemberFactory(home_club=downtown, first_name="Cas", last_name="Dekker"),
        status=Booking.Status.WAITLISTED,
        waitlist_position=1,
    )

    log_in(tom, PASSWORD)
    page.get_by_role("link", name="My classes", exact=True).click()
    page.wait_for_url(f"{live_server.url}/admin/trainer/")
    today = page.locator(f"[data-session='{hiit.pk}']")
    expect(today).to_contain_text("HIIT")
    expect(today).to_contain_text("3/20 booked · 1 waitlist")
    screenshot("trainer-my-classes")

    today.get_by_role("link").click()
    page.wait_for_url(f"{live_server.url}/admin/trainer/sessions/{hiit.pk}/")
    ben_row = page.locator(f"#booking-{ben_booking.pk}")
    maya_row = page.locator(f"#booking-{maya_booking.pk}")
    expect(ben_row).to_contain_text("first class")

    ben_row.get_by_role("button", name="Mark attended").click()
    expect(page.locator(f"#booking-{ben_booking.pk}")).to_have_attribute("data-status", "attended")
    maya_row.get_by_role("button", name="Mark no-show").click()
    expect(page.locator(f"#booking-{maya_booking.pk}")).to_have_attribute("data-status", "no_show")
    expect(page.locator("#roster-summary")).to_contain_text("2 attended")
    expect(page.locator("#roster-summary")).to_contain_text("1 no-show")
    screenshot("trainer-roster-marked")

    ben_booking.refresh_from_db()
    maya_booking.refresh_from_db()
    assert ben_booking.status == Booking.Status.ATTENDED
    assert ben_booking.attended_at is not None
    assert maya_booking.status == Booking.Status.NO_SHOW
    assert maya.events.filter(kind=MemberEvent.Kind.CLASS_NO_SHOW, actor=tom).count() == 1


def test_the_roster_shows_a_door_check_in_without_a_reload(
    live_server, page, log_in, tom, hiit, maya, downtown
):
    from checkin import checkins
    from checkin.models import Source

    maya_booking = BookingFactory(session=hiit, member=maya)
    log_in(tom, PASSWORD)
    page.goto(f"{live_server.url}/admin/trainer/sessions/{hiit.pk}/")
    maya_row = page.locator(f"#booking-{maya_booking.pk}")
    expect(maya_row).to_have_attribute("data-status", "booked")

    # Maya scans in at the door; the door marks her booked class attended
    checkins.check_in(maya, source=Source.TURNSTILE, club=downtown)
    # the roster's own refresh (every 20 s while shown; at once when shown again)
    page.evaluate("document.dispatchEvent(new Event('visibilitychange'))")

    expect(page.locator(f"#booking-{maya_booking.pk}")).to_have_attribute("data-status", "attended")
    expect(page.locator("#roster-summary")).to_contain_text("1 attended")
    assert page.locator("#roster-summary").count() == 1
