"""How screens and messages word money and dates, for every app above club."""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal

from django.utils.formats import date_format

CURRENCY_SYMBOLS = {"EUR": "€", "GBP": "£", "USD": "$"}


def format_price(amount: Decimal, currency: str) -> str:
    """€49.00 for the currencies with a symbol, 49.00 CHF for the rest."""
    text = f"{amount.quantize(Decimal('0.01'), rounding=ROUND_HALF_UP):,}"
    symbol = CURRENCY_SYMBOLS.get(currency)
    return f"{symbol}{text}" if symbol else f"{text} {currency}"


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
