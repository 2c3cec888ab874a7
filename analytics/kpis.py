"""The key figures on a manager's home page, per club and on the club's own calendar: active
members, the renewal rate of the last settled month, members lost, the lead funnel and revenue.

Every figure is the renewal report's own (analytics.dashboard, analytics.churn), computed for a
short window: the home page and the report must never disagree. The report's computations take
about a second for a club of 50,000 members, too long for a page opened all day, so the figures
are cached per club and club day for a few minutes (`figures`) and the panel says when they were
worked out.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

import pandas as pd
from django.core.cache import cache
from django.db.models import Count, Q

from analytics import churn, dashboard, frames
from club import clock
from club.display import format_price
from club.models import Club
from memberships.models import Membership

CACHE_SECONDS = 5 * 60
CACHE_VERSION = 1  # bump when KeyFigures changes shape, so no old pickle is read back
ACTIVE_CHANGE_DAYS = 30
LOST_DAYS = 30
FUNNEL_DAYS = 90


@dataclass(frozen=True)
class Funnel:
    """The report's "all sources" row for the leads of the last FUNNEL_DAYS (rates in %)."""

    leads: int
    trial_booked: int
    trial_attended: int
    members: int
    lead_to_trial: float | None
    lead_to_member: float | None


@dataclass(frozen=True)
class KeyFigures:
    club_id: int
    currency: str
    today: dt.date
    as_of: dt.datetime
    active: int
    active_before: int  # ACTIVE_CHANGE_DAYS ago
    renewal: dashboard.Rate
    renewal_start: dt.date
    renewal_end: dt.date
    lost: int
    grace_days: int
    funnel: Funnel
    revenue_this_month: Decimal
    revenue_last_month_so_far: Decimal
    revenue_last_month: Decimal

    @property
    def active_change(self) -> int:
        return self.active - self.active_before

    @property
    def last_month_start(self) -> dt.date:
        return dashboard.add_months(self.today.replace(day=1), -1)

    @property
    def funnel_start(self) -> dt.date:
        return self.today - dt.timedelta(days=FUNNEL_DAYS - 1)

    @property
    def prices(self) -> dict[str, str]:
        """The revenue figures as the club words money."""
        return {
            "this_month": format_price(self.revenue_this_month, self.currency),
            "last_month_so_far": format_price(self.revenue_last_month_so_far, self.currency),
            "last_month": format_price(self.revenue_last_month, self.currency),
        }


def cache_key(club: Club, day: dt.date) -> str:
    return f"analytics:kpis:{CACHE_VERSION}:{club.pk}:{day.isoformat()}"


def cached(clubs: list[Club]) -> dict[int, KeyFigures]:
    """The figures already worked out today, by club id (one cache round trip for all)."""
    keys = {cache_key(club, clock.today(club)): club.pk for club in clubs}
    return {keys[key]: value for key, value in cache.get_many(list(keys)).items()}


def figures(club: Club) -> KeyFigures:
    """Today's figures for the club: from the cache, or worked out and cached for a few minutes."""
    key = cache_key(club, clock.today(club))
    found = cache.get(key)
    if found is None:
        found = compute(club)
        cache.set(key, found, CACHE_SECONDS)
    return found


def compute(club: Club) -> KeyFigures:
    """Work out every figure now (about a second on a large club: see `figures`)."""
    today = clock.today(club)
    this_month = today.replace(day=1)
    last_month = dashboard.add_months(this_month, -1)
    renewal_start, renewal_end = dashboard.settled_month(today, grace_days=club.renewal_grace_days)
    active, before = active_members(club, today=today)
    return KeyFigures(
        club_id=club.pk,
        currency=club.currency,
        today=today,
        as_of=clock.now(),
        active=active,
        active_before=before,
        renewal=dashboard.renewal_rate(
            club, start=renewal_start, end=renewal_end, label=renewal_start.strftime("%B %Y")
        ),
        renewal_start=renewal_start,
        renewal_end=renewal_end,
        lost=members_lost(club, today=today),
        grace_days=club.renewal_grace_days,
        funnel=lead_funnel(club, today=today),
        revenue_this_month=dashboard.revenue(club, start=this_month, end=today),
        revenue_last_month_so_far=dashboard.revenue(
            club, start=last_month, end=_same_day(last_month, today.day)
        ),
        revenue_last_month=dashboard.revenue(
            club, start=last_month, end=this_month - dt.timedelta(days=1)
        ),
    )


def active_members(club: Club, *, today: dt.date) -> tuple[int, int]:
    """Members holding a paid membership of the club (not a trial, not cancelled) today and
    ACTIVE_CHANGE_DAYS ago, as the report's "Active members" counts them. One query."""
    before = today - dt.timedelta(days=ACTIVE_CHANGE_DAYS)

    def on(day: dt.date) -> Count:
        return Count("member_id", distinct=True, filter=Q(start__lte=day, end__gte=day))

    counts = (
        Membership.objects.paid()
        .not_cancelled()
        .filter(plan__club=club, start__lte=today, end__gte=before)
        .aggregate(now=on(today), before=on(before))
    )
    return counts["now"], counts["before"]


def members_lost(club: Club, *, today: dt.date) -> int:
    """Members whose membership of the club ended, and whose grace days for a renewal ran out,
    in the last LOST_DAYS: the report's churn drops (`churn.spells`), counted on the day they
    became certain rather than in the month of the end."""
    grace = dt.timedelta(days=club.renewal_grace_days)
    since = today - dt.timedelta(days=LOST_DAYS)
    # A spell reaches (end + grace) into the window only through memberships that do; older
    # ones can lengthen it backwards but never move its end.
    loaded = frames.memberships(
        clubs=[club], since=since - grace - dt.timedelta(days=1), until=today
    )
    spells = churn.spells(loaded, as_of=today)
    reach = spells["end"] + pd.Timedelta(grace)
    return int((spells["dropped"] & (reach >= pd.Timestamp(since))).sum())


def lead_funnel(club: Club, *, today: dt.date) -> Funnel:
    """Lead → trial → member for the leads of the last FUNNEL_DAYS, as the report's funnel."""
    table = dashboard.lead_funnel(club, start=today - dt.timedelta(days=FUNNEL_DAYS - 1), end=today)
    overall = table[table["source"] == "all"].to_dict("records")
    row = overall[0] if overall else {}

    def count(key: str) -> int:
        return int(row.get(key, 0))

    def percent(key: str) -> float | None:
        value = row.get(key)
        return None if value is None or pd.isna(value) else round(float(value) * 100, 1)

    return Funnel(
        leads=count("leads"),
        trial_booked=count("trial_booked"),
        trial_attended=count("trial_attended"),
        members=count("members"),
        lead_to_trial=percent("lead_to_trial"),
        lead_to_member=percent("lead_to_member"),
    )


def _same_day(month: dt.date, day: int) -> dt.date:
    """The day-th of `month`, or its last day when the month is shorter (31 March → 28 Feb)."""
    last = dashboard.month_end(month)
    return month.replace(day=min(day, last.day))
