"""What a QA pass in a browser found in the member portal: a lead whose free trial ended met
only "renew" and refusals; My bookings placed an attended class by its mark, not its start,
listed a rebooked class as cancelled too and a waitlist left as "cancelled"; cancelling from
the booking's page and making a new calendar link did not ask first; a booking's address
opened with GET was a blank 405; and some wording. Today is Monday 23 Nov 2026, 18:00 in
Amsterdam."""

import datetime as dt
import html as html_lib
import re

import pytest
from django.urls import reverse

from checkin import bookings
from checkin.models import Booking
from club import clock
from cms.models import PlansPage
from cms.portal import auth, views
from members.models import Member, MemberEvent
from tests.factories import (
    BookingFactory,
    ClassSessionFactory,
    ClassTypeFactory,
    MemberFactory,
    MembershipFactory,
    PlanFactory,
)
from tests.test_portal import at_club, schedule_rows, sign_in

TODAY = dt.date(2026, 11, 23)
TRIAL_OVER = "Your free trial is over — choose a membership"


def html(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def words(response) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html(response)).split())


@pytest.fixture
def spin(downtown):
    return ClassTypeFactory(club=downtown, name="Spin")


@pytest.fixture
def lotte(frozen_clock, downtown):
    """A lead whose free trial week ran 9–15 Nov, and who never bought a membership."""
    lead = MemberFactory(home_club=downtown, status=Member.Status.TRIAL, first_name="Lotte")
    MembershipFactory(
        member=lead, plan=PlanFactory(club=downtown, trial=True), start=dt.date(2026, 11, 9)
    )
    return lead


# --- 1. a lead whose free trial ended ------------------------------------------------------


def test_a_lead_whose_trial_ended_is_offered_the_plans_not_renewing_or_booking(
    client, lotte, downtown, spin
):
    ClassSessionFactory(club=downtown, class_type=spin)
    portal = sign_in(client, lotte)

    home = portal.get(reverse("portal:home"))
    membership = portal.get(reverse("portal:membership"))
    schedule = html(portal.get(reverse("portal:schedule")))
    my_bookings = html(portal.get(reverse("portal:bookings")))

    assert f"{TRIAL_OVER}." in words(home)
    assert 'href="/plans/" data-lead-plans>See plans and prices</a>' in html(home)
    assert "renew" not in words(home).lower()
    assert "Book a class</a>" not in html(home)
    assert "Book a free trial class" not in html(home)
    assert f"{TRIAL_OVER}." in words(membership)
    assert "See plans and prices" in words(membership)
    assert "Renew your" not in words(membership)
    assert schedule_rows(portal) == {"Tuesday 24 Nov": "Booking needs a membership"}
    assert 'href="/plans/" data-refusal>Booking needs a membership</a>' in schedule
    assert "Book a class</a>" not in my_bookings
    assert "See plans and prices" in my_bookings


def test_a_trial_ended_without_a_plans_page_says_the_front_desk(client, lotte, downtown, spin):
    PlansPage.objects.update(live=False)
    ClassSessionFactory(club=downtown, class_type=spin)
    portal = sign_in(client, lotte)

    home = words(portal.get(reverse("portal:home")))
    schedule = html(portal.get(reverse("portal:schedule")))

    assert f"{TRIAL_OVER} at the front desk of Downtown." in home
    assert "See plans and prices" not in home
    # the refusal still leads somewhere: the membership page, which names the desk
    assert 'href="/account/membership/" data-refusal>Booking needs a membership</a>' in schedule


def test_a_lead_with_no_membership_and_one_whose_trial_ended_read_the_same(
    client, frozen_clock, lotte, downtown, spin
):
    ClassSessionFactory(club=downtown, class_type=spin)
    never = MemberFactory(home_club=downtown, status=Member.Status.LEAD)

    assert schedule_rows(sign_in(client, never)) == schedule_rows(sign_in(client, lotte))
    assert views.refusal_text(bookings.Refusal("expired"), had_membership=False) == (
        views.refusal_text(bookings.Refusal("no_class_membership"), had_membership=False)
    )


def test_a_former_member_is_still_told_to_renew(client, frozen_clock, tom_berg, downtown, spin):
    # the bad path: someone who had a membership of their own renews it
    ClassSessionFactory(club=downtown, class_type=spin)
    portal = sign_in(client, tom_berg)

    home = html(portal.get(reverse("portal:home")))

    assert schedule_rows(portal) == {"Tuesday 24 Nov": "Renew your membership to book"}
    assert "to renew." in home
    assert "Book a class</a>" in home
    assert TRIAL_OVER not in home


