"""Members in the portal, in a real browser on a phone-sized screen: sign in by emailed link,
book a class, cancel it and see the waitlist move up; every page fits 375 px."""

import datetime as dt
import re

import pytest
from django.core import mail
from django.core.cache import cache
from playwright.sync_api import expect

from checkin import bookings
from checkin.models import Booking
from club import clock
from members.models import Member
from tests.factories import (
    BookingFactory,
    ClassSessionFactory,
    ClassTypeFactory,
    FreezeFactory,
    MemberFactory,
    MembershipFactory,
    PlanFactory,
    VisitFactory,
)

pytestmark = pytest.mark.e2e

PHONE = {"width": 375, "height": 812}
LINK = re.compile(r"https?://\S+/account/login/link/\?sesame=[\w-]+")


@pytest.fixture(autouse=True)
def portal_setup(settings, live_server):
    # Links in the emails point at the live server; rate limits start from zero.
    settings.SITE_URL = live_server.url
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def phone(browser):
    context = browser.new_context(
        viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True
    )
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def screenshot(phone):
    from tests.e2e.conftest import ARTIFACTS

    ARTIFACTS.mkdir(parents=True, exist_ok=True)

    def take(name: str):
        phone.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)

    return take


def sign_in_by_link(page, live_server, member: Member) -> None:
    """Ask for a link on the login page, then open the link from the email."""
    page.goto(f"{live_server.url}/account/")
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    page.get_by_label("Your email address").fill(member.email)
    page.get_by_role("button", name="Email me a sign-in link").click()
    expect(page.get_by_role("heading", name="Check your email")).to_be_visible()
    link = LINK.search(mail.outbox[-1].body).group()
    page.goto(link)
    expect(page.get_by_role("heading", name=f"Hi {member.first_name}")).to_be_visible()


