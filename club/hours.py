"""A club's opening hours: whether it is open at an instant, and when it next opens.

The hours are wall-clock times in the club's time zone (`OpeningHours`), so a club that opens
at 06:30 opens at 06:30 on both sides of a daylight-saving change.
"""

from __future__ import annotations

import datetime as dt
import itertools

from club import clock
from club.models import Club, OpeningHours, Weekday

# The defaults a new club starts with, and the migration gave existing clubs; they match
# what the public site showed before clubs had hours of their own.
WEEKDAY_HOURS = (dt.time(6, 30), dt.time(22, 0))
WEEKEND_HOURS = (dt.time(8, 0), dt.time(20, 0))
DEFAULT_WEEK = {day: WEEKDAY_HOURS if day < 5 else WEEKEND_HOURS for day in range(7)}


def default_week(club: Club) -> list[OpeningHours]:
    """Unsaved rows of the default week for `club`."""
    return [
        OpeningHours(club=club, weekday=day, opens=opens, closes=closes)
        for day, (opens, closes) in DEFAULT_WEEK.items()
    ]


def next_opening(club: Club, at: dt.datetime) -> dt.datetime:
    """`at` when the club is open then, else the next instant it opens.

    A club with no opening hours at all has not said when it is open, and counts as always
    open: its tasks fall due as they did before clubs had hours. Reads the club's hours once
    (a prefetched `opening_hours` is used as it is).
    """
    for opens, closes in _open_spells(club, at, step=1):
        if opens <= at < closes:
            return at
        if at < opens:
            return opens
    return at  # no hours: always open


def last_open_by(club: Club, at: dt.datetime) -> dt.datetime:
    """`at` when the club is open then, else the last instant it was open before (its latest
    closing): for a deadline that must not pass, the last moment someone is there to meet it.
    A club with no opening hours counts as always open. Reads the club's hours once."""
    for opens, closes in _open_spells(club, at, step=-1):
        if opens <= at < closes:
            return at
        if closes <= at:
            return closes.astimezone(dt.UTC)
    return at  # no hours: always open


def _open_spells(club: Club, at: dt.datetime, *, step: int, days: int | None = 8):
    """(opens, closes) of the club's open days from `at`'s local day, `days` days forwards
    (`step` 1) or backwards (-1), without end for None; none for a club with no hours. Eight
    days are enough to find the club open: today's hours may be over, and next week's same
    day may be the only open one. Compare them with datetimes in UTC: two datetimes of the
    same zone compare by wall clock, blind to DST."""
    week = {row.weekday: row for row in club.opening_hours.all()}
    if not week:
        return
    zone = clock.zone(club)
    local_day = at.astimezone(zone).date()
    for offset in range(days) if days is not None else itertools.count():
        day = local_day + dt.timedelta(days=step * offset)
        if (row := week.get(day.weekday())) is not None:
            yield (
                dt.datetime.combine(day, row.opens, tzinfo=zone).astimezone(dt.UTC),
                dt.datetime.combine(day, row.closes, tzinfo=zone).astimezone(dt.UTC),
            )
    raise AssertionError("a club with opening hours is open within a week")  # pragma: no cover


def open_time_after(club: Club, at: dt.datetime, duration: dt.timedelta) -> dt.datetime:
    """The instant `duration` of the club's open time after `at`: time while it is closed
    does not count, so an hour's call task opened half an hour before closing falls due half
    an hour after the next opening, never after closing. A club with no hours counts as
    always open (`at + duration`). Reads the club's hours once.
    """
    # Compared and added in UTC: two datetimes of the same zone subtract by wall clock.
    at = at.astimezone(dt.UTC)
    remaining = duration
    for opens, closes in _open_spells(club, at, step=1, days=None):
        start = max(at, opens)
        if start < closes:
            if remaining <= closes - start:
                return start + remaining
            remaining -= closes - start
    return at + duration  # no hours: always open


def week_rows(club: Club) -> list[tuple[str, str]]:
    """The week for people to read, runs of days with the same hours together:
    [("Mon–Fri", "06:30–22:00"), ("Sat", "08:00–20:00"), ("Sun", "closed")]; [] with no hours."""
    week = {row.weekday: row for row in club.opening_hours.all()}
    if not week:
        return []
    names = [label[:3] for label in Weekday.labels]
    spans = [
        f"{week[day].opens:%H:%M}–{week[day].closes:%H:%M}" if day in week else "closed"
        for day in range(7)
    ]
    rows: list[tuple[str, str]] = []
    first = 0
    for day in range(1, 8):
        if day == 7 or spans[day] != spans[first]:
            days = names[first] if day - 1 == first else f"{names[first]}–{names[day - 1]}"
            rows.append((days, spans[first]))
            first = day
    return rows