def test_a_trial_still_running_books_classes_and_is_not_over(client, frozen_clock, downtown, spin):
    lead = MemberFactory(home_club=downtown, status=Member.Status.TRIAL)
    MembershipFactory(member=lead, plan=PlanFactory(club=downtown, trial=True), start=TODAY)
    ClassSessionFactory(club=downtown, class_type=spin)
    portal = sign_in(client, lead)

    home = html(portal.get(reverse("portal:home")))

    assert TRIAL_OVER not in home
    assert "Book a class</a>" in home
    assert schedule_rows(portal) == {"Tuesday 24 Nov": "Book"}


def test_a_lead_whose_free_class_is_behind_them_is_told_the_trial_is_over(
    client, frozen_clock, downtown, spin
):
    lead = MemberFactory(home_club=downtown, status=Member.Status.LEAD)
    BookingFactory(
        member=lead,
        session=ClassSessionFactory(
            club=downtown, class_type=spin, start=at_club(downtown, TODAY - dt.timedelta(days=2), 9)
        ),
        is_trial=True,
        status=Booking.Status.ATTENDED,
    )

    home = words(sign_in(client, lead).get(reverse("portal:home")))

    assert f"{TRIAL_OVER}." in home
    assert "Book a free trial class" not in home


# --- 2. My bookings ------------------------------------------------------------------------


def sections(client) -> tuple[str, str]:
    """My bookings' "Coming up" and "Earlier and cancelled" (empty when not shown)."""
    page = html(client.get(reverse("portal:bookings")))
    coming_up, _, earlier = page.partition("Earlier and cancelled")
    return coming_up, earlier


def test_a_class_marked_attended_before_it_starts_is_still_coming_up(
    client, frozen_clock, maya, downtown, spin
):
    soon = ClassSessionFactory(
        club=downtown, class_type=spin, start=clock.now() + dt.timedelta(minutes=30)
    )
    booking = BookingFactory(member=maya, session=soon, status=Booking.Status.ATTENDED)
    past = ClassSessionFactory(
        club=downtown, class_type=spin, start=at_club(downtown, TODAY - dt.timedelta(days=1), 9)
    )
    BookingFactory(member=maya, session=past, status=Booking.Status.ATTENDED)

    coming_up, earlier = sections(sign_in(client, maya))

    row = re.search(r'<li class="class-row">.*?</li>', coming_up, re.S)[0]
    assert f'href="/account/bookings/{booking.pk}/"' in row
    assert '<span class="tag tag-attended">Attended</span>' in row
    assert "booking_cancel" not in row and "/cancel/" not in row  # attendance is not cancelled
    assert f'href="/account/bookings/{booking.pk}/"' not in earlier
    # the bad path: a class that has started is earlier, attended
    assert "Sun 22 Nov 09:00 · Spin" in earlier
    assert "Sun 22 Nov" not in coming_up


def test_a_class_cancelled_and_booked_again_is_listed_once_as_booked(
    client, frozen_clock, maya, downtown, spin
):
    session = ClassSessionFactory(club=downtown, class_type=spin)
    other = ClassSessionFactory(
        club=downtown, class_type=spin, start=at_club(downtown, TODAY + dt.timedelta(days=2), 9)
    )
    for _ in range(2):
        bookings.cancel(bookings.book(maya, session))
    again = bookings.book(maya, session)
    # the bad path: cancelled twice and not booked again is one cancelled entry
    for _ in range(2):
        bookings.cancel(bookings.book(maya, other))

    coming_up, earlier = sections(sign_in(client, maya))

    assert f'href="/account/bookings/{again.pk}/"' in coming_up
    assert "Tue 24 Nov" not in earlier
    assert earlier.count("Wed 25 Nov 09:00 · Spin") == 1
    assert '<span class="tag tag-cancelled">Cancelled</span>' in earlier