def assert_fits_the_phone(page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"{page.url} scrolls sideways: {width}px wide"


def test_member_signs_in_by_link_books_cancels_and_the_first_waitlisted_moves_up(
    live_server, phone, screenshot, downtown, maya
):
    # given a one-seat spin class tomorrow, and Bram, a member who also wants it
    spin = ClassTypeFactory(club=downtown, name="Spin")
    session = ClassSessionFactory(club=downtown, class_type=spin, capacity=1, room="Studio 2")
    bram = MemberFactory(home_club=downtown, first_name="Bram", status=Member.Status.MEMBER)
    MembershipFactory(member=bram, plan=PlanFactory(club=downtown))

    # when Maya signs in with the link from her email
    sign_in_by_link(phone, live_server, maya)
    assert len(mail.outbox) == 1

    # and books the seat from the schedule
    phone.get_by_role("link", name="Book a class").click()
    expect(phone.get_by_role("heading", name="Book a class")).to_be_visible()
    phone.get_by_role("button", name=re.compile(r"^Book Spin on")).click()
    # said at the class, where the page opens after booking, not at the top out of view
    said = phone.locator(f"#class-{session.pk} [data-row-note]")
    expect(said).to_contain_text("Booked: Spin on")
    expect(said).to_be_in_viewport()
    mine = Booking.objects.get(member=maya, session=session)
    assert mine.status == Booking.Status.BOOKED

    # while Bram, arriving later, is put on the waitlist
    brams = bookings.book(bram, session)
    assert brams.status == Booking.Status.WAITLISTED

    # and she cancels from her home page
    phone.get_by_role("link", name="‹ My account").click()
    row = phone.locator(".class-row", has_text="Spin")
    expect(row).to_contain_text("Booked")
    phone.once("dialog", lambda dialog: dialog.accept())
    row.get_by_role("button", name=re.compile(r"^Cancel Spin")).click()
    expect(phone.locator(".flash")).to_contain_text("Cancelled Spin on")
    expect(phone.get_by_text("No classes booked.")).to_be_visible()
    screenshot("portal-cancelled")

    # then her booking is cancelled and Bram has the seat
    mine.refresh_from_db()
    brams.refresh_from_db()
    assert mine.status == Booking.Status.CANCELLED
    assert brams.status == Booking.Status.BOOKED
    assert brams.waitlist_position is None
    assert brams.promoted_at is not None


def test_a_used_link_opened_again_in_the_browser_is_refused(live_server, phone, maya):
    sign_in_by_link(phone, live_server, maya)
    link = LINK.search(mail.outbox[-1].body).group()
    phone.get_by_role("button", name="Sign out").click()
    expect(phone.get_by_text("You are signed out.")).to_be_visible()

    phone.goto(link)

    expect(
        phone.get_by_role("heading", name="This link has expired or was already used")
    ).to_be_visible()
    expect(phone.get_by_role("link", name="Request a new link")).to_be_visible()


@pytest.fixture
def ana(downtown):
    """A pack member with some history: visits, a freeze, classes booked and waited for."""
    today = clock.today(downtown)
    member = MemberFactory(
        home_club=downtown,
        status=Member.Status.MEMBER,
        first_name="Ana",
        last_name="Kovač",
        email="ana.kovac@example.com",
        sms_consent=True,
        email_consent=True,
        created_at=clock.now() - dt.timedelta(days=400),
    )
    pack = PlanFactory(club=downtown, pack=True, name="10-visit card")
    current = MembershipFactory(
        member=member, plan=pack, start=today - dt.timedelta(days=30), visits_left=6
    )
    older = MembershipFactory(
        member=member,
        plan=PlanFactory(club=downtown, name="Monthly Unlimited", auto_renew=True),
        start=today - dt.timedelta(days=120),
        end=today - dt.timedelta(days=31),
    )
    FreezeFactory(
        membership=older,
        start=today - dt.timedelta(days=90),
        end=today - dt.timedelta(days=84),
    )
    FreezeFactory(
        membership=current, start=today + dt.timedelta(days=20), end=today + dt.timedelta(days=26)
    )
    for days_ago in (2, 6, 9, 13, 20, 27, 34, 41, 48):
        VisitFactory(
            member=member,
            at=clock.local_datetime(today - dt.timedelta(days=days_ago), dt.time(7, 30), downtown),
        )
    types = {
        name: ClassTypeFactory(club=downtown, name=name)
        for name in ("HIIT", "Spin", "Vinyasa yoga", "Core strength", "Boxing fitness")
    }
    other = MemberFactory(home_club=downtown)
    plan = [
        (1, "18:30", "HIIT", 20, "booked"),
        (3, "07:00", "Spin", 1, "waitlisted"),
        (1, "07:00", "Vinyasa yoga", 15, None),
        (2, "12:15", "Core strength", 12, None),
        (2, "19:45", "Boxing fitness", 2, None),
        (4, "09:00", "Spin", 20, None),
    ]
    for days_ahead, time, name, capacity, status in plan:
        start = clock.local_datetime(
            today + dt.timedelta(days=days_ahead), dt.time.fromisoformat(time), downtown
        )
        session = ClassSessionFactory(
            club=downtown,
            class_type=types[name],
            start=start,
            capacity=capacity,
            room="Studio 2" if name in {"Spin", "HIIT"} else "Studio 1",
        )
        if status == "booked":
            BookingFactory(member=member, session=session)
        elif status == "waitlisted":
            BookingFactory(member=other, session=session)
            BookingFactory(
                member=member,
                session=session,
                status=Booking.Status.WAITLISTED,
                waitlist_position=1,
            )
    past = ClassSessionFactory(
        club=downtown,
        class_type=types["Vinyasa yoga"],
        start=clock.local_datetime(today - dt.timedelta(days=6), dt.time(7, 0), downtown),
    )
    BookingFactory(member=member, session=past, status=Booking.Status.ATTENDED)
    return member


def test_portal_pages_fit_a_phone_screen(live_server, phone, screenshot, ana):
    # The sign-in pages first.
    phone.goto(f"{live_server.url}/account/login/")
    assert_fits_the_phone(phone)
    screenshot("portal-login")

    sign_in_by_link(phone, live_server, ana)
    assert_fits_the_phone(phone)
    expect(phone.get_by_text("6 of 10 visits left")).to_be_visible()
    expect(phone.locator("[data-pace]")).to_contain_text("At your pace your pack runs out around")
    expect(phone.get_by_text("Waitlist #1")).to_be_visible()
    screenshot("portal-home")

    pages = [
        ("/account/bookings/", "My bookings", "portal-bookings"),
        ("/account/membership/", "My membership", "portal-membership"),
        ("/account/book/", "Book a class", "portal-schedule"),
        ("/account/visits/", "My visits", "portal-visits"),
        ("/account/messages/", "Messages", "portal-messages"),
        ("/account/calendar/", "Calendar feed", "portal-calendar"),
    ]
    for path, heading, name in pages:
        phone.goto(f"{live_server.url}{path}")
        expect(phone.get_by_role("heading", name=heading, exact=True)).to_be_visible()
        assert_fits_the_phone(phone)
        screenshot(name)


def test_cancel_booking_on_its_page_asks_first_and_not_now_keeps_it(
    live_server, phone, downtown, maya
):
    session = ClassSessionFactory(
        club=downtown, class_type=ClassTypeFactory(club=downtown, name="Yoga")
    )
    booking = bookings.book(maya, session)
    sign_in_by_link(phone, live_server, maya)
    phone.goto(f"{live_server.url}/account/bookings/{booking.pk}/")
    asked = []

    def answer(dialog, accept):
        asked.append(dialog.message)
        dialog.accept() if accept else dialog.dismiss()

    # when she taps Cancel booking and answers no, nothing is cancelled
    phone.once("dialog", lambda dialog: answer(dialog, accept=False))
    phone.get_by_role("button", name="Cancel booking").click()
    expect(phone.get_by_role("button", name="Cancel booking")).to_be_visible()
    booking.refresh_from_db()
    assert booking.status == Booking.Status.BOOKED

    # and when she answers yes, it is
    phone.once("dialog", lambda dialog: answer(dialog, accept=True))
    phone.get_by_role("button", name="Cancel booking").click()
    expect(phone.locator(".flash")).to_contain_text("Cancelled Yoga on")
    booking.refresh_from_db()
    assert booking.status == Booking.Status.CANCELLED
    assert asked == [asked[0]] * 2
    assert re.fullmatch(r"Cancel Yoga on \w{3} \d+ \w{3} at 18:00\?", asked[0])


def test_making_a_new_calendar_link_asks_first_and_not_now_keeps_the_old_one(
    live_server, phone, maya
):
    sign_in_by_link(phone, live_server, maya)
    phone.goto(f"{live_server.url}/account/calendar/")
    maya.refresh_from_db()
    old = maya.calendar_token
    asked = []

    def dismiss(dialog):
        asked.append(dialog.message)
        dialog.dismiss()

    phone.once("dialog", dismiss)
    phone.get_by_role("button", name="Make a new link").click()
    expect(phone.get_by_role("button", name="Make a new link")).to_be_visible()

    maya.refresh_from_db()
    assert maya.calendar_token == old
    assert "The old link stops working" in asked[0]
