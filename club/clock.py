"""The one source of "now" and "today" in ClubCycle.

Everything stores UTC; a club's "today" is the date in its own time zone. Tests
freeze these with time-machine, so no other module calls timezone.now() or
date.today() directly.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import timezone

if TYPE_CHECKING:
    from club.models import Club


def now() -> dt.datetime:
    """The current instant, timezone-aware, in UTC."""
    return timezone.now()


def zone(club: Club | None = None) -> ZoneInfo:
    return ZoneInfo(club.time_zone if club else settings.DEFAULT_CLUB_TIME_ZONE)


def local_now(club: Club | None = None) -> dt.datetime:
    """The current wall-clock time at the club."""
    return now().astimezone(zone(club))


def today(club: Club | None = None) -> dt.date:
    """Today's date at the club (not in UTC: a club in Sydney is a day ahead)."""
    return local_now(club).date()


def local_datetime(day: dt.date, time: dt.time, club: Club | None = None) -> dt.datetime:
    """An aware datetime for a wall-clock time on a day at the club."""
    return dt.datetime.combine(day, time, tzinfo=zone(club))


def start_of_day(day: dt.date, club: Club | None = None) -> dt.datetime:
    """Midnight at the club on `day`, as an aware datetime (for "today's visits" queries)."""
    return local_datetime(day, dt.time(0), club)