def test_leaving_a_waitlist_reads_so_not_cancelled(
    client, frozen_clock, maya, downtown, spin, tom_berg
):
    full = ClassSessionFactory(club=downtown, class_type=spin, capacity=0)
    left = bookings.book(maya, full)
    assert left.status == Booking.Status.WAITLISTED
    bookings.cancel(left)
    seat = ClassSessionFactory(
        club=downtown, class_type=spin, start=at_club(downtown, TODAY + dt.timedelta(days=2), 9)
    )
    bookings.cancel(bookings.book(maya, seat))
    dropped = ClassSessionFactory(
        club=downtown, class_type=spin, start=at_club(downtown, TODAY + dt.timedelta(days=3), 9)
    )
    bookings.book(maya, dropped)
    bookings.cancel_session(dropped)

    _, earlier = sections(sign_in(client, maya))
    tags = dict(
        re.findall(r"(\w{3} \d+ \w{3}) [\d:]+ · Spin</a>\s*<span[^>]*>([^<]+)</span>", earlier)
    )

    assert tags == {
        "Tue 24 Nov": "Left the waitlist",
        "Wed 25 Nov": "Cancelled",
        "Thu 26 Nov": "Cancelled by the club",
    }
    detail = html(client.get(reverse("portal:booking", args=[left.pk])))
    assert "Left the waitlist</span>" in detail


# --- 3. asked before, and said once ----------------------------------------------------------


def confirm_of(page: str) -> str:
    found = re.search(r'<form [^>]*onsubmit="return confirm\(\'([^"]*)\'\)"', page)
    return html_lib.unescape(found[1]) if found else ""


def test_cancel_booking_on_the_bookings_page_asks_as_the_list_does(
    client, frozen_clock, maya, downtown, spin
):
    booking = bookings.book(maya, ClassSessionFactory(club=downtown, class_type=spin))
    portal = sign_in(client, maya)

    detail = html(portal.get(reverse("portal:booking", args=[booking.pk])))
    listing = html(portal.get(reverse("portal:bookings")))

    assert confirm_of(detail) == "Cancel Spin on Tue 24 Nov at 18:00?"
    assert confirm_of(detail) == confirm_of(listing)
    assert "Cancel booking</button>" in detail
    # the bad path: a class that cannot be cancelled offers no button to ask about
    BookingFactory(
        member=maya,
        session=ClassSessionFactory(
            club=downtown, class_type=spin, start=at_club(downtown, TODAY - dt.timedelta(days=1), 9)
        ),
        status=Booking.Status.ATTENDED,
    )
    attended = maya.bookings.get(status=Booking.Status.ATTENDED)
    assert confirm_of(html(portal.get(reverse("portal:booking", args=[attended.pk])))) == ""


def test_a_late_cancel_is_said_in_the_booking_pages_question_too(
    client, frozen_clock, maya, downtown, spin
):
    soon = ClassSessionFactory(
        club=downtown, class_type=spin, start=clock.now() + dt.timedelta(hours=1)
    )
    booking = bookings.book(maya, soon)
    frozen_clock.shift(bookings.LATE_CANCEL_GRACE + dt.timedelta(minutes=1))

    detail = html(sign_in(client, maya).get(reverse("portal:booking", args=[booking.pk])))

    question = confirm_of(detail).encode().decode("unicode_escape")
    assert question.startswith("Cancel Spin on Mon 23 Nov at 19:00?\n\n")
    assert "late cancellation" in question


def test_making_a_new_calendar_link_asks_first(client, frozen_clock, maya):
    portal = sign_in(client, maya)

    page = html(portal.get(reverse("portal:calendar")))

    assert confirm_of(page) == views.RESET_QUESTION
    assert "The old link stops working" in views.RESET_QUESTION
    # the bad path: the page itself changes nothing; only the confirmed POST does
    maya.refresh_from_db()
    old = maya.calendar_token
    portal.get(reverse("portal:calendar"))
    maya.refresh_from_db()
    assert maya.calendar_token == old


def test_cancelling_twice_says_it_was_already_cancelled(client, frozen_clock, maya, downtown, spin):
    booking = bookings.book(maya, ClassSessionFactory(club=downtown, class_type=spin))
    portal = sign_in(client, maya)
    cancel = reverse("portal:booking_cancel", args=[booking.pk])

    first = words(portal.post(cancel, follow=True))
    second = words(portal.post(cancel, follow=True))

    assert "Cancelled Spin on Tue 24 Nov, 18:00." in first
    assert "Your booking for Spin on Tue 24 Nov, 18:00 was already cancelled." in second
    assert "Cancelled Spin" not in second
    assert maya.events.filter(kind=MemberEvent.Kind.CLASS_CANCELLED_BY_MEMBER).count() == 1


