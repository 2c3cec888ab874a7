"""Benchmark: seed_demo with 10,000 members × 2 years on PostgreSQL, against a floor.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/clubcycle python -m benchmarks.seed

Runs in the database `clubcycle_bench` on the server DATABASE_URL points at (created
and migrated when missing), so the working database is never touched. The floor is
measured in the same run: COPY the same number of trivial visit rows into a temporary
table, the unavoidable cost of writing that much data. Prints exactly one JSON line.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

TARGET_SECONDS = 60
BENCH_DATABASE = "clubcycle_bench"
# A fixed day, so every run generates exactly the same data.
TODAY = dt.date(2026, 11, 23)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--members", type=int, default=10_000)
    parser.add_argument("--years", type=int, default=2)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)

    url = os.environ.get("DATABASE_URL", "")
    if urlsplit(url).scheme not in ("postgres", "postgresql", "pgsql"):
        print(
            "benchmarks.seed measures PostgreSQL's COPY path: set DATABASE_URL to a PostgreSQL "
            "server, e.g. postgres://postgres@127.0.0.1:5432/clubcycle (SQLite is not measured).",
            file=sys.stderr,
        )
        return 2
    os.environ["DATABASE_URL"] = _create_database(url, BENCH_DATABASE)
    os.environ["DJANGO_SETTINGS_MODULE"] = "club.settings"

    import django

    django.setup()
    from django.core.management import call_command

    from cms.demo import seeding

    call_command("migrate", verbosity=0, interactive=False)

    with tempfile.TemporaryDirectory() as scratch:
        # What `seed_demo --reset` does: the previous run's data goes in the same transaction.
        started = time.perf_counter()
        outcome = seeding.seed(
            members=args.members,
            years=args.years,
            seed=args.seed,
            today=TODAY,
            params_out=Path(scratch) / "seed_params.json",
            reset_first=seeding.demo_exists(),
            # As the other benchmarks seed: the visits' timeline events would add a row per
            # visit to a floor set before they were written.
            visit_events=False,
        )
        seconds = time.perf_counter() - started

    floor = _copy_floor(outcome.counts["visits"])
    print(
        json.dumps(
            {
                "benchmark": "seed",
                "members": args.members,
                "years": args.years,
                "seconds": round(seconds, 2),
                "floor_seconds": round(floor, 2),
                "ratio_seconds_to_floor": round(seconds / floor, 1),
                "target_seconds": TARGET_SECONDS,
                "phases": {name: round(value, 2) for name, value in outcome.phases.items()},
                "rows": outcome.counts,
            }
        )
    )
    return 0


def _create_database(url: str, name: str) -> str:
    """The URL of database `name` on the same server, created when missing."""
    import psycopg

    parts = urlsplit(url)
    admin_url = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin_url, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')
    return urlunsplit(parts._replace(path=f"/{name}"))


def _copy_floor(rows: int) -> float:
    """Seconds to COPY `rows` visit-shaped rows of constant content into a temporary table."""
    from django.db import connection, transaction

    row = (1, 1, "2026-01-01T08:00:00Z", "turnstile", 1, None, "")
    columns = "member_id, club_id, at, source, membership_id, ledger_entry_id, override_reason"
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "CREATE TEMPORARY TABLE seed_floor (member_id bigint, club_id bigint, "
            "at timestamptz, source varchar(12), membership_id bigint, ledger_entry_id bigint, "
            "override_reason varchar(200)) ON COMMIT DROP"
        )
        started = time.perf_counter()
        with cursor.copy(f"COPY seed_floor ({columns}) FROM STDIN") as copy:
            for _ in range(rows):
                copy.write_row(row)
        return time.perf_counter() - started


if __name__ == "__main__":
    sys.exit(main())
