"""Print renewal numbers for scripts: opportunities, renewals (early, on time, late), rate
and its 95 % interval for memberships ending in a period."""

from __future__ import annotations

import datetime as dt
import json

from django.core.management.base import BaseCommand, CommandError, CommandParser

from analytics import frames, renewals
from club.models import Club
from club.spreadsheets import csv_cell


def _date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"{value!r} is not a date; write it as YYYY-MM-DD.") from None


class Command(BaseCommand):
    help = "Renewal rate of the memberships ending in a period, as CSV or JSON."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--from", dest="start", required=True, help="first end date")
        parser.add_argument("--to", dest="end", required=True, help="last end date (included)")
        parser.add_argument("--club", help="a club's slug (default: every club)")
        parser.add_argument(
            "--by", choices=["plan", "club", "month", "visit_band"], help="one row per group"
        )
        parser.add_argument("--format", choices=["csv", "json"], default="csv")

    def handle(self, *, start: str, end: str, club: str | None, by, format: str, **options):
        first, last = _date(start), _date(end)
        if last < first:
            raise CommandError(f"--to {last} is before --from {first}.")
        clubs = None
        if club is not None:
            found = Club.objects.filter(slug=club).first()
            if found is None:
                known = ", ".join(Club.objects.values_list("slug", flat=True)) or "none"
                raise CommandError(f"No club with the slug {club!r} (known: {known}).")
            clubs = [found]
        memberships = frames.renewal_memberships(clubs=clubs, start=first, end=last)
        opps = renewals.opportunities(memberships, start=first, end=last)
        if clubs is not None:
            opps = opps[opps["club_id"] == clubs[0].pk]
        table = renewals.renewal_rate(opps, by=by)
        if "visit_band" in table:
            table["visit_band"] = table["visit_band"].astype(str)
        if format == "json":
            records = json.loads(table.to_json(orient="records", double_precision=4))
            self.stdout.write(json.dumps(records, indent=2))
        else:
            # Text cells (a plan's name) inert in a spreadsheet; the figures stay numbers.
            for column in table.select_dtypes(include=["object", "string"]):
                table[column] = table[column].map(csv_cell)
            self.stdout.write(table.to_csv(index=False, float_format="%.4f"), ending="")