def test_leaving_a_waitlist_twice_says_it_was_already_left(
    client, frozen_clock, maya, downtown, spin
):
    waiting = bookings.book(maya, ClassSessionFactory(club=downtown, class_type=spin, capacity=0))
    portal = sign_in(client, maya)
    leave = reverse("portal:booking_cancel", args=[waiting.pk])

    first = words(portal.post(leave, follow=True))
    second = words(portal.post(leave, follow=True))

    assert "You left the waitlist for Spin on Tue 24 Nov, 18:00." in first
    assert "You had already left the waitlist for Spin on Tue 24 Nov, 18:00." in second


# --- 4. a booking's address opened ---------------------------------------------------------------


def test_opening_a_classes_booking_address_shows_the_class_and_books_nothing(
    client, frozen_clock, maya, downtown, spin
):
    session = ClassSessionFactory(
        club=downtown, class_type=spin, start=at_club(downtown, TODAY + dt.timedelta(days=9), 9)
    )

    response = sign_in(client, maya).get(reverse("portal:book", args=[session.pk]))

    assert response.status_code == 302
    assert response["Location"] == f"/account/book/?from=2026-12-02#class-{session.pk}"
    assert not maya.bookings.exists()
    assert f'id="class-{session.pk}"' in html(client.get(response["Location"]))


@pytest.mark.parametrize("which", ["unknown", "another_club"])
def test_opening_a_booking_address_of_no_class_of_ours_shows_the_schedule(
    client, frozen_clock, maya, riverside, which
):
    pk = 987654 if which == "unknown" else ClassSessionFactory(club=riverside).pk

    response = sign_in(client, maya).get(reverse("portal:book", args=[pk]))

    assert (response.status_code, response["Location"]) == (302, reverse("portal:schedule"))
    assert not maya.bookings.exists()


def test_a_booking_address_opened_signed_out_asks_to_sign_in(client, frozen_clock, downtown):
    session = ClassSessionFactory(club=downtown)

    response = client.get(reverse("portal:book", args=[session.pk]))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("portal:login"))


# --- 5. wording --------------------------------------------------------------------------------


def test_signing_in_to_home_greets_once(client, frozen_clock, maya, mailoutbox):
    auth.request_link(email=maya.email, ip="127.0.0.1")
    [link] = re.findall(r"/account/login/link/\?sesame=[\w-]+", mailoutbox[0].body)

    page = words(client.get(link, follow=True))

    assert "Hi Maya" in page
    assert "Welcome, Maya" not in page


def menu(page: str) -> list[str]:
    nav = re.search(r'<nav id="site-nav".*?</nav>', page, re.S)[0]
    return re.findall(r'<a href="[^"]+"[^>]*>([^<]+)</a>', nav)


def test_a_signed_in_member_is_not_offered_the_free_trial_in_the_menu(
    client, frozen_clock, maya, downtown
):
    anonymous = menu(html(client.get("/plans/")))
    sign_in(client, maya)

    assert "Free trial" in anonymous
    assert "Free trial" not in menu(html(client.get("/plans/")))
    assert "Free trial" not in menu(html(client.get(reverse("portal:home"))))


def test_renewing_names_the_plan_in_a_phrase(client, frozen_clock, tom_berg):
    page = words(sign_in(client, tom_berg).get(reverse("portal:membership")))

    assert "Renew your Monthly membership" in page


def test_privacy_and_your_data_is_linked_once_on_messages(client, frozen_clock, maya):
    page = html(sign_in(client, maya).get(reverse("portal:messages")))

    assert page.count(">Privacy and your data</a>") == 1


def test_status_tags_are_capitalised(client, frozen_clock, maya, downtown, spin):
    booked = bookings.book(maya, ClassSessionFactory(club=downtown, class_type=spin))
    waiting = bookings.book(
        maya,
        ClassSessionFactory(
            club=downtown,
            class_type=spin,
            capacity=0,
            start=at_club(downtown, TODAY + dt.timedelta(days=2), 9),
        ),
    )
    portal = sign_in(client, maya)

    listing = html(portal.get(reverse("portal:bookings")))
    schedule = html(portal.get(reverse("portal:schedule")))

    assert re.findall(r'class="tag tag-\w+">([^<]+)<', listing) == ["Booked", "Waitlist #1"]
    assert f'href="/account/bookings/{booked.pk}/">Booked</a>' in schedule
    assert f'href="/account/bookings/{waiting.pk}/">Waitlist #1</a>' in schedule
