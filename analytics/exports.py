"""CSV and XLSX downloads of a dashboard table, through tablib."""

from __future__ import annotations

from django.http import HttpResponse

from analytics.dashboard import Table
from club.spreadsheets import csv_cell

FORMATS = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def download(table: Table, *, format: str, filename: str) -> HttpResponse:
    """The table as an attachment named `filename`.`format` (csv or xlsx)."""
    if format not in FORMATS:
        raise ValueError(f"Unknown export format {format!r}; choose from {', '.join(FORMATS)}.")
    if format == "csv":
        # Its text cells inert in a spreadsheet (a plan's name "=HYPERLINK(…)" is no formula);
        # with a byte-order mark, as the back-office lists' CSVs: Excel reads a CSV without
        # one in the computer's legacy code page ("ZoÃ«").
        body = "\ufeff" + table.dataset(cell=csv_cell).export(format)
    else:
        # Unlike Wagtail's, tablib's XLSX stores a text starting with "=" as a formula unless
        # asked to escape it (which drops that "=").
        body = table.dataset().export(format, escape=True)
    response = HttpResponse(body, content_type=FORMATS[format])
    response["Content-Disposition"] = f'attachment; filename="{filename}.{format}"'
    return response
