"""manage.py seed_demo: a demo club chain with a realistic, reproducible history."""

from __future__ import annotations

import argparse
import datetime as dt
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from campaigns import lifecycle
from club import clock
from cms.demo import checksum, seeding
from memberships import statuses


def _date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError as error:
        raise argparse.ArgumentTypeError(f"expected a date as YYYY-MM-DD, not {value!r}") from error


class Command(BaseCommand):
    help = (
        "Create the demo clubs Downtown and Riverside with members, memberships, visits, "
        "classes and staff logins (password clubcycle-demo: never in production)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--members", type=int, default=1500, help="people (default 1500)")
        parser.add_argument("--years", type=int, default=2, help="years of history (default 2)")
        parser.add_argument("--seed", type=int, default=7, help="random seed (default 7)")
        parser.add_argument(
            "--today",
            type=_date,
            default=None,
            help="the day the history leads up to, YYYY-MM-DD (default: the club clock's today)",
        )
        existing = parser.add_mutually_exclusive_group()
        existing.add_argument("--reset", action="store_true", help="replace existing demo data")
        existing.add_argument(
            "--if-empty", action="store_true", help="do nothing when the demo data is there"
        )
        parser.add_argument(
            "--params-out",
            type=Path,
            default=None,
            help="where to write the planted parameters (default var/demo/seed_params.json)",
        )
        parser.add_argument(
            "--checksum",
            action="store_true",
            help="print row counts and a SHA-256 of the demo data's content at the end",
        )

    def handle(
        self,
        *,
        members: int,
        years: int,
        seed: int,
        today: dt.date | None,
        reset: bool,
        if_empty: bool,
        params_out: Path | None,
        checksum: bool,
        verbosity: int,
        **options,
    ) -> None:
        if members < 1 or years < 1 or seed < 0:
            raise CommandError("--members and --years must be at least 1, --seed at least 0.")
        try:
            exists = seeding.demo_exists()
        except seeding.NotDemoData as error:
            raise CommandError(str(error)) from error

        if exists and not reset:
            if if_empty:
                self.stdout.write("The demo data is already there: nothing to do.")
            elif checksum:
                self.stdout.write("The demo data is already there (not seeding); its checksum:")
            else:
                raise CommandError(
                    "The demo data is already there. Use --reset to replace it, or --if-empty "
                    "to leave it as it is."
                )
        else:
            self.seed(
                members=members,
                years=years,
                seed=seed,
                today=today or clock.today(),
                reset=exists,
                params_out=params_out or seeding.default_params_path(),
                verbosity=verbosity,
            )
        if checksum:
            self.print_checksum()

    def seed(
        self,
        *,
        members: int,
        years: int,
        seed: int,
        today: dt.date,
        reset: bool,
        params_out: Path,
        verbosity: int,
    ) -> None:
        # Seeded up to the real today, the history runs to this minute: the front desk's
        # check-ins of the day so far. Up to another day it stops at that day's midnight.
        live = today == clock.today()
        outcome = seeding.seed(
            members=members,
            years=years,
            seed=seed,
            today=today,
            params_out=params_out,
            reset_first=reset,
            now=clock.local_now().time() if live else None,
        )
        if live:
            # The beat brings statuses and stages up to date every 15 minutes; a demo should
            # not open with every member a lead until then. (A history seeded up to another
            # day waits for the beat: stages are computed on the real clock.)
            for club in seeding.demo_clubs():
                statuses.refresh_member_statuses(club)
                lifecycle.refresh_stages(club)
        counts = outcome.counts
        self.stdout.write(
            self.style.SUCCESS(
                f"Seeded the demo ({members:,} people, {years} years to {today}, seed {seed}) "
                f"in {outcome.seconds:.1f} s: {counts['members']:,} members, "
                f"{counts['memberships']:,} memberships, {counts['visits']:,} visits, "
                f"{counts['bookings']:,} bookings, {counts['member_events']:,} timeline events."
            )
        )
        self.stdout.write(f"Planted parameters: {outcome.params_path}")
        self.stdout.write("Staff logins: python manage.py demo_logins")
        if verbosity >= 2:
            for table, count in counts.items():
                self.stdout.write(f"  {table:<20} {count:>10,}")
            for phase, seconds in outcome.phases.items():
                self.stdout.write(f"  {phase:<20} {seconds:>9.2f}s")

    def print_checksum(self) -> None:
        result = checksum.compute()
        for table, count in result.counts.items():
            self.stdout.write(f"{table:<20} {count:>10}")
        self.stdout.write(f"sha256 {result.sha256}")
