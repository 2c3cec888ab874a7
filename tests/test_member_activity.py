"""The member card's "This month": visits against the usual month, weeks as a sparkline, and
this month's classes. The clock is frozen at Monday 23 Nov 2026 18:00 in Amsterdam."""

import datetime as dt

from django.urls import reverse

from checkin import activity
from checkin.models import Booking
from club import clock
from tests.factories import BookingFactory, ClassSessionFactory, VisitFactory

TODAY = dt.date(2026, 11, 23)


def member_since(member, day: dt.date):
    member.created_at = clock.local_datetime(day, dt.time(12))
    member.save(update_fields=["created_at"])


def visit_on(member, day: dt.date, hour: int = 9, times: int = 1):
    for minute in range(times):
        VisitFactory(member=member, at=clock.local_datetime(day, dt.time(hour, minute)))


def test_visits_this_month_against_the_three_months_before(frozen_clock, maya):
    member_since(maya, dt.date(2025, 1, 1))
    visit_on(maya, dt.date(2026, 7, 31), times=4)  # before August: not counted
    visit_on(maya, dt.date(2026, 9, 1), times=6)
    visit_on(maya, dt.date(2026, 10, 31), times=3)
    # 23:30 on 31 Oct in Amsterdam is still October, though it is 22:30 UTC
    VisitFactory(member=maya, at=clock.local_datetime(dt.date(2026, 10, 31), dt.time(23, 30)))
    visit_on(maya, dt.date(2026, 11, 1), hour=0)  # 00:00 local on 1 Nov: November
    visit_on(maya, TODAY, times=2)

    month = activity.month_activity(maya, TODAY)

    assert month.visits == 3
    assert month.usual == round((6 + 3 + 1) / 3)


def test_the_usual_month_counts_only_months_since_joining(frozen_clock, maya):
    member_since(maya, dt.date(2026, 10, 20))
    visit_on(maya, dt.date(2026, 10, 21), times=5)

    assert activity.month_activity(maya, TODAY).usual == 5


def test_a_member_who_joined_this_month_has_no_usual_yet(frozen_clock, maya):
    member_since(maya, dt.date(2026, 11, 2))
    visit_on(maya, dt.date(2026, 11, 3), times=4)

    month = activity.month_activity(maya, TODAY)

    assert (month.visits, month.usual) == (4, None)


def test_weeks_run_monday_to_sunday_oldest_first(frozen_clock, maya):
    visit_on(maya, TODAY, times=2)  # this week (Monday 23 Nov)
    visit_on(maya, dt.date(2026, 11, 22))  # Sunday: last week
    visit_on(maya, dt.date(2026, 10, 5), times=4)  # Monday 7 weeks back: the first bar
    visit_on(maya, dt.date(2026, 10, 4))  # the Sunday before it: off the chart

    month = activity.month_activity(maya, TODAY)

    assert month.weekly == (4, 0, 0, 0, 0, 0, 1, 2)
    assert month.sparkline == "█▁▁▁▁▁▃▅"


def test_a_member_who_never_came_has_a_flat_line_and_no_usual(frozen_clock, maya):
    month = activity.month_activity(maya, TODAY)

    assert (month.visits, month.usual, month.sparkline) == (0, None, "▁" * 8)


def test_this_months_classes_count_seats_held_and_no_shows(frozen_clock, maya, downtown):
    def session_on(day):
        return ClassSessionFactory(club=downtown, start=clock.local_datetime(day, dt.time(18)))

    BookingFactory(member=maya, session=session_on(dt.date(2026, 11, 3)), status="attended")
    BookingFactory(member=maya, session=session_on(dt.date(2026, 11, 10)), status="no_show")
    BookingFactory(member=maya, session=session_on(dt.date(2026, 11, 28)))  # booked, coming
    BookingFactory(
        member=maya, session=session_on(dt.date(2026, 11, 12)), status=Booking.Status.CANCELLED
    )
    BookingFactory(member=maya, session=session_on(dt.date(2026, 12, 1)))  # next month

    month = activity.month_activity(maya, TODAY)

    assert (month.classes_booked, month.no_shows) == (3, 1)


def test_the_card_shows_the_figures(client, frozen_clock, fiona, maya):
    member_since(maya, dt.date(2025, 1, 1))
    visit_on(maya, dt.date(2026, 10, 5), times=6)
    visit_on(maya, TODAY)
    client.force_login(fiona)

    html = client.get(reverse("desk:member", args=[maya.pk])).content.decode()

    assert "<strong>1</strong> visit" in html
    assert "(usual 2)" in html
    assert "Visits per week over the last 8 weeks: 6, 0, 0, 0, 0, 0, 0, 1" in html
    assert "visits a week, last 8 weeks" in html  # what the bars are, for sighted readers too
    assert "classes booked 0 · no-shows 0" in html
