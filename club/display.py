"""How screens and messages word money and dates, for every app above club."""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING

from django.utils.formats import date_format

from club import clock

if TYPE_CHECKING:
    from club.models import Club

CURRENCY_SYMBOLS = {"EUR": "€", "GBP": "£", "USD": "$"}


def format_price(amount: Decimal, currency: str) -> str:
    """€49.00 for the currencies with a symbol, 49.00 CHF for the rest."""
    text = f"{amount.quantize(Decimal('0.01'), rounding=ROUND_HALF_UP):,}"
    symbol = CURRENCY_SYMBOLS.get(currency)
    return f"{symbol}{text}" if symbol else f"{text} {currency}"


# A day with its year always shown ("17 May 1992"), whatever the locale's DATE_FORMAT: a birth
# date that tells two members apart, a date in an error message.
FULL_DATE = "j M Y"
# A moment in an export's cell: sortable, and read by spreadsheets as a date and time.
EXPORT_DATETIME = "%Y-%m-%d %H:%M"


def export_datetime(moment: dt.datetime, club: Club | None) -> str:
    """ "2026-11-23 18:00": an aware moment on the club's clock (not in UTC as stored), as the
    members and payments exports print it."""
    return moment.astimezone(clock.zone(club)).strftime(EXPORT_DATETIME)


def date_range(start: dt.date, end: dt.date, *, today: dt.date) -> str:
    """ "24 Nov – 30 Nov" within this year; "24 Nov 2026 – 24 Nov 2027" when either date is
    in another year, which the short form would hide."""
    if start.year == end.year == today.year:
        return f"{date_format(start, 'j M')} – {date_format(end, 'j M')}"
    return f"{date_format(start)} – {date_format(end)}"


def another_clubs_member(first_name: str) -> str:
    """How a screen of our club names another club's member: "Thijs (another club)", the
    first name the turnstile answers with and no more (their record is their own club's)."""
    return f"{first_name} (another club)"
