"""Cells of the CSV files we write, made inert for spreadsheets (CSV formula injection).

A lead's name comes from the public trial form or a website's API call; opened in Excel or
LibreOffice, a CSV cell `=HYPERLINK("http://evil.example","x")` would be run as a formula.
Every CSV writer of the project passes its cells through `csv_cell` (Wagtail's list exports
through `FormulaSafeCsvMixin`), by the OWASP rule: a text starting with = + - @, a tab or a
carriage return gets a leading apostrophe, so the spreadsheet reads it as text. Only text:
numbers, dates and empty cells are written as they are. A text that is a plain signed number
is left alone too ("+31612345678", an E.164 phone; "-12.50"): it holds no formula, and a phone
with an apostrophe in front would be no number to the mailing and SMS tools the file goes to.
XLSX needs none of this: Wagtail writes its cells as text, and tablib escapes on request
(`analytics.exports` asks).
"""

from __future__ import annotations

import re

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# Digits only, an optional sign and decimals: what a spreadsheet reads as that number.
PLAIN_NUMBER = re.compile(r"[+-]?[0-9]+(?:\.[0-9]+)?")


def csv_cell(value):
    """`value` as a CSV cell: a text a spreadsheet would read as a formula behind an apostrophe,
    anything else unchanged."""
    if (
        isinstance(value, str)
        and value.startswith(FORMULA_STARTS)
        and not PLAIN_NUMBER.fullmatch(value)
    ):
        return "'" + value
    return value


class FormulaSafeCsvMixin:
    """For a view with Wagtail's SpreadsheetExportMixin (a list or report export): its CSV
    cells through `csv_cell`, after Wagtail's own preprocessing (which turns a model or a
    lazy label into text, keeps numbers and dates). Wagtail escapes formulas in XLSX only."""

    def preprocess_field_value(self, field, value, export_format):
        value = super().preprocess_field_value(field, value, export_format)
        return csv_cell(value) if export_format == self.FORMAT_CSV else value
