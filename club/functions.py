"""Database expressions shared by several apps."""

from __future__ import annotations

import datetime as dt

from django.db.models import Func, IntegerField, Q
from django.db.models.expressions import CombinedExpression
from django.db.models.functions import ExtractDay, ExtractMonth

from club import clock


def month_day(field: str) -> CombinedExpression:
    """A date's month * 100 + day (1123 for 23 November): "born, or joined, on one of these
    calendar days" becomes one IN, which an index on this same expression answers."""
    return ExtractMonth(field) * 100 + ExtractDay(field)


class DaysBetween(Func):
    """Whole days from the date `start` to the date `end` (`end - start`; 29 for a 30-day
    membership, its dates being inclusive). Django's own date subtraction is a duration, an
    interval on PostgreSQL and a Python function over every row on SQLite; this is plain SQL
    arithmetic on both."""

    output_field = IntegerField()
    arity = 2
    arg_joiner = " - "
    template = "(%(expressions)s)"  # PostgreSQL: date - date is an integer of days

    def __init__(self, start, end, **extra):
        super().__init__(end, start, **extra)

    def as_sqlite(self, compiler, connection, **extra):
        # Dates are ISO text; julianday() of two midnights differs by a whole number.
        end, start = (compiler.compile(e) for e in self.get_source_expressions())
        sql = f"CAST(julianday({end[0]}) - julianday({start[0]}) AS INTEGER)"
        return sql, (*end[1], *start[1])


def club_days(clubs, field: str, *, days: int = 1, club_field: str = "club") -> Q:
    """Rows whose instant `field` falls on each club's own calendar, from the start of that
    club's today for `days` days: one condition for every club, so one query counts them all."""
    window = Q(pk__in=[])
    for club in clubs:
        today = clock.today(club)
        window |= Q(
            **{
                club_field: club,
                f"{field}__gte": clock.start_of_day(today, club),
                f"{field}__lt": clock.start_of_day(today + dt.timedelta(days=days), club),
            }
        )
    return window
