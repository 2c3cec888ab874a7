"""A member's recent activity at a glance, for the member card's "This month": visits this
month against their usual month, a week-by-week sparkline, and this month's classes."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Count, Q
from django.db.models.functions import TruncDate

from checkin.bookings import SEAT_STATUSES
from checkin.models import Booking
from club import clock
from members.models import Member

WEEKS_SHOWN = 8
USUAL_OVER_MONTHS = 3
BARS = "▁▂▃▄▅▆▇█"


@dataclass(frozen=True)
class MonthActivity:
    visits: int
    usual: int | None  # a month's visits on average over the (up to) three months before;
    # None for a member who joined this month
    weekly: tuple[int, ...]  # visits in each of the last WEEKS_SHOWN weeks, oldest first
    classes_booked: int  # classes this month the member holds a seat in (came or not)
    no_shows: int

    @property
    def sparkline(self) -> str:
        top = max(self.weekly, default=0)
        if not top:
            return BARS[0] * len(self.weekly)
        return "".join(BARS[round(count / top * (len(BARS) - 1))] for count in self.weekly)


def month_activity(member: Member, today: dt.date) -> MonthActivity:
    """Two queries: visits per day since the earliest day either figure needs (on the home
    club's calendar), and this month's bookings by status."""
    club = member.home_club
    month_start = today.replace(day=1)
    usual_from = _months_before(month_start, USUAL_OVER_MONTHS)
    week_start = today - dt.timedelta(days=today.weekday())
    weeks_from = week_start - dt.timedelta(weeks=WEEKS_SHOWN - 1)
    since = min(usual_from, weeks_from)
    per_day = dict(
        member.visits.filter(at__gte=clock.start_of_day(since, club))
        .annotate(day=TruncDate("at", tzinfo=clock.zone(club)))
        .values_list("day")
        .annotate(n=Count("pk"))
        .values_list("day", "n")
    )

    def visits_between(first: dt.date, before: dt.date) -> int:
        return sum(n for day, n in per_day.items() if first <= day < before)

    # The usual month is over the months they have been with the club, at most three.
    joined = member.created_at.astimezone(clock.zone(club)).date().replace(day=1)
    usual_from = max(usual_from, joined)
    usual_months = _months_between(usual_from, month_start)
    weekly = tuple(
        visits_between(start, start + dt.timedelta(weeks=1))
        for start in (weeks_from + dt.timedelta(weeks=i) for i in range(WEEKS_SHOWN))
    )
    classes = Booking.objects.filter(
        member=member,
        session__start__gte=clock.start_of_day(month_start, club),
        session__start__lt=clock.start_of_day(_months_before(month_start, -1), club),
    ).aggregate(
        booked=Count("pk", filter=Q(status__in=SEAT_STATUSES)),
        no_shows=Count("pk", filter=Q(status=Booking.Status.NO_SHOW)),
    )
    return MonthActivity(
        visits=visits_between(month_start, today + dt.timedelta(days=1)),
        usual=round(visits_between(usual_from, month_start) / usual_months)
        if usual_months > 0
        else None,
        weekly=weekly,
        classes_booked=classes["booked"],
        no_shows=classes["no_shows"],
    )


def _months_between(first: dt.date, later: dt.date) -> int:
    return (later.year - first.year) * 12 + later.month - first.month


def _months_before(month_start: dt.date, months: int) -> dt.date:
    """The first of the month `months` months before `month_start` (after, when negative)."""
    index = month_start.year * 12 + month_start.month - 1 - months
    return dt.date(index // 12, index % 12 + 1, 1)
