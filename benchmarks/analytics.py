"""Benchmark: the renewal dashboard's computations over 100,000 members × 2 years on
PostgreSQL, against a floor measured in the same run.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/clubcycle python -m benchmarks.analytics

Runs in the database `clubcycle_bench_analytics` on the server DATABASE_URL points at,
filled once by `manage.py seed_demo`'s generator (100,000 people, two years up to a fixed
day); later runs find its marker and reuse it while it names the same parameters and
generator sources, and rebuild it otherwise. Analytics only reads, so every run and every
repeat does the same work.

Two measurements over the dashboard's default period (the twelve months up to that day):

- `dashboard_seconds`, the renewal computations for the whole chain (all 100,000
  members): `frames.renewal_memberships` (every membership of the members with an expiry
  in the period, with its 30-day visit count for the band) → `renewals.opportunities` →
  renewal rate overall and by month, plan, club and visit band; and `frames.memberships()`
  (all of them) → cohort retention and monthly churn with IHRSA attrition. Per part in
  `parts_seconds`. `ratio_dashboard` = this ÷ the floor.
- `pages_seconds`: `analytics.dashboard.build` for each club, what its page computes
  (also the funnel, the uplift table and the KPI tiles); `ratio_pages` = both ÷ the floor.

The floor: a plain `pandas.read_sql` of the memberships table plus one groupby
(memberships per plan). Figures are medians of `--repeat` runs; memory is tracemalloc's
peak of Python allocations during one run (pandas' and numpy's buffers included), and
the process's max RSS. `--profile` prints a cProfile of one run to stderr.

Prints exactly one JSON line; progress goes to stderr.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import resource
import statistics
import sys
import time
import tracemalloc
from collections.abc import Callable

from benchmarks._support import (
    database_url,
    generator_digest,
    log,
    postgres_url_or_exit,
)
from club.databases import ensure_database

BENCH_DATABASE = "clubcycle_bench_analytics"
# Bump when the shape of the seeded data changes (the generator's sources are in the marker
# too): the bench database is then rebuilt.
# 2: seed_demo writes rule 14 touchpoints; 3: only for memberships longer than 60 days.
SEED_VERSION = 3
MEMBERS = 100_000
YEARS = 2
SEED = 7
TODAY = dt.date(2026, 11, 23)
TARGET_RATIO = 2.0
TARGET_SECONDS = 2.0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--members", type=int, default=MEMBERS)
    parser.add_argument("--repeat", type=int, default=3, help="timed runs (median reported)")
    parser.add_argument("--reseed", action="store_true", help="rebuild the bench database")
    parser.add_argument("--seed-only", action="store_true", help="seed, then stop")
    parser.add_argument("--profile", action="store_true", help="cProfile one dashboard run")
    args = parser.parse_args(argv)

    bench_url = database_url(postgres_url_or_exit("analytics"), BENCH_DATABASE)
    ensure_database(bench_url, recreate=args.reseed)
    os.environ["DATABASE_URL"] = bench_url
    os.environ["DJANGO_SETTINGS_MODULE"] = "club.settings"

    import django

    django.setup()
    from django.core.management import call_command

    log(f"migrating {BENCH_DATABASE}")
    call_command("migrate", verbosity=0, interactive=False)
    ensure_seeded(bench_url, args.members)
    if args.seed_only:
        return 0

    start, end = _period()
    dashboard_run(start, end)  # warm: connections, imports, PostgreSQL's caches
    pages_run(start, end)
    floor_run()
    if args.profile:
        _profile(start, end)
    dashboard, parts, floor, pages = [], [], [], []
    for _ in range(args.repeat):
        started = time.perf_counter()
        floor_run()
        floor.append(time.perf_counter() - started)
        timings: dict[str, float] = {}
        started = time.perf_counter()
        dashboard_run(start, end, timings)
        dashboard.append(time.perf_counter() - started)
        parts.append(timings)
        pages.append(pages_run(start, end))

    rss_before = _max_rss_mb()
    tracemalloc.start()
    summary = dashboard_run(start, end)
    _, dashboard_peak = tracemalloc.get_traced_memory()
    tracemalloc.reset_peak()
    pages_run(start, end)
    _, pages_peak = tracemalloc.get_traced_memory()
    tracemalloc.reset_peak()
    floor_run()
    _, floor_peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()

    seconds = statistics.median(dashboard)
    floor_seconds = statistics.median(floor)
    ratio = seconds / floor_seconds
    page_seconds = {slug: statistics.median(p[slug] for p in pages) for slug in pages[0]}
    all_pages = statistics.median(sum(p.values()) for p in pages)
    print(
        json.dumps(
            {
                "benchmark": "analytics",
                "members": args.members,
                "years": YEARS,
                "period": [start.isoformat(), end.isoformat()],
                "rows": summary,
                "dashboard_seconds": round(seconds, 3),
                "floor_seconds": round(floor_seconds, 3),
                "ratio_dashboard": round(ratio, 2),
                "target_ratio": TARGET_RATIO,
                "target_seconds": TARGET_SECONDS,
                "meets_target": ratio <= TARGET_RATIO and seconds <= TARGET_SECONDS,
                "parts_seconds": {
                    name: round(statistics.median(t[name] for t in parts), 3) for name in parts[0]
                },
                "pages_seconds": {slug: round(v, 3) for slug, v in page_seconds.items()},
                "ratio_pages": round(all_pages / floor_seconds, 2),
                "peak_memory_mb": round(dashboard_peak / 2**20, 1),
                "pages_peak_memory_mb": round(pages_peak / 2**20, 1),
                "floor_peak_memory_mb": round(floor_peak / 2**20, 1),
                "max_rss_mb": round(_max_rss_mb(), 1),
                "max_rss_mb_before_tracing": round(rss_before, 1),
                "repeat": args.repeat,
            }
        )
    )
    return 0


def _period() -> tuple[dt.date, dt.date]:
    """The dashboard's default period: the last twelve months up to the seeded today."""
    from analytics import dashboard

    return dashboard.default_period(TODAY)


