"""Database expressions shared by several apps."""

from __future__ import annotations

from django.db.models.expressions import CombinedExpression
from django.db.models.functions import ExtractDay, ExtractMonth


def month_day(field: str) -> CombinedExpression:
    """A date's month * 100 + day (1123 for 23 November): "born, or joined, on one of these
    calendar days" becomes one IN, which an index on this same expression answers."""
    return ExtractMonth(field) * 100 + ExtractDay(field)
