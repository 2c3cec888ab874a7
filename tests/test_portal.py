"""The member portal's pages: home, membership (with the pack run-out estimate), visits,
bookings, booking from the schedule, message preferences and the calendar page — and that
a member sees and changes only their own data, whatever the URL."""

import datetime as dt
import html as html_lib
import re
from decimal import Decimal
from urllib.parse import urlencode

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from wagtail.models import Site

from checkin import bookings
from checkin.models import Booking
from club import clock
from cms.models import ClubSiteSettings
from cms.portal import auth, selectors
from members.models import Channel, ConsentLog, Member, MemberEvent
from memberships.models import Membership
from tests.factories import (
    BookingFactory,
    ClassSessionFactory,
    ClassTypeFactory,
    FreezeFactory,
    MemberFactory,
    MembershipFactory,
    PlanFactory,
    UserFactory,
    VisitFactory,
)

# The frozen clock: Monday 23 November 2026, 17:00 UTC = 18:00 in Amsterdam.
TODAY = dt.date(2026, 11, 23)


def sign_in(client, member: Member):
    client.force_login(auth.portal_user(member))
    return client


def at_club(club, day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return clock.local_datetime(day, dt.time(hour, minute), club)


@pytest.fixture
def portal(client, frozen_clock, maya):
    """Maya, signed in to the portal."""
    return sign_in(client, maya)


@pytest.fixture
def spin(downtown):
    return ClassTypeFactory(club=downtown, name="Spin", description="Forty-five minutes uphill.")


@pytest.fixture
def hiit(downtown):
    return ClassTypeFactory(club=downtown, name="HIIT")


@pytest.fixture
def bram(downtown, monthly_plan):
    """Another Downtown member: Maya must see nothing of his."""
    member = MemberFactory(
        home_club=downtown,
        status=Member.Status.MEMBER,
        first_name="Bram",
        last_name="Visser",
        email="bram@example.com",
    )
    MembershipFactory(
        member=member,
        plan=PlanFactory(club=downtown, name="Bram's Yearly", duration_days=365),
        start=clock.today(downtown) - dt.timedelta(days=100),
    )
    return member


def html(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.content.decode()


# --- home ---------------------------------------------------------------------------------


def test_home_greets_the_member_with_membership_next_classes_and_visits(
    portal, downtown, maya, spin, hiit, bram
):
    tuesday = at_club(downtown, TODAY + dt.timedelta(days=1), 18, 30)
    thursday = at_club(downtown, TODAY + dt.timedelta(days=3), 7)
    BookingFactory(
        member=maya, session=ClassSessionFactory(club=downtown, class_type=hiit, start=tuesday)
    )
    full = ClassSessionFactory(club=downtown, class_type=spin, start=thursday, capacity=1)
    BookingFactory(member=bram, session=full)
    BookingFactory(
        member=MemberFactory(home_club=downtown),
        session=full,
        status=Booking.Status.WAITLISTED,
        waitlist_position=1,
    )
    BookingFactory(member=maya, session=full, status=Booking.Status.WAITLISTED, waitlist_position=2)
    VisitFactory(member=maya, at=at_club(downtown, TODAY - dt.timedelta(days=2), 9))
    VisitFactory(member=maya, at=at_club(downtown, TODAY, 7))
    VisitFactory(member=maya, at=at_club(downtown, dt.date(2026, 10, 31), 9))  # last month

    page = html(portal.get(reverse("portal:home")))

    assert "Hi Maya" in page
    assert "Monthly" in page
    assert "13 Nov 2026 → 12 Dec 2026" in page
    assert "Active · 19 days left" in page
    assert "Tue 24 Nov <b>18:30</b>" in page
    assert "HIIT" in page
    assert "Thu 26 Nov <b>07:00</b>" in page
    assert "Waitlist #2" in page
    assert "This month: 2 visits" in page
    assert "Bram" not in page


def test_home_lists_todays_membership_before_the_renewal_queued_after_it(
    portal, maya, monthly_plan
):
    MembershipFactory(member=maya, plan=monthly_plan, start=dt.date(2026, 12, 13))

    page = html(portal.get(reverse("portal:home")))

    assert page.index("13 Nov 2026 → 12 Dec 2026") < page.index("13 Dec 2026 →")


def test_home_says_so_when_there_is_no_membership(client, frozen_clock, downtown):
    lead = MemberFactory(home_club=downtown, first_name="Lotte")

    page = html(sign_in(client, lead).get(reverse("portal:home")))

    assert "You have no membership yet." in page
    assert "No classes booked." in page


def test_home_greets_a_lead_with_their_free_trial_class_not_with_renewing(
    client, frozen_clock, downtown, spin
):
    lead = MemberFactory(home_club=downtown, first_name="Anna")
    session = ClassSessionFactory(
        club=downtown, class_type=spin, start=at_club(downtown, TODAY + dt.timedelta(days=2), 18)
    )
    BookingFactory(session=session, member=lead, is_trial=True)

    page = html(sign_in(client, lead).get(reverse("portal:home")))

    assert "Your free trial class: <strong>Spin</strong>, Wednesday 25 November, 18:00." in page
    assert "renew" not in page.lower()


def test_home_tells_a_former_member_when_it_ended_and_to_renew(client, frozen_clock, tom_berg):
    page = html(sign_in(client, tom_berg).get(reverse("portal:home")))

    assert "You have no membership in force: your Monthly ended on 3 Nov 2026." in page
    assert "to renew." in page


# --- membership and the pack estimate ----------------------------------------------------


@pytest.fixture
def pack_member(downtown):
    """Joined long ago; a 10-visit pack bought 40 days ago, 6 visits left, ends in 140 days."""
    member = MemberFactory(
        home_club=downtown,
        status=Member.Status.MEMBER,
        first_name="Piet",
        created_at=at_club(downtown, dt.date(2025, 1, 1), 12),
    )
    pack = PlanFactory(club=downtown, pack=True, name="10-visit card")
    MembershipFactory(member=member, plan=pack, start=TODAY - dt.timedelta(days=40), visits_left=6)
    return member


def test_pack_estimate_uses_the_pace_of_the_last_eight_weeks(
    client, frozen_clock, downtown, pack_member
):
    # given 8 visits in the last 8 weeks (one a week), and older ones that do not count
    for weeks_ago in range(1, 9):
        VisitFactory(
            member=pack_member, at=at_club(downtown, TODAY - dt.timedelta(weeks=weeks_ago), 10)
        )
    for days_ago in (60, 61, 62):
        VisitFactory(
            member=pack_member, at=at_club(downtown, TODAY - dt.timedelta(days=days_ago), 10)
        )

    page = html(sign_in(client, pack_member).get(reverse("portal:membership")))

    # then 6 visits at one a week last 42 days
    assert "<b>6</b> of 10 visits left" in page
    assert "At your pace your pack runs out around 4 Jan 2027." in page


def test_pack_estimate_says_so_when_there_were_no_recent_visits(client, frozen_clock, pack_member):
    page = html(sign_in(client, pack_member).get(reverse("portal:membership")))

    assert "No visits in the last 56 days, so we can't tell yet when your pack runs out." in page


def test_pack_estimate_warns_when_the_pack_expires_first(
    client, frozen_clock, downtown, pack_member
):
    VisitFactory(member=pack_member, at=at_club(downtown, TODAY - dt.timedelta(days=30), 10))

    page = html(sign_in(client, pack_member).get(reverse("portal:home")))

    # one visit in 56 days: 6 visits would take 336 days, but the pack ends on 11 Apr 2027
    assert (
        "At your pace your pack would run out around 25 Oct 2027, after it expires on "
        "11 Apr 2027: use your visits before then." in page
    )


@pytest.mark.parametrize(
    ("joined_days_ago", "visits", "window_days", "runs_out_in_days"),
    [
        (400, 8, 56, 42),  # eight weeks of history: 1 a week
        (14, 4, 14, 21),  # joined two weeks ago: their pace since then, 2 a week
        (2, 2, 7, 21),  # joined two days ago: at least a week, 2 a week
        (400, 56, 56, 6),  # daily
        (400, 5, 56, 68),  # 6 × 56 / 5 = 67.2, rounded up
    ],
)
def test_pack_pace_method(
    frozen_clock, downtown, joined_days_ago, visits, window_days, runs_out_in_days
):
    member = MemberFactory(
        home_club=downtown,
        created_at=at_club(downtown, TODAY - dt.timedelta(days=joined_days_ago), 9),
    )
    membership = MembershipFactory(
        member=member, plan=PlanFactory(club=downtown, pack=True), visits_left=6
    )
    for n in range(visits):
        VisitFactory(member=member, at=clock.now() - dt.timedelta(hours=1 + n * 20))

    pace = selectors.pack_pace(membership, member=member, today=TODAY)

    assert pace.visits_in_window == visits
    assert pace.window_days == window_days
    assert pace.runs_out_on == TODAY + dt.timedelta(days=runs_out_in_days)


def test_pack_pace_leaves_out_frozen_days_and_waits_out_a_coming_freeze(
    frozen_clock, downtown, pack_member
):
    # given four visits in the last 8 weeks, two of which were frozen (a 14-day holiday)
    membership = pack_member.memberships.get()
    FreezeFactory(
        membership=membership,
        start=TODAY - dt.timedelta(days=30),
        end=TODAY - dt.timedelta(days=17),
    )
    for days_ago in (3, 10, 40, 50):
        VisitFactory(
            member=pack_member, at=at_club(downtown, TODAY - dt.timedelta(days=days_ago), 9)
        )
    # and a week's freeze coming up in ten days
    FreezeFactory(
        membership=membership,
        start=TODAY + dt.timedelta(days=10),
        end=TODAY + dt.timedelta(days=16),
    )

    pace = selectors.pack_pace(membership, member=pack_member, today=TODAY)

    # then 4 visits in 42 unfrozen days: 6 visits take 63 days, plus the 7 frozen ones
    assert (pace.visits_in_window, pace.window_days, pace.pace_days) == (4, 56, 42)
    assert pace.visits_per_week == 0.7
    assert pace.runs_out_on == TODAY + dt.timedelta(days=63 + 7)


def test_membership_page_shows_plan_dates_status_freezes_and_history(
    portal, downtown, maya, maya_membership
):
    FreezeFactory(
        membership=maya_membership,
        start=TODAY - dt.timedelta(days=1),
        end=TODAY + dt.timedelta(days=4),
    )
    Membership.objects.filter(pk=maya_membership.pk).update(
        end=maya_membership.end + dt.timedelta(days=6)
    )
    MembershipFactory(
        member=maya,
        plan=maya_membership.plan,
        start=dt.date(2026, 9, 1),
        end=dt.date(2026, 9, 30),
        price_paid=Decimal("49.00"),
    )

    page = html(portal.get(reverse("portal:membership")))

    assert "Monthly" in page
    assert "13 Nov 2026 → 18 Dec 2026" in page
    assert "Frozen until 27 Nov" in page
    assert "22 Nov 2026 – 27 Nov 2026" in page
    assert "6 days" in page
    assert "Earlier" in page
    assert "Ended 30 Sep 2026" in page


# --- visits -------------------------------------------------------------------------------


def test_visits_are_newest_first_in_local_time_and_paginated(portal, downtown, maya):
    first = at_club(downtown, dt.date(2026, 6, 1), 7, 15)  # summer time
    for n in range(26):
        VisitFactory(member=maya, at=first + dt.timedelta(days=n))
    VisitFactory(member=maya, at=dt.datetime(2026, 11, 23, 16, 45, tzinfo=dt.UTC))

    page_one = html(portal.get(reverse("portal:visits")))
    page_two = html(portal.get(reverse("portal:visits"), {"page": 2}))

    assert page_one.index("Mon 23 Nov 2026 <b>17:45</b>") < page_one.index("Fri 26 Jun 2026")
    assert "Page 1 of 2" in page_one
    assert "Mon 1 Jun 2026 <b>07:15</b>" in page_two
    assert page_two.count("data-visit") == 2


# --- bookings -------------------------------------------------------------------------------


def test_portal_pages_start_with_a_skip_link_to_the_content(portal):
    page = portal.get(reverse("portal:home")).content.decode()

    body = page[page.index("<body>") :]
    assert re.search(r"<a [^>]*>[^<]*</a>", body)[0] == (
        '<a class="skip-link" href="#main">Skip to content</a>'
    )
    assert 'id="main" tabindex="-1"' in page


def test_bookings_page_lists_upcoming_with_waitlist_place_and_past_ones(
    portal, downtown, maya, spin, hiit
):
    tomorrow = TODAY + dt.timedelta(days=1)
    BookingFactory(member=maya, session=ClassSessionFactory(club=downtown, class_type=hiit))
    full = ClassSessionFactory(
        club=downtown, class_type=spin, start=at_club(downtown, tomorrow, 7), capacity=0
    )
    # positions have a gap: the one at 1 left; Maya is next in
    BookingFactory(member=maya, session=full, status=Booking.Status.WAITLISTED, waitlist_position=2)
    past = ClassSessionFactory(
        club=downtown, class_type=spin, start=at_club(downtown, TODAY - dt.timedelta(days=3), 9)
    )
    BookingFactory(member=maya, session=past, status=Booking.Status.ATTENDED)

    page = html(portal.get(reverse("portal:bookings")))

    coming_up, earlier = page.split("Earlier and cancelled")
    assert "HIIT" in coming_up
    assert "Waitlist #1" in coming_up
    assert "Fri 20 Nov 09:00 · Spin" in earlier
    assert "Attended" in earlier


def test_schedule_lists_the_week_at_the_members_club_with_places_left(
    portal, downtown, riverside, maya, spin, bram
):
    session = ClassSessionFactory(club=downtown, class_type=spin, capacity=3)
    BookingFactory(member=bram, session=session)
    ClassSessionFactory(
        club=riverside, class_type=ClassTypeFactory(club=riverside, name="Riverside Yoga")
    )
    ClassSessionFactory(club=downtown, start=at_club(downtown, TODAY + dt.timedelta(days=9), 9))

    page = html(portal.get(reverse("portal:schedule")))

    assert "Tuesday 24 Nov" in page
    assert "2 spots left" in page
    assert f'action="/account/book/{session.pk}/"' in page
    assert "Riverside Yoga" not in page
    assert "Later ›" in page


def schedule_rows(client) -> dict[str, str]:
    """What each class offers on the schedule, by its day: "Book" or the refusal shown."""
    page = html(client.get(reverse("portal:schedule")))
    rows = re.findall(r'<h2>(\w+ \d+ \w+)</h2>|data-refusal>([^<]+)<|aria-label="(Book) ', page)
    shown, day = {}, None
    for heading, refusal, book in rows:
        day = heading or day
        if refusal or book:
            shown[day] = refusal or book
    return shown


def test_a_used_up_visit_pack_cannot_book_and_the_schedule_says_top_up(
    client, frozen_clock, downtown, spin
):
    sem = MemberFactory(home_club=downtown, status=Member.Status.MEMBER)
    pack = PlanFactory(club=downtown, pack=True, allows_classes=True)
    MembershipFactory(member=sem, plan=pack, visits_left=0, start=TODAY)
    session = ClassSessionFactory(
        club=downtown, class_type=spin, start=at_club(downtown, dt.date(2026, 11, 25), 9)
    )
    sign_in(client, sem)

    shown = schedule_rows(client)

    assert shown == {"Wednesday 25 Nov": "No visits left: top up to book"}
    with pytest.raises(bookings.BookingError) as refused:
        bookings.book(sem, session)
    assert refused.value.code == "no_visits_left"
    assert not sem.bookings.exists()


def test_a_pack_with_one_visit_left_still_books(client, frozen_clock, downtown, spin):
    sem = MemberFactory(home_club=downtown, status=Member.Status.MEMBER)
    pack = PlanFactory(club=downtown, pack=True, allows_classes=True)
    MembershipFactory(member=sem, plan=pack, visits_left=1, start=TODAY)
    session = ClassSessionFactory(club=downtown, class_type=spin)

    assert bookings.book(sem, session).status == Booking.Status.BOOKED


def test_the_schedule_says_renew_instead_of_book_once_the_membership_has_ended(
    client, frozen_clock, downtown, spin, monthly_plan
):
    # given Noor's membership ends on Wednesday 25 Nov
    noor = MemberFactory(home_club=downtown, status=Member.Status.MEMBER)
    MembershipFactory(member=noor, plan=monthly_plan, start=TODAY - dt.timedelta(days=27))
    sessions = [
        ClassSessionFactory(
            club=downtown, class_type=spin, start=at_club(downtown, dt.date(2026, 11, day), 9)
        )
        for day in (24, 25, 26)
    ]
    sign_in(client, noor)

    shown = schedule_rows(client)

    assert shown == {
        "Tuesday 24 Nov": "Book",
        "Wednesday 25 Nov": "Book",
        "Thursday 26 Nov": "Renew your membership to book",
    }
    # and the booking service says no for the same class
    with pytest.raises(bookings.BookingError):
        bookings.book(noor, sessions[2])


def test_the_schedule_says_why_a_frozen_member_or_a_lead_cannot_book(
    client, frozen_clock, downtown, spin, maya_membership, maya
):
    FreezeFactory(
        membership=maya_membership, start=dt.date(2026, 11, 25), end=dt.date(2026, 11, 25)
    )
    for day in (24, 25):
        ClassSessionFactory(
            club=downtown, class_type=spin, start=at_club(downtown, dt.date(2026, 11, day), 9)
        )
    lead = MemberFactory(home_club=downtown)

    assert schedule_rows(sign_in(client, maya)) == {
        "Tuesday 24 Nov": "Book",
        "Wednesday 25 Nov": "Your membership is frozen until 25 Nov",
    }
    assert schedule_rows(sign_in(client, lead)) == {
        "Tuesday 24 Nov": "Booking needs a membership",
        "Wednesday 25 Nov": "Booking needs a membership",
    }


def test_booking_a_frozen_day_says_until_when_the_membership_is_frozen(
    portal, downtown, spin, maya_membership, maya
):
    FreezeFactory(membership=maya_membership, start=TODAY, end=dt.date(2026, 12, 7))
    session = ClassSessionFactory(club=downtown, class_type=spin)

    response = portal.post(reverse("portal:book", args=[session.pk]), follow=True)

    assert "Your membership is frozen until 7 Dec." in html(response)
    assert "membership that includes classes" not in html(response)
    assert not maya.bookings.exists()


def class_offers(client, **params) -> dict[int, str]:
    """What the schedule offers for each class, by session id: its button's word, the words
    shown instead, or "booked"."""
    page = html(client.get(reverse("portal:schedule"), params))
    offers = {}
    for pk, row in re.findall(r'data-session="(\d+)">(.*?)</li>', page, re.S):
        if refusal := re.search(r"data-refusal>([^<]+)<", row):
            offers[int(pk)] = refusal[1]
        elif button := re.search(r"<button[^>]*>([^<]+)</button>", row):
            offers[int(pk)] = button[1]
        else:
            offers[int(pk)] = "booked"
    return offers


def test_a_class_whose_booking_has_closed_offers_no_button(portal, downtown, spin, bram):
    # given it is 18:00: booking closes 15 minutes before a class
    full_at_1810 = ClassSessionFactory(
        club=downtown, class_type=spin, start=at_club(downtown, TODAY, 18, 10), capacity=1
    )
    BookingFactory(member=bram, session=full_at_1810)
    open_at_1815 = ClassSessionFactory(
        club=downtown, class_type=spin, start=at_club(downtown, TODAY, 18, 15)
    )
    full_at_1830 = ClassSessionFactory(
        club=downtown, class_type=spin, start=at_club(downtown, TODAY, 18, 30), capacity=1
    )
    bookings.book(bram, full_at_1830)

    offers = class_offers(portal)

    # then the closed class, full or not, says so instead of offering the waitlist
    assert offers == {
        full_at_1810.pk: "Booking closed",
        open_at_1815.pk: "Book",
        full_at_1830.pk: "Waitlist",
    }


@pytest.mark.parametrize("params", [{}, {"type": "chosen"}])
def test_the_schedule_reads_no_more_for_more_classes(portal, downtown, spin, hiit, params):
    def queries() -> int:
        query = {"type": spin.pk} if params else {}
        with CaptureQueriesContext(connection) as captured:
            html(portal.get(reverse("portal:schedule"), query))
        return len(captured)

    ClassSessionFactory(club=downtown, class_type=spin, trainer=UserFactory(clubs=[downtown]))
    queries()  # fills the per-process caches (content types, sites) a first request reads
    one = queries()
    for day in (2, 3, 4):
        for class_type in (spin, hiit):
            ClassSessionFactory(
                club=downtown,
                class_type=class_type,
                trainer=UserFactory(clubs=[downtown]),
                start=at_club(downtown, TODAY + dt.timedelta(days=day), 9),
            )

    assert queries() == one


def test_the_schedule_names_the_trainer_and_says_spots_as_the_public_timetable(
    portal, downtown, spin, bram
):
    tom = UserFactory(clubs=[downtown], first_name="Tom", last_name="Bakker")
    ClassSessionFactory(club=downtown, class_type=spin, trainer=tom, room="Studio 2", capacity=2)
    full = ClassSessionFactory(
        club=downtown, class_type=spin, start=at_club(downtown, TODAY + dt.timedelta(days=2), 9)
    )
    full.capacity = 1
    full.save()
    BookingFactory(member=bram, session=full)

    page = html(portal.get(reverse("portal:schedule")))

    assert 'with Tom · <span class="room">Studio 2</span>' in page
    assert "Bakker" not in page
    assert "2 spots left" in page
    assert ">Full<" in page
    assert "places left" not in page


def class_ids(page: str) -> set[int]:
    return {int(pk) for pk in re.findall(r'data-session="(\d+)"', page)}


def test_the_schedule_filters_by_the_class_types_of_the_days_shown(portal, downtown, spin, hiit):
    ClassTypeFactory(club=downtown, name="Pilates")  # no class these days: not offered
    spin_class = ClassSessionFactory(club=downtown, class_type=spin)
    hiit_class = ClassSessionFactory(
        club=downtown, class_type=hiit, start=at_club(downtown, TODAY + dt.timedelta(days=2), 9)
    )

    everything = html(portal.get(reverse("portal:schedule")))
    only_hiit = html(portal.get(reverse("portal:schedule"), {"type": hiit.pk}))

    assert class_ids(everything) == {spin_class.pk, hiit_class.pk}
    options = re.findall(r'<option value="(\d*)"[^>]*>([^<]+)<', everything)
    assert options == [("", "All classes"), (str(hiit.pk), "HIIT"), (str(spin.pk), "Spin")]
    assert class_ids(only_hiit) == {hiit_class.pk}
    assert f'<option value="{hiit.pk}" selected>' in only_hiit


def test_the_schedule_pager_keeps_the_class_type(portal, downtown, spin):
    ClassSessionFactory(club=downtown, class_type=spin)
    later = (TODAY + dt.timedelta(days=7)).isoformat()

    page = html(portal.get(reverse("portal:schedule"), {"type": spin.pk}))
    next_page = html(portal.get(reverse("portal:schedule"), {"type": spin.pk, "from": later}))

    assert f'href="?from={later}&amp;type={spin.pk}">Later' in page
    # no Spin in the week after: still chosen, said so, and kept going back
    assert f'<option value="{spin.pk}" selected>' in next_page
    assert "No Spin classes to book in these days." in next_page
    assert f'href="?from={TODAY.isoformat()}&amp;type={spin.pk}">‹ Earlier' in next_page


@pytest.mark.parametrize(
    "wanted", ["x<script>", "999999", "99999999999999999999", "²", "", "other club"]
)
def test_an_unknown_class_type_shows_every_class(portal, downtown, riverside, spin, hiit, wanted):
    ClassSessionFactory(club=downtown, class_type=spin)
    ClassSessionFactory(club=downtown, class_type=hiit)
    if wanted == "other club":
        wanted = str(ClassTypeFactory(club=riverside, name="Riverside Yoga").pk)

    response = portal.get(reverse("portal:schedule"), {"type": wanted})

    page = html(response)
    assert "Spin" in page and "HIIT" in page
    assert "x<script>" not in page
    assert "Riverside Yoga" not in page
    assert 'href="?from=' in page and "type=" not in page.split('aria-label="Weeks"')[1]


def test_booking_a_closed_class_anyway_is_refused_by_the_service(portal, downtown, spin, maya):
    closed = ClassSessionFactory(
        club=downtown, class_type=spin, start=at_club(downtown, TODAY, 18, 10)
    )

    response = portal.post(reverse("portal:book", args=[closed.pk]), follow=True)

    assert "Booking closed 15 minutes before the class." in html(response)
    assert not maya.bookings.exists()


def test_a_class_whose_booking_has_not_opened_says_when_it_opens(portal, downtown, spin):
    # given booking opens 14 days ahead: the last week shown holds classes not yet open
    last_day = TODAY + dt.timedelta(days=14)
    opened = ClassSessionFactory(
        club=downtown, class_type=spin, start=at_club(downtown, last_day, 17)
    )
    not_yet = ClassSessionFactory(
        club=downtown, class_type=spin, start=at_club(downtown, last_day, 19)
    )

    offers = class_offers(portal, **{"from": last_day.isoformat()})

    assert offers == {opened.pk: "Book", not_yet.pk: "Booking opens Mon 23 Nov at 19:00"}


def test_the_schedule_says_until_when_booking_is_paused_after_a_no_show(
    client, frozen_clock, downtown, spin, maya_membership, maya, bram
):
    # given penalties are on and Maya missed a class earlier today
    downtown.booking_penalties_enabled = True
    downtown.save()
    missed = BookingFactory(
        member=maya,
        session=ClassSessionFactory(
            club=downtown, class_type=spin, start=at_club(downtown, TODAY, 9)
        ),
    )
    bookings.mark_no_show(missed)
    tomorrow = ClassSessionFactory(
        club=downtown, class_type=spin, start=at_club(downtown, TODAY + dt.timedelta(days=1), 9)
    )
    ClassSessionFactory(
        club=downtown, class_type=spin, start=at_club(downtown, TODAY + dt.timedelta(days=6), 9)
    )

    paused = "Booking paused until Mon 30 Nov at 18:00 after a no-show on 23 Nov"
    # then every class says so …
    assert schedule_rows(sign_in(client, maya)) == {
        "Tuesday 24 Nov": paused,
        "Sunday 29 Nov": paused,
    }
    with pytest.raises(bookings.BookingError) as refused:
        bookings.book(maya, tomorrow)
    assert refused.value.code == "penalty"
    # … and a member without a penalty may book them
    assert schedule_rows(sign_in(client, bram)) == {
        "Tuesday 24 Nov": "Book",
        "Sunday 29 Nov": "Book",
    }


def test_booking_from_the_schedule(portal, downtown, maya, spin):
    session = ClassSessionFactory(club=downtown, class_type=spin)

    response = portal.post(reverse("portal:book", args=[session.pk]), follow=True)

    booking = maya.bookings.get()
    assert (booking.session, booking.status) == (session, Booking.Status.BOOKED)
    assert "Booked: Spin on Tue 24 Nov, 18:00." in html(response)
    assert maya.events.filter(kind=MemberEvent.Kind.CLASS_BOOKED).count() == 1


def test_booking_a_full_class_puts_the_member_on_the_waitlist(portal, downtown, maya, spin, bram):
    session = ClassSessionFactory(club=downtown, class_type=spin, capacity=1)
    bookings.book(bram, session)

    response = portal.post(reverse("portal:book", args=[session.pk]), follow=True)

    assert maya.bookings.get().status == Booking.Status.WAITLISTED
    assert "Spin on Tue 24 Nov, 18:00 is full: you are number 1 on the waitlist." in html(response)


@pytest.mark.parametrize(
    ("days_ahead", "message"),
    [
        (20, "Booking for this class opens on"),
        (None, "You are already booked for this class."),
    ],
)
def test_booking_rules_are_explained(portal, downtown, maya, spin, days_ahead, message):
    start = at_club(downtown, TODAY + dt.timedelta(days=days_ahead or 1), 18)
    session = ClassSessionFactory(club=downtown, class_type=spin, start=start)
    if days_ahead is None:
        bookings.book(maya, session)

    response = portal.post(reverse("portal:book", args=[session.pk]), follow=True)

    assert message in html(response)
    assert maya.bookings.count() == (1 if days_ahead is None else 0)


def test_booking_without_a_class_membership_is_explained(client, frozen_clock, downtown, spin):
    lead = MemberFactory(home_club=downtown)
    session = ClassSessionFactory(club=downtown, class_type=spin)

    response = sign_in(client, lead).post(reverse("portal:book", args=[session.pk]), follow=True)

    assert "You need a membership that includes classes on Tue 24 Nov" in html(response)
    assert not lead.bookings.exists()


def test_cancelling_frees_the_seat_for_the_first_on_the_waitlist(
    portal, downtown, maya, spin, bram
):
    # given a one-seat class: Maya has the seat, Bram and then Lotte wait
    session = ClassSessionFactory(club=downtown, class_type=spin, capacity=1)
    mine = bookings.book(maya, session)
    brams = bookings.book(bram, session)
    lotte = MemberFactory(home_club=downtown)
    MembershipFactory(member=lotte, plan=PlanFactory(club=downtown))
    lottes = bookings.book(lotte, session)
    assert (brams.status, lottes.status) == ("waitlisted", "waitlisted")

    # when Maya cancels from the portal
    response = portal.post(reverse("portal:booking_cancel", args=[mine.pk]), follow=True)

    # then her booking is cancelled and Bram, first in line, has the seat
    assert "Cancelled Spin on Tue 24 Nov, 18:00." in html(response)
    mine.refresh_from_db()
    brams.refresh_from_db()
    lottes.refresh_from_db()
    assert mine.status == Booking.Status.CANCELLED
    assert brams.status == Booking.Status.BOOKED
    assert brams.promoted_at == clock.now()
    assert lottes.status == Booking.Status.WAITLISTED


def test_a_late_cancellation_is_said_so(portal, downtown, maya, spin, frozen_clock):
    session = ClassSessionFactory(
        club=downtown, class_type=spin, start=clock.now() + dt.timedelta(hours=1)
    )
    booking = bookings.book(maya, session)
    frozen_clock.shift(bookings.LATE_CANCEL_GRACE + dt.timedelta(minutes=1))

    response = portal.post(reverse("portal:booking_cancel", args=[booking.pk]), follow=True)

    assert "This was a late cancellation." in html(response)


def test_booking_inside_the_late_window_says_so_and_cancelling_at_once_is_not_late(
    portal, downtown, maya, spin, frozen_clock
):
    soon = ClassSessionFactory(
        club=downtown, class_type=spin, start=clock.now() + dt.timedelta(hours=1)
    )

    booked = html(portal.post(reverse("portal:book", args=[soon.pk]), follow=True))
    frozen_clock.shift(dt.timedelta(minutes=1))
    booking = maya.bookings.get(session=soon)
    cancelled = html(portal.post(reverse("portal:booking_cancel", args=[booking.pk]), follow=True))

    assert (
        "Booked: Spin on Mon 23 Nov, 19:00. The class starts in less than 2 hours: cancelling "
        "after 18:15 (15 minutes from booking) counts as a late cancellation."
    ) in html_lib.unescape(booked)
    assert "Cancelled Spin on Mon 23 Nov, 19:00." in cancelled
    assert "late cancellation" not in cancelled
    booking.refresh_from_db()
    assert booking.is_late_cancel is False


def test_booking_outside_the_late_window_says_nothing_of_late_cancels(
    portal, downtown, maya, spin, frozen_clock
):
    later = ClassSessionFactory(
        club=downtown, class_type=spin, start=clock.now() + dt.timedelta(hours=3)
    )

    booked = html(portal.post(reverse("portal:book", args=[later.pk]), follow=True))

    assert "Booked: Spin on Mon 23 Nov, 21:00." in booked
    assert "late cancellation" not in booked


def test_a_late_cancellation_is_said_before_the_member_confirms(
    portal, downtown, maya, spin, frozen_clock
):
    downtown.booking_penalties_enabled, downtown.booking_penalty_days = True, 3
    downtown.save()
    soon = ClassSessionFactory(
        club=downtown, class_type=spin, start=clock.now() + dt.timedelta(hours=1)
    )
    later = ClassSessionFactory(
        club=downtown, class_type=spin, start=clock.now() + dt.timedelta(hours=3)
    )
    late, in_time = bookings.book(maya, soon), bookings.book(maya, later)
    frozen_clock.shift(bookings.LATE_CANCEL_GRACE + dt.timedelta(minutes=1))
    notice = "Less than 2 hours before the class: a late cancellation."

    detail = html_lib.unescape(html(portal.get(reverse("portal:booking", args=[late.pk]))))
    other = html(portal.get(reverse("portal:booking", args=[in_time.pk])))
    listing = portal.get(reverse("portal:bookings")).content.decode()

    assert f"{notice} You can't book classes for 3 days after it." in detail
    assert "late cancellation" not in other
    rows = re.findall(r'<li class="class-row">.*?</li>', listing, re.S)
    confirms = [re.search(r'onsubmit="([^"]*)"', row)[1] for row in rows]
    assert "late cancellation" in confirms[0] and "late cancellation" not in confirms[1]


def test_leaving_the_waitlist_from_the_booking_page(portal, downtown, maya, spin, bram):
    session = ClassSessionFactory(club=downtown, class_type=spin, capacity=1)
    bookings.book(bram, session)
    waiting = bookings.book(maya, session)

    page = html(portal.get(reverse("portal:booking", args=[waiting.pk])))
    assert "Waitlist #1" in page
    assert "Leave the waitlist" in page
    response = portal.post(reverse("portal:booking_cancel", args=[waiting.pk]), follow=True)

    waiting.refresh_from_db()
    assert waiting.status == Booking.Status.CANCELLED
    assert "You left the waitlist for Spin on Tue 24 Nov, 18:00." in html(response)
    assert "Cancelled Spin" not in html(response)


def test_a_waitlist_row_asks_to_leave_the_waitlist_and_a_booked_row_to_cancel(
    portal, downtown, maya, spin, hiit, bram
):
    full = ClassSessionFactory(club=downtown, class_type=spin, capacity=1)
    bookings.book(bram, full)
    bookings.book(maya, full)
    bookings.book(
        maya,
        ClassSessionFactory(
            club=downtown, class_type=hiit, start=at_club(downtown, TODAY + dt.timedelta(days=2), 9)
        ),
    )

    listing = portal.get(reverse("portal:bookings")).content.decode()

    rows = re.findall(r'<li class="class-row">.*?</li>', listing, re.S)
    confirms = [html_lib.unescape(re.search(r'onsubmit="([^"]*)"', row)[1]) for row in rows]
    labels = [re.search(r'class="cancel" aria-label="([^"]*)"', row)[1] for row in rows]
    assert confirms == [
        "return confirm('Leave the waitlist for Spin on Tue 24 Nov at 18:00?')",
        "return confirm('Cancel HIIT on Wed 25 Nov at 09:00?')",
    ]
    assert labels == [
        "Leave the waitlist for Spin on Tue 24 Nov at 18:00",
        "Cancel HIIT on Wed 25 Nov at 09:00",
    ]


def test_cancel_returns_to_the_page_it_came_from_but_never_off_site(portal, downtown, maya, spin):
    first = bookings.book(maya, ClassSessionFactory(club=downtown, class_type=spin))
    second = bookings.book(
        maya,
        ClassSessionFactory(
            club=downtown, class_type=spin, start=at_club(downtown, TODAY + dt.timedelta(days=2), 9)
        ),
    )

    home = portal.post(reverse("portal:booking_cancel", args=[first.pk]), {"next": "/account/"})
    away = portal.post(
        reverse("portal:booking_cancel", args=[second.pk]), {"next": "https://evil.example.com/"}
    )

    assert home["Location"] == "/account/"
    assert away["Location"] == reverse("portal:bookings")


def test_cancelling_needs_a_post_and_a_get_shows_the_booking(portal, downtown, maya, spin):
    booking = bookings.book(maya, ClassSessionFactory(club=downtown, class_type=spin))

    response = portal.get(reverse("portal:booking_cancel", args=[booking.pk]))

    assert response.status_code == 302
    assert response["Location"] == reverse("portal:booking", args=[booking.pk])
    booking.refresh_from_db()
    assert booking.status == Booking.Status.BOOKED


# --- message preferences ---------------------------------------------------------------------


SMS_WORDING = "Text me (SMS) about my membership, classes and offers from Downtown."
EMAIL_WORDING = "Email me about my membership, classes and offers from Downtown."


def test_message_preferences_show_the_wording_and_the_current_choice(portal):
    page = html(portal.get(reverse("portal:messages")))

    assert SMS_WORDING in page
    assert EMAIL_WORDING in page
    assert page.count("checked") == 2


def test_switching_sms_off_is_logged_with_the_wording_shown(portal, maya):
    before = ConsentLog.objects.count()

    response = portal.post(reverse("portal:messages"), {"email": "on"}, follow=True)

    assert "Saved: SMS off." in html(response)
    maya.refresh_from_db()
    assert (maya.sms_consent, maya.email_consent) == (False, True)
    assert ConsentLog.objects.count() == before + 1
    entry = maya.consent_log.first()
    assert (entry.channel, entry.granted, entry.source, entry.wording) == (
        Channel.SMS,
        False,
        "portal",
        SMS_WORDING,
    )
    assert entry.at == clock.now()
    event = maya.events.get(kind=MemberEvent.Kind.CONSENT_CHANGED)
    assert event.data == {"channel": "sms", "granted": False, "source": "portal"}


def test_switching_email_back_on_is_logged(client, frozen_clock, downtown):
    member = MemberFactory(home_club=downtown, email_consent=False, sms_consent=False)

    sign_in(client, member).post(reverse("portal:messages"), {"email": "on"})

    entry = member.consent_log.get()
    assert (entry.channel, entry.granted, entry.wording) == (Channel.EMAIL, True, EMAIL_WORDING)


def test_a_landline_on_record_gets_no_sms_switch_and_a_forced_one_is_refused(
    client, frozen_clock, downtown
):
    member = MemberFactory(
        home_club=downtown, phone="+31201234567", sms_consent=False, email_consent=True
    )
    portal = sign_in(client, member)

    page = html(portal.get(reverse("portal:messages")))
    response = portal.post(reverse("portal:messages"), {"sms": "on", "email": "on"})

    assert SMS_WORDING not in page
    assert "We have no mobile number for you" not in page
    assert "The number we have for you, 020 123 4567, is a landline" in page
    assert response.status_code == 200
    assert "this is a landline, which texts do not reach" in html(response)
    member.refresh_from_db()
    assert member.sms_consent is False
    assert not member.consent_log.exists()


def test_turning_texts_off_for_a_landline_says_the_number_takes_no_texts_and_where_to_change_it(
    client, frozen_clock, downtown
):
    # given texts switched on before landlines were refused
    member = MemberFactory(
        home_club=downtown, phone="+31201234568", sms_consent=True, email_consent=True
    )
    portal = sign_in(client, member)

    response = portal.post(reverse("portal:messages"), {"email": "on"}, follow=True)

    page = html(response)
    member.refresh_from_db()
    assert member.sms_consent is False
    assert SMS_WORDING not in page  # no switch to turn back on
    assert "We have no mobile number for you" not in page
    assert (
        "The number we have for you, 020 123 4568, is a landline, which can't receive texts. "
        "If you'd like texts, give the front desk of Downtown your mobile number on your next "
        'visit, or call us on <a href="tel:+31201234567">020 123 4567</a>.'
    ) in page


def test_no_number_on_record_says_there_is_none(client, frozen_clock, downtown):
    member = MemberFactory(home_club=downtown, phone="", sms_consent=False, email_consent=True)

    page = html(sign_in(client, member).get(reverse("portal:messages")))

    assert "We have no mobile number for you" in page
    assert "The number we have for you" not in page


def test_saving_without_changes_logs_nothing(portal, maya):
    before = ConsentLog.objects.count()

    response = portal.post(reverse("portal:messages"), {"sms": "on", "email": "on"}, follow=True)

    assert "Nothing changed." in html(response)
    assert ConsentLog.objects.count() == before


# --- calendar page -------------------------------------------------------------------------


def test_the_calendar_page_makes_a_secret_link_once(portal, maya):
    assert maya.calendar_token is None

    first = html(portal.get(reverse("portal:calendar")))
    maya.refresh_from_db()
    token = maya.calendar_token
    second = html(portal.get(reverse("portal:calendar")))

    assert len(token) >= 40
    assert f"http://testserver/account/calendar/{token}.ics" in first
    assert f"webcal://testserver/account/calendar/{token}.ics" in first
    maya.refresh_from_db()
    assert maya.calendar_token == token
    assert token in second


def test_the_calendar_page_counts_coming_classes_as_my_bookings_does(
    portal, downtown, maya, spin, bram
):
    # given Maya attended a class yesterday, which the feed keeps for 30 days
    yesterday = ClassSessionFactory(
        club=downtown, class_type=spin, start=at_club(downtown, TODAY - dt.timedelta(days=1), 9)
    )
    BookingFactory(member=maya, session=yesterday, status=Booking.Status.ATTENDED)

    # then neither page counts it as booked
    assert "No classes booked." in html(portal.get(reverse("portal:bookings")))
    calendar = html(portal.get(reverse("portal:calendar")))
    assert "No coming classes in it now." in calendar
    assert "1 class" not in calendar

    # given she books tomorrow's class and waits for a full one
    bookings.book(maya, ClassSessionFactory(club=downtown, class_type=spin))
    full = ClassSessionFactory(club=downtown, class_type=spin, capacity=1)
    bookings.book(bram, full)
    bookings.book(maya, full)

    # then the feed holds the booked one; the waitlist place joins it with a seat
    calendar = html(portal.get(reverse("portal:calendar")))
    assert "1 coming class in it now." in calendar
    assert "a waitlist place joins it when you get the seat" in calendar


def test_resetting_the_calendar_link_turns_the_old_one_off(portal, maya, client):
    portal.get(reverse("portal:calendar"))
    maya.refresh_from_db()
    old = maya.calendar_token

    response = portal.post(reverse("portal:calendar_reset"), follow=True)

    maya.refresh_from_db()
    assert maya.calendar_token != old
    assert "Your calendar link is new." in html(response)
    assert client.get(reverse("portal:calendar_feed", args=[old])).status_code == 404
    assert (
        client.get(reverse("portal:calendar_feed", args=[maya.calendar_token])).status_code == 200
    )


# --- one member's data only -----------------------------------------------------------------


@pytest.fixture
def brams_things(downtown, riverside, bram, spin):
    """A booking, a waitlist entry, a visit and a calendar feed of Bram's, and a class at
    another club."""
    session = ClassSessionFactory(club=downtown, class_type=spin, capacity=1)
    booked = bookings.book(bram, session)
    other = MemberFactory(home_club=downtown)
    MembershipFactory(member=other, plan=PlanFactory(club=downtown))
    waitlisted = bookings.book(
        bram, ClassSessionFactory(club=downtown, class_type=spin, capacity=0)
    )
    VisitFactory(
        member=bram, club=riverside, at=at_club(downtown, TODAY - dt.timedelta(days=1), 6, 6)
    )
    Member.objects.filter(pk=bram.pk).update(calendar_token="brams-secret-calendar-token")
    riverside_class = ClassSessionFactory(club=riverside)
    return {"booked": booked, "waitlisted": waitlisted, "riverside_class": riverside_class}


@pytest.mark.parametrize("which", ["booked", "waitlisted"])
def test_another_members_booking_is_not_found_and_cannot_be_cancelled(portal, brams_things, which):
    booking = brams_things[which]

    detail = portal.get(reverse("portal:booking", args=[booking.pk]))
    cancel = portal.post(reverse("portal:booking_cancel", args=[booking.pk]))

    assert (detail.status_code, cancel.status_code) == (404, 404)
    booking.refresh_from_db()
    assert booking.status != Booking.Status.CANCELLED


def test_a_class_at_another_club_cannot_be_booked_here(portal, maya, brams_things):
    response = portal.post(reverse("portal:book", args=[brams_things["riverside_class"].pk]))

    assert response.status_code == 404
    assert not maya.bookings.exists()


@pytest.mark.parametrize(
    "url",
    [
        "portal:home",
        "portal:membership",
        "portal:visits",
        "portal:bookings",
        "portal:schedule",
        "portal:messages",
        "portal:calendar",
    ],
)
def test_no_page_shows_another_members_data(portal, bram, brams_things, url):
    page = html(portal.get(reverse(url)))

    assert "Bram" not in page
    assert "Riverside" not in page  # Bram's visit was there
    assert "Bram's Yearly" not in page
    assert "06:06" not in page
    assert "brams-secret-calendar-token" not in page
    assert f"/bookings/{brams_things['booked'].pk}/" not in page


def test_a_member_only_ever_gets_their_own_feed(portal, maya, bram, brams_things, client):
    page = html(portal.get(reverse("portal:calendar")))

    maya.refresh_from_db()
    assert maya.calendar_token in page
    assert client.get(reverse("portal:calendar_feed", args=["guessed-token"])).status_code == 404
    feed = client.get(reverse("portal:calendar_feed", args=[maya.calendar_token]))
    assert f"booking-{brams_things['booked'].pk}@" not in feed.content.decode()


def test_pages_need_a_member_behind_the_login(client, frozen_clock, fiona, maya):
    client.force_login(fiona)

    for name in ("portal:home", "portal:membership", "portal:visits", "portal:calendar"):
        response = client.get(reverse(name))
        assert response.status_code == 403, name
        assert "The portal is for members" in response.content.decode()
    # a login that is neither staff nor a member's finds nothing
    client.force_login(UserFactory(is_staff=False))
    assert client.get(reverse("portal:home")).status_code == 404


# --- how to renew ----------------------------------------------------------------------


def test_the_membership_page_says_how_to_renew_in_the_second_half(
    client, frozen_clock, downtown, monthly_plan
):
    member = MemberFactory(home_club=downtown, status=Member.Status.MEMBER)
    MembershipFactory(member=member, plan=monthly_plan, start=dt.date(2026, 11, 1))  # ends 30th

    page = html(sign_in(client, member).get(reverse("portal:membership")))
    words = " ".join(re.sub(r"<[^>]+>", "", page).split())

    assert "Renew your Monthly" in words
    assert (
        "Pay at the front desk of Downtown on your next visit, or call us on 020 123 4567" in words
    )
    assert "whose last day is 30 Nov 2026: renewing early loses no days" in words
    assert 'href="tel:+31201234567"' in page


def test_a_long_expiring_window_offers_no_renewal_more_than_90_days_ahead(
    client, frozen_clock, downtown
):
    # given a club whose "expiring" window is a year, and an annual in its last 100 days
    downtown.expiring_within_days = 365
    downtown.save(update_fields=["expiring_within_days"])
    annual = PlanFactory(club=downtown, name="Annual", duration_days=365)
    member = MemberFactory(home_club=downtown, status=Member.Status.MEMBER)
    ends = dt.date(2026, 11, 23) + dt.timedelta(days=100)
    MembershipFactory(member=member, plan=annual, start=ends - dt.timedelta(days=364), end=ends)

    far = html(sign_in(client, member).get(reverse("portal:membership")))
    with time_machine.travel(dt.datetime(2026, 12, 4, 12, tzinfo=dt.UTC)):
        # 89 days before the end: the renewal would start 90 days ahead
        near = html(sign_in(client, member).get(reverse("portal:membership")))

    assert "Renew your Annual" not in far
    assert "Renew your Annual" in near


def test_a_former_member_is_told_how_to_renew_and_when_it_starts(client, frozen_clock, tom_berg):
    page = html(sign_in(client, tom_berg).get(reverse("portal:membership")))

    assert "Renew your Monthly" in page and "starts the day you pay" in page
    assert "to start one" not in page


def test_no_renewal_is_offered_early_in_a_membership_or_once_renewed_or_to_a_lead(
    client, frozen_clock, downtown, maya, maya_membership, monthly_plan
):
    early = html(sign_in(client, maya).get(reverse("portal:membership")))
    MembershipFactory(
        member=maya, plan=monthly_plan, start=maya_membership.end + dt.timedelta(days=1)
    )
    Membership.objects.filter(pk=maya_membership.pk).update(start=dt.date(2026, 11, 1))
    renewed = html(client.get(reverse("portal:membership")))
    lead = MemberFactory(home_club=downtown, status=Member.Status.LEAD)
    nothing = html(sign_in(client, lead).get(reverse("portal:membership")))

    assert "Renew your" not in early + renewed + nothing
    assert "Or ask at the front desk of Downtown to start one." in nothing
    assert 'href="/plans/" data-lead-plans>See plans and prices</a>' in nothing


def test_a_long_membership_is_offered_renewal_only_once_it_ends_soon(
    client, frozen_clock, downtown
):
    annual = PlanFactory(club=downtown, name="Annual", duration_days=365)
    member = MemberFactory(home_club=downtown, status=Member.Status.MEMBER)
    # in its second half, but 100 days left: past the club's 30-day expiring window
    MembershipFactory(member=member, plan=annual, start=TODAY - dt.timedelta(days=264))

    page = html(sign_in(client, member).get(reverse("portal:membership")))

    assert "Renew your Annual" not in page


def test_booking_from_the_schedule_comes_back_to_the_class(portal, downtown, maya, spin):
    session = ClassSessionFactory(club=downtown, class_type=spin)
    schedule = portal.get(reverse("portal:schedule")).content.decode()
    next_url = re.search(
        rf'action="/account/book/{session.pk}/">.*?name="next" value="([^"]+)"', schedule, re.S
    )[1]

    response = portal.post(reverse("portal:book", args=[session.pk]), {"next": next_url})

    assert response["Location"] == f"/account/book/#class-{session.pk}"


def row_of(page: str, session) -> str:
    return re.search(rf'<li class="class-row[^"]*" id="class-{session.pk}".*?</li>', page, re.S)[0]


def test_joining_the_waitlist_says_so_at_the_class_the_page_opens_at(
    portal, downtown, maya, spin, bram
):
    full = ClassSessionFactory(club=downtown, class_type=spin, capacity=1)
    other = ClassSessionFactory(
        club=downtown, class_type=spin, start=at_club(downtown, TODAY + dt.timedelta(days=2), 9)
    )
    bookings.book(bram, full)
    next_url = f"/account/book/#class-{full.pk}"

    response = portal.post(reverse("portal:book", args=[full.pk]), {"next": next_url}, follow=True)

    page = html(response)
    said = "Spin on Tue 24 Nov, 18:00 is full: you are number 1 on the waitlist."
    assert said in row_of(page, full)
    assert 'class="row-note flash-info" role="status"' in row_of(page, full)
    assert said not in row_of(page, other)
    assert '<ul class="flash">' not in page  # said once, at the class
    assert page.count(said) == 1


def test_a_refused_booking_is_said_at_the_class_too(portal, downtown, maya, spin):
    session = ClassSessionFactory(club=downtown, class_type=spin)
    bookings.book(maya, session)

    page = html(portal.post(reverse("portal:book", args=[session.pk]), follow=True))

    assert "You are already booked for this class." in row_of(page, session)


def test_a_message_for_a_class_not_on_the_page_stays_at_the_top(portal, downtown, maya, spin):
    session = ClassSessionFactory(club=downtown, class_type=spin)
    portal.post(reverse("portal:book", args=[session.pk]))

    # the next page shown is another week's, without that class
    later = (TODAY + dt.timedelta(days=10)).isoformat()
    page = html(portal.get(reverse("portal:schedule"), {"from": later}))

    assert '<li class="flash-success" role="status">Booked: Spin on Tue 24 Nov, 18:00.</li>' in page


def test_signing_in_through_a_class_link_says_welcome_at_the_class(
    client, frozen_clock, maya, spin, mailoutbox
):
    session = ClassSessionFactory(club=maya.home_club, class_type=spin)
    link_to_class = f"/account/book/?from=2026-11-24&class={session.pk}"
    client.post(
        f"{reverse('portal:login')}?{urlencode({'next': link_to_class})}", {"email": maya.email}
    )
    [link] = re.findall(r"/account/login/link/\?sesame=[\w-]+", mailoutbox[0].body)

    landed = client.get(link, follow=True)

    page = html(landed)
    assert landed.redirect_chain[-1][0] == f"/account/book/?from=2026-11-24#class-{session.pk}"
    assert "Welcome, Maya." in row_of(page, session)
    assert '<ul class="flash">' not in page


def test_a_link_to_another_clubs_class_says_why_it_is_not_here(
    client, frozen_clock, downtown, riverside, spin
):
    # given Lisa of Riverside follows "Join the waitlist" on Downtown's public timetable
    lisa = MemberFactory(home_club=riverside, first_name="Lisa")
    theirs = ClassSessionFactory(club=downtown, class_type=spin)
    sign_in(client, lisa)

    landed = client.get(reverse("portal:schedule"), {"class": theirs.pk}, follow=True)

    # then her own club's schedule says why that class is not on it
    page = " ".join(html(landed).split())
    assert landed.redirect_chain[-1][0] == reverse("portal:schedule")
    assert "That class is at Downtown. Your membership is at Riverside" in page


def test_a_class_that_is_not_a_number_in_the_link_shows_the_schedule(portal, downtown, spin):
    ClassSessionFactory(club=downtown, class_type=spin)

    response = portal.get(reverse("portal:schedule"), {"class": "x<script>"})

    assert response.status_code == 200
    assert "Book a class" in html(response)


def test_a_member_of_a_club_without_a_site_sees_their_own_club_in_header_and_footer(
    client, frozen_clock, downtown, riverside
):
    # the one site shows Downtown; Lisa belongs to Riverside, which has no site of its own
    riverside.address = "Maasboulevard 1, Rotterdam"
    riverside.save()
    lisa = MemberFactory(home_club=riverside, first_name="Lisa")
    sign_in(client, lisa)

    page = client.get(reverse("portal:home")).content.decode()
    public = client.get("/").content.decode()

    header = page[page.index('<header class="site-header">') : page.index("</header>")]
    footer = page[page.index('<footer class="site-footer">') :]
    assert "Riverside" in header and "Downtown" not in header
    assert "Maasboulevard 1" in footer and "+31 10 765 4321" in footer
    assert "Downtown" not in footer and "+31 20 123 4567" not in footer
    # the public pages go on showing the site's own club
    assert "+31 20 123 4567" in public[public.index('<footer class="site-footer">') :]


def test_a_member_of_the_sites_club_sees_the_sites_settings(client, frozen_clock, downtown, maya):
    site_settings = ClubSiteSettings.for_site(Site.objects.get(is_default_site=True))
    site_settings.email = "hello@downtown.example.com"
    site_settings.save()
    sign_in(client, maya)

    page = client.get(reverse("portal:home")).content.decode()

    assert "hello@downtown.example.com" in page[page.index('<footer class="site-footer">') :]
