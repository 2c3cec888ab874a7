"""A class booked for a day after the membership ends is marked on the portal ("Your
membership ends 25 Nov — renew to keep this class"), as the schedule refuses that day,
unless the membership renews by itself; stopping auto-renewal brings the mark back.

The clock is frozen at Monday 23 Nov 2026 18:00 in Amsterdam."""

import datetime as dt
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from club import clock
from cms.portal import auth, selectors
from members.models import Member
from memberships import autorenew
from tests.factories import (
    BookingFactory,
    ClassSessionFactory,
    ClassTypeFactory,
    MemberFactory,
    MembershipFactory,
)

TODAY = dt.date(2026, 11, 23)
NOTICE = "Your membership ends 25 Nov — renew to keep this class"


@pytest.fixture
def priya(frozen_clock, downtown, monthly_plan):
    """Priya's monthly membership ends on Wednesday 25 Nov; she booked Spin on 24 Nov and on
    each of 26 Nov to 30 Nov."""
    priya = MemberFactory(home_club=downtown, status=Member.Status.MEMBER, first_name="Priya")
    MembershipFactory(member=priya, plan=monthly_plan, start=TODAY - dt.timedelta(days=27))
    spin = ClassTypeFactory(club=downtown, name="Spin")
    for day in (24, 26, 27, 28, 29, 30):
        start = clock.local_datetime(dt.date(2026, 11, day), dt.time(9), downtown)
        BookingFactory(
            member=priya,
            session=ClassSessionFactory(club=downtown, class_type=spin, start=start),
        )
    return priya


def rows(html: str) -> list[tuple[str, str]]:
    """(day, tag) of each upcoming class row."""
    found = re.findall(
        r'class="when">(\w+ \d+ \w+) .*?<(?:span|a) class="tag [^"]*"[^>]*>([^<]+)<', html, re.S
    )
    return [(day, tag.strip()) for day, tag in found]


def test_bookings_after_the_membership_ends_are_marked_without_a_query_per_row(client, priya):
    upcoming = list(selectors.upcoming_bookings(priya))

    with CaptureQueriesContext(connection) as queries:
        marked = selectors.with_cover_notices(priya, upcoming)

    assert len(queries) == 1
    assert [b.cover_notice for b in marked] == [""] + [NOTICE] * 5

    client.force_login(auth.portal_user(priya))
    page = client.get(reverse("portal:bookings")).content.decode()
    assert rows(page) == [("Tue 24 Nov", "Booked")] + [
        (day, NOTICE)
        for day in ("Thu 26 Nov", "Fri 27 Nov", "Sat 28 Nov", "Sun 29 Nov", "Mon 30 Nov")
    ]
    home = client.get(reverse("portal:home")).content.decode()
    assert home.count(NOTICE) == 4  # the home page lists the next five


def test_a_membership_that_renews_by_itself_keeps_its_bookings_plain(client, priya):
    membership = priya.memberships.get()
    membership.plan.auto_renew = True
    membership.plan.save(update_fields=["auto_renew"])
    autorenew.set_auto_renew(membership, on=True, source="test")

    assert [
        b.cover_notice
        for b in selectors.with_cover_notices(priya, selectors.upcoming_bookings(priya))
    ] == [""] * 6

    # when she stops auto-renewal, the bookings after 25 Nov are marked again
    autorenew.set_auto_renew(membership, on=False, source="test")

    client.force_login(auth.portal_user(priya))
    page = client.get(reverse("portal:bookings")).content.decode()
    assert page.count(NOTICE) == 5


def test_a_renewal_bought_early_covers_the_bookings(priya, monthly_plan):
    MembershipFactory(member=priya, plan=monthly_plan, start=dt.date(2026, 11, 26))

    marked = selectors.with_cover_notices(priya, selectors.upcoming_bookings(priya))

    assert [b.cover_notice for b in marked] == [""] * 6


def test_a_trial_booking_is_never_marked(frozen_clock, downtown):
    lead = MemberFactory(home_club=downtown, status=Member.Status.LEAD)
    start = clock.local_datetime(dt.date(2026, 11, 26), dt.time(9), downtown)
    BookingFactory(
        member=lead, session=ClassSessionFactory(club=downtown, start=start), is_trial=True
    )

    marked = selectors.with_cover_notices(lead, selectors.upcoming_bookings(lead))

    assert [b.cover_notice for b in marked] == [""]
