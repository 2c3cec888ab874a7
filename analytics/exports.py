"""CSV and XLSX downloads of a dashboard table, through tablib."""

from __future__ import annotations

from django.http import HttpResponse

from analytics.dashboard import Table

FORMATS = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def download(table: Table, *, format: str, filename: str) -> HttpResponse:
    """The table as an attachment named `filename`.`format` (csv or xlsx)."""
    if format not in FORMATS:
        raise ValueError(f"Unknown export format {format!r}; choose from {', '.join(FORMATS)}.")
    body = table.dataset().export(format)
    if format == "csv":
        # With a byte-order mark, as the back-office lists' CSVs: Excel reads a CSV without
        # one in the computer's legacy code page ("ZoÃ«").
        body = "\ufeff" + body
    response = HttpResponse(body, content_type=FORMATS[format])
    response["Content-Disposition"] = f'attachment; filename="{filename}.{format}"'
    return response