# --- what is timed ---------------------------------------------------------------------


def dashboard_run(
    start: dt.date, end: dt.date, timings: dict[str, float] | None = None
) -> dict[str, int]:
    """The renewal dashboard's numbers, from the database to the tables it shows."""
    from analytics import churn, cohorts, frames, renewals

    timings = {} if timings is None else timings

    def timed(name: str, work: Callable):
        started = time.perf_counter()
        result = work()
        timings[name] = timings.get(name, 0.0) + time.perf_counter() - started
        return result

    renewal_frame = timed(
        "load_renewal_memberships",
        lambda: frames.renewal_memberships(clubs=None, start=start, end=end),
    )
    opps = timed(
        "opportunities", lambda: renewals.opportunities(renewal_frame, start=start, end=end)
    )
    for by in (None, "month", "plan", "club", "visit_band"):
        timed("renewal_rates", lambda by=by: renewals.renewal_rate(opps, by=by))
    everything = timed("load_memberships", lambda: frames.memberships())
    retention = timed("cohorts", lambda: cohorts.retention(everything, as_of=TODAY))
    first_month = dt.date(TODAY.year - YEARS, TODAY.month, 1)
    monthly = timed(
        "churn", lambda: churn.monthly(everything, first_month=first_month, as_of=TODAY)
    )
    return {
        "renewal_memberships": len(renewal_frame),
        "opportunities": len(opps),
        "memberships": len(everything),
        "cohort_cells": len(retention),
        "churn_months": len(monthly),
    }


def pages_run(start: dt.date, end: dt.date) -> dict[str, float]:
    """`analytics.dashboard.build` for each club, as its page asks for it (renewal tables,
    KPI tiles, cohorts, churn, funnel and uplift): seconds per club."""
    from analytics import dashboard
    from club.models import Club

    seconds = {}
    for club in Club.objects.order_by("slug"):
        started = time.perf_counter()
        dashboard.build(club, start=start, end=end, today=TODAY)
        seconds[club.slug] = time.perf_counter() - started
    return seconds


def floor_run() -> int:
    """A plain read_sql of the memberships table plus one groupby."""
    import warnings

    import pandas as pd
    from django.db import connection

    connection.ensure_connection()
    with warnings.catch_warnings():
        # pandas names only SQLAlchemy and sqlite3; a psycopg connection works all the same.
        warnings.filterwarnings("ignore", "pandas only supports SQLAlchemy", UserWarning)
        frame = pd.read_sql(
            'SELECT id, member_id, plan_id, start, "end", status, renewed_from_id, '
            "price_paid, created_at FROM memberships_membership",
            connection.connection,
        )
    return len(frame.groupby("plan_id")["id"].count())


def _profile(start: dt.date, end: dt.date) -> None:
    import cProfile
    import io
    import pstats

    profiler = cProfile.Profile()
    profiler.enable()
    dashboard_run(start, end)
    profiler.disable()
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(30)
    print(out.getvalue(), file=sys.stderr)


def _max_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


# --- seeding ---------------------------------------------------------------------------


def ensure_seeded(url: str, members: int) -> None:
    """Seed the database once with the demo generator; later runs find the marker and reuse
    it. Its own marker naming other parameters or another version of the generator's
    sources (`generator_digest`) means the data is stale: the database is rebuilt. A
    database holding data without a marker is refused, not overwritten."""
    from django.core.management import call_command
    from django.db import connection

    wanted = (SEED_VERSION, members, YEARS, SEED, TODAY, generator_digest())
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TABLE IF NOT EXISTS bench_analytics_seed (version int NOT NULL, "
            "members int NOT NULL, years int NOT NULL, seed int NOT NULL, today date NOT NULL)"
        )
        cursor.execute(
            "ALTER TABLE bench_analytics_seed ADD COLUMN IF NOT EXISTS generator text NOT NULL "
            "DEFAULT ''"
        )
        cursor.execute(
            "SELECT version, members, years, seed, today, generator FROM bench_analytics_seed"
        )
        marker = cursor.fetchone()
        cursor.execute("SELECT count(*) FROM members_member")
        (count,) = cursor.fetchone()
    if marker == wanted:
        log(f"{BENCH_DATABASE}: reusing the seeded {members:,} members")
        return
    if marker is None and count:
        raise SystemExit(
            f"{BENCH_DATABASE} holds {count} members it did not seed; "
            "rerun with --reseed to rebuild it."
        )
    if marker is not None:
        log(
            f"{BENCH_DATABASE}: seeded with other parameters or generator ({marker[:5]}): "
            "rebuilding"
        )
        connection.close()
        ensure_database(url, recreate=True)
        call_command("migrate", verbosity=0, interactive=False)
        ensure_seeded(url, members)
        return
    from cms.demo import seeding

    started = time.monotonic()
    log(f"seeding {members:,} members × {YEARS} years (once; later runs reuse them)")
    # Without the visits' timeline events: they add a row per visit and nothing measured here.
    outcome = seeding.seed(
        members=members,
        years=YEARS,
        seed=SEED,
        today=TODAY,
        params_out=None,
        visit_events=False,
    )
    log(f"seeded in {time.monotonic() - started:.0f} s: {outcome.counts}")
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
        cursor.execute(
            "INSERT INTO bench_analytics_seed (version, members, years, seed, today, generator) "
            "VALUES (%s, %s, %s, %s, %s, %s)",
            list(wanted),
        )


if __name__ == "__main__":
    sys.exit(main())
