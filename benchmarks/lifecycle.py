"""Benchmark: the lifecycle engine on PostgreSQL — evaluation of every rule over 100,000
members with two years of history, and dispatch through Celery on Redis — against floors.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/clubcycle REDIS_URL=redis://127.0.0.1:6379/0 \
        python -m benchmarks.lifecycle

1. Evaluation. `manage.py seed_demo`'s generator fills the database
   `clubcycle_bench_lifecycle` with 100,000 members × 2 years leading up to a fixed day
   (and `clubcycle_bench_lifecycle_small` with 10,000, to count statements at two sizes),
   once: later runs reuse them while their marker names the same parameters and the same
   generator sources (cms/demo/*.py and the renewal-timing rule it shares with the engine,
   memberships/renewal_timing.py); otherwise they are rebuilt (~8 minutes). The stages
   and the outbox are left as the beat would have left them the evening before. The run is
   then timed with the clock at that fixed day, 18:00 in Amsterdam: `refresh_stages` for
   every club and `evaluator.evaluate()` over the 21 default rules, in a transaction rolled
   back at the end (so every repeat does the same work), every statement counted and timed
   by unit of work (a club's stages, a rule at a club). The floor, timed in the same run:
   one hand-written SQL aggregate of what every member's state rests on — last visit,
   visits in the last 30 and 90 days, end of the latest membership. The evaluation is
   timed once more with PostgreSQL's JIT compiler off, which these plans trip.
2. Dispatch. N due birthday SMS in `clubcycle_bench_dispatch`, one Celery worker (prefork,
   concurrency 2) with Redis database 7 of REDIS_URL's server as broker and cache, the
   real Twilio SDK talking to a local fake Twilio without delay: seconds from
   `dispatch_task` being sent until every touchpoint is `sent`, and every member checked
   to have one message. The floor: the same worker running N no-op tasks
   (benchmarks/_worker.py), before and after. Skipped without REDIS_URL.

Prints exactly one JSON line; progress goes to stderr.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import math
import os
import signal
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from benchmarks._support import (
    database_url,
    generator_digest,
    log,
    median,
    postgres_url_or_exit,
    production_like_environment,
)
from club.databases import ensure_database

BENCH_DATABASE = "clubcycle_bench_lifecycle"
SMALL_DATABASE = "clubcycle_bench_lifecycle_small"
DISPATCH_DATABASE = "clubcycle_bench_dispatch"
# Bump when the shape of the seeded data changes: the bench databases are then rebuilt.
SEED_VERSION = 1
MEMBERS = 100_000
SMALL_MEMBERS = 10_000
YEARS = 2
SEED = 7
# The day the seeded history leads up to, and the instant the evaluation runs at.
TODAY = dt.date(2026, 11, 23)
NOW = dt.datetime(2026, 11, 23, 17, 0, tzinfo=dt.UTC)  # 18:00 in Amsterdam
TARGET_RATIO_EVALUATION = 3.0
TARGET_RATIO_DISPATCH_THROUGHPUT = 0.5
DISPATCH_TOUCHPOINTS = 2_000
# The benchmark's own Redis database (broker and cache of its worker), on REDIS_URL's server.
BENCH_REDIS_DB = 7
DISPATCH_RULE = 901


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--members", type=int, default=MEMBERS)
    parser.add_argument("--small-members", type=int, default=SMALL_MEMBERS)
    parser.add_argument("--repeat", type=int, default=3, help="timed evaluations (median)")
    parser.add_argument("--dispatch", type=int, default=DISPATCH_TOUCHPOINTS, help="SMS to send")
    parser.add_argument("--reseed", action="store_true", help="rebuild the bench databases")
    parser.add_argument("--seed-only", action="store_true", help="seed, then stop")
    parser.add_argument("--part", choices=["all", "evaluation", "dispatch"], default="all")
    args = parser.parse_args(argv)

    # A TERM (a timeout, Ctrl-C in make) unwinds like an exception: the worker is stopped.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    server = postgres_url_or_exit("lifecycle")
    env = production_like_environment(database_url(server, BENCH_DATABASE))
    os.environ.update(env)
    started = time.monotonic()
    load_at_start = os.getloadavg()[0]

    import django

    django.setup()

    result: dict = {"benchmark": "lifecycle"}
    met: dict[str, bool] = {}
    if args.part in ("all", "evaluation") or args.seed_only:
        figures = evaluation_figures(args, server)
        if args.seed_only:
            return 0
        met.update(figures.pop("met"))
        result.update(figures)
    if args.part in ("all", "dispatch") and not os.environ.get("REDIS_URL"):
        log("WARNING: REDIS_URL is not set: the dispatch part (Celery on Redis) is skipped")
        result["dispatch_skipped"] = "REDIS_URL is not set"
    elif args.part in ("all", "dispatch"):
        with use_database(server, DISPATCH_DATABASE) as dispatch_url:
            figures = dispatch_figures(args.dispatch, env=env, db_url=dispatch_url)
        met.update(figures.pop("met"))
        result.update(figures)
    result.update(
        met=met,
        seconds=round(time.monotonic() - started, 1),
        # Other work on the machine slows floor and measurement alike; this says how much.
        load_average=[round(load_at_start, 2), round(os.getloadavg()[0], 2)],
    )
    print(json.dumps(result))
    return 0


def evaluation_figures(args: argparse.Namespace, server: str) -> dict:
    """Part 1: the evaluation at two sizes (the statements), timed at the larger one."""
    with use_database(server, SMALL_DATABASE, recreate=args.reseed) as small_url:
        ensure_seeded(small_url, args.small_members)
        small = None if args.seed_only else measure_evaluation(repeat=1, jit_off_too=False)
    with use_database(server, BENCH_DATABASE, recreate=args.reseed) as bench_url:
        ensure_seeded(bench_url, args.members)
        if args.seed_only:
            return {}
        large = measure_evaluation(repeat=args.repeat, jit_off_too=True)
    constant, differing = statements_constant(small, large)
    ratio = large.seconds / large.floor_seconds
    return {
        "members": args.members,
        "years": YEARS,
        "evaluation_seconds": round(large.seconds, 2),
        "evaluation_stages_seconds": round(large.stages_seconds, 2),
        "evaluation_rules_seconds": round(large.rules_seconds, 2),
        "floor_seconds": round(large.floor_seconds, 2),
        "ratio_evaluation": round(ratio, 1),
        "target_ratio_evaluation": TARGET_RATIO_EVALUATION,
        "postgres_jit": large.jit,
        "evaluation_seconds_jit_off": round(large.seconds_jit_off, 2),
        "ratio_evaluation_jit_off": round(large.seconds_jit_off / large.floor_seconds, 1),
        "statements": {
            str(args.members): large.statements,
            str(args.small_members): small.statements,
        },
        "statements_constant": constant,
        "statements_differing": differing,
        "evaluated": {
            "rule_club_pairs": large.rules,
            "occurrences": large.occurrences,
            "touchpoints_created": large.created,
            "stage_changes": large.stage_changes,
        },
        "top_units": large.top_units,
        "top_statements": large.top_statements,
        "met": {
            "ratio_evaluation": ratio <= TARGET_RATIO_EVALUATION,
            "statements_constant": constant,
        },
    }


def dispatch_figures(count: int, *, env: dict[str, str], db_url: str) -> dict:
    """Part 2: dispatch throughput through Celery and Redis against no-op tasks."""
    dispatch = measure_dispatch(count, env=env, db_url=db_url)
    ratio = dispatch["dispatch_per_s"] / dispatch["noop_per_s"]
    return {
        **{key: value for key, value in dispatch.items() if key != "checked"},
        "ratio_dispatch_throughput": round(ratio, 2),
        "target_ratio_dispatch_throughput": TARGET_RATIO_DISPATCH_THROUGHPUT,
        "dispatch_checked": dispatch["checked"],
        "met": {"ratio_dispatch_throughput": ratio >= TARGET_RATIO_DISPATCH_THROUGHPUT},
    }


# --- databases -------------------------------------------------------------------------


class use_database:
    """Point Django's default connection at database `name` on the server (created and
    migrated when missing) for the duration of a `with` block."""

    def __init__(self, server: str, name: str, *, recreate: bool = False):
        self.url = database_url(server, name)
        self.name = name
        self.recreate = recreate

    def __enter__(self) -> str:
        from django.conf import settings
        from django.core.management import call_command
        from django.db import connection

        ensure_database(self.url, recreate=self.recreate)
        connection.close()
        self.previous = connection.settings_dict["NAME"]
        connection.settings_dict["NAME"] = settings.DATABASES["default"]["NAME"] = self.name
        log(f"migrating {self.name}")
        call_command("migrate", verbosity=0, interactive=False)
        return self.url

    def __exit__(self, *exc) -> None:
        from django.conf import settings
        from django.db import connection

        connection.close()
        connection.settings_dict["NAME"] = settings.DATABASES["default"]["NAME"] = self.previous


# --- seeding ---------------------------------------------------------------------------


def ensure_seeded(url: str, members: int) -> None:
    """Seed the database once with the demo generator; later runs find the marker and reuse
    it. A marker naming other parameters or another version of the generator's sources
    (`generator_digest`) means the data is stale: the database is rebuilt. A database holding data
    without a marker is refused, not overwritten."""
    from django.core.management import call_command
    from django.db import connection

    name = urlsplit(url).path.lstrip("/")
    wanted = (SEED_VERSION, members, YEARS, SEED, TODAY, generator_digest())
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TABLE IF NOT EXISTS bench_lifecycle_seed (version int NOT NULL, "
            "members int NOT NULL, years int NOT NULL, seed int NOT NULL, today date NOT NULL)"
        )
        cursor.execute(
            "ALTER TABLE bench_lifecycle_seed ADD COLUMN IF NOT EXISTS generator text NOT NULL "
            "DEFAULT ''"
        )
        cursor.execute(
            "SELECT version, members, years, seed, today, generator FROM bench_lifecycle_seed"
        )
        marker = cursor.fetchone()
        cursor.execute("SELECT count(*) FROM members_member")
        (count,) = cursor.fetchone()
    if marker == wanted:
        log(f"{name}: reusing the seeded {members:,} members")
        return
    if marker is None and count:
        raise SystemExit(
            f"{name} holds {count} members it did not seed; rerun with --reseed to rebuild it."
        )
    if marker is not None:
        log(f"{name}: seeded with other parameters or generator ({marker[:5]}): rebuilding")
        connection.close()
        ensure_database(url, recreate=True)
        call_command("migrate", verbosity=0, interactive=False)
        ensure_seeded(url, members)
        return
    _seed(members)
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO bench_lifecycle_seed (version, members, years, seed, today, generator) "
            "VALUES (%s, %s, %s, %s, %s, %s)",
            list(wanted),
        )


def _seed(members: int) -> None:
    """The demo history, then the state the beat leaves: the evening before, stages
    refreshed and the rules evaluated."""
    import time_machine
    from django.db import connection

    from campaigns import evaluator, lifecycle
    from club.models import Club
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
    with time_machine.travel(NOW - dt.timedelta(days=1), tick=False):
        for club in Club.objects.all():
            lifecycle.refresh_stages(club)
        created = evaluator.evaluate()
    log(f"stages and outbox as of the evening before: {created} touchpoints")
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")


# --- 1. evaluation ---------------------------------------------------------------------

# The floor: what every member's state rests on, for every member, in one aggregate.
FLOOR_SQL = """
SELECT m.id, v.last_visit, coalesce(v.visits_30, 0), coalesce(v.visits_90, 0), ms.membership_end
FROM members_member m
LEFT JOIN (SELECT member_id, max(at) AS last_visit,
                  count(*) FILTER (WHERE at >= %(since_30)s) AS visits_30,
                  count(*) FILTER (WHERE at >= %(since_90)s) AS visits_90
           FROM checkin_visit GROUP BY member_id) v ON v.member_id = m.id
LEFT JOIN (SELECT member_id, max("end") AS membership_end
           FROM memberships_membership WHERE status <> 'cancelled'
           GROUP BY member_id) ms ON ms.member_id = m.id
"""


@dataclass
class Run:
    """What one timed evaluation did, statement by statement and rule by rule."""

    seconds: float = 0.0
    stages_seconds: float = 0.0
    rules_seconds: float = 0.0
    statements: int = 0
    stage_changes: int = 0
    created: int = 0
    # unit ("stages <club>" or "rule <n> <club>") → statements, seconds, occurrences
    units: dict[str, dict] = field(default_factory=dict)
    slowest: list[tuple[float, str]] = field(default_factory=list)


@dataclass
class Evaluation:
    runs: list[Run]
    floors: list[float]
    jit: str
    seconds_jit_off: float = math.nan

    @property
    def seconds(self) -> float:
        return median([run.seconds for run in self.runs])

    @property
    def floor_seconds(self) -> float:
        return median(self.floors)

    @property
    def typical(self) -> Run:
        return sorted(self.runs, key=lambda run: run.seconds)[len(self.runs) // 2]

    @property
    def stages_seconds(self) -> float:
        return self.typical.stages_seconds

    @property
    def rules_seconds(self) -> float:
        return self.typical.rules_seconds

    @property
    def statements(self) -> int:
        return self.typical.statements

    @property
    def stage_changes(self) -> int:
        return self.typical.stage_changes

    @property
    def created(self) -> int:
        return self.typical.created

    @property
    def rules(self) -> int:
        return sum(1 for unit in self.typical.units if unit.startswith("rule "))

    @property
    def occurrences(self) -> int:
        return sum(unit.get("occurrences", 0) for unit in self.typical.units.values())

    @property
    def top_units(self) -> list[dict]:
        units = self.typical.units.items()
        ranked = sorted(units, key=lambda item: item[1]["seconds"], reverse=True)[:6]
        return [
            {
                "unit": name,
                "seconds": round(unit["seconds"], 2),
                "query_seconds": round(unit.get("query_seconds", unit["seconds"]), 2),
                "occurrences": unit.get("occurrences"),
                "created": unit.get("created"),
            }
            for name, unit in ranked
        ]

    @property
    def top_statements(self) -> list[dict]:
        return [
            {"seconds": round(seconds, 2), "sql": sql}
            for seconds, sql in sorted(self.typical.slowest, reverse=True)[:5]
        ]


def measure_evaluation(*, repeat: int, jit_off_too: bool) -> Evaluation:
    """Floor and evaluation, alternately, `repeat` times; then once more with PostgreSQL's
    JIT compiler off, to show what it costs (it is on by default, and these plans trip it)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE members_member, campaigns_touchpoint, campaigns_stagechange")
        cursor.execute("SHOW jit")
        (jit,) = cursor.fetchone()
    evaluation = Evaluation(runs=[], floors=[], jit=jit)
    for number in range(1, repeat + 1):
        evaluation.floors.append(measure_floor())
        evaluation.runs.append(evaluate_once())
        run = evaluation.runs[-1]
        log(
            f"evaluation {number}: {run.seconds:.2f} s (stages {run.stages_seconds:.2f} s, "
            f"rules {run.rules_seconds:.2f} s), {run.statements} statements, "
            f"{run.created} touchpoints; floor {evaluation.floors[-1]:.2f} s"
        )
    if jit_off_too:
        with connection.cursor() as cursor:
            cursor.execute("SET jit = off")
        try:
            evaluation.seconds_jit_off = evaluate_once().seconds
        finally:
            with connection.cursor() as cursor:
                cursor.execute("RESET jit")
        log(f"evaluation with jit off: {evaluation.seconds_jit_off:.2f} s")
    return evaluation


def measure_floor() -> float:
    from django.db import connection

    params = {"since_30": NOW - dt.timedelta(days=30), "since_90": NOW - dt.timedelta(days=90)}
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(FLOOR_SQL, params)
        rows = cursor.fetchall()
    seconds = time.perf_counter() - started
    assert len(rows) == _member_count(), "the floor must cover every member"
    return seconds


def _member_count() -> int:
    from members.models import Member

    return Member.objects.count()


def evaluate_once() -> Run:
    """What the beat runs — stages for every club, then every rule at every club — at NOW,
    in a transaction rolled back at the end, so the next run finds the same state."""
    import time_machine
    from django.db import transaction

    from campaigns import evaluator, lifecycle
    from club.models import Club

    run = Run()
    with time_machine.travel(NOW, tick=True), profiled(run), transaction.atomic():
        started = time.perf_counter()
        for club in Club.objects.all():
            with run_unit(run, f"stages {club.slug}"):
                run.stage_changes += lifecycle.refresh_stages(club)
        run.stages_seconds = time.perf_counter() - started
        started_rules = time.perf_counter()
        run.created = evaluator.evaluate()
        run.rules_seconds = time.perf_counter() - started_rules
        run.seconds = time.perf_counter() - started
        transaction.set_rollback(True)
    return run


_current_unit: list[str] = ["other"]


@contextlib.contextmanager
def run_unit(run: Run, name: str) -> Iterator[dict]:
    unit = run.units.setdefault(name, {"statements": 0, "seconds": 0.0})
    _current_unit.append(name)
    started = time.perf_counter()
    try:
        yield unit
    finally:
        unit["seconds"] += time.perf_counter() - started
        _current_unit.pop()


@contextlib.contextmanager
def profiled(run: Run) -> Iterator[None]:
    """Count and time every statement, by unit of work: each club's stage refresh and each
    rule at each club (a thin wrapper around evaluator.evaluate_rule and
    triggers.occurrences, which evaluate() calls through their modules)."""
    from unittest import mock

    from django.db import connection

    from campaigns import evaluator, triggers

    evaluate_rule, occurrences = evaluator.evaluate_rule, triggers.occurrences

    def timed_evaluate_rule(rule, club, **window):
        with run_unit(run, f"rule {rule.number} {rule.trigger} {club.slug}") as unit:
            created = evaluate_rule(rule, club, **window)
            unit["created"] = unit.get("created", 0) + created
            return created

    def timed_occurrences(name, window, params):
        started = time.perf_counter()
        found = occurrences(name, window, params)
        unit = run.units.get(_current_unit[-1])
        if unit is not None:
            unit["query_seconds"] = unit.get("query_seconds", 0.0) + time.perf_counter() - started
            unit["occurrences"] = unit.get("occurrences", 0) + len(found)
        return found

    def counted(execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            seconds = time.perf_counter() - started
            run.statements += 1
            unit = run.units.get(_current_unit[-1])
            if unit is not None:
                unit["statements"] += 1
            run.slowest.append((seconds, f"[{_current_unit[-1]}] {' '.join(sql.split())[:160]}"))
            run.slowest = sorted(run.slowest, reverse=True)[:5]

    with (
        mock.patch.object(evaluator, "evaluate_rule", timed_evaluate_rule),
        mock.patch.object(triggers, "occurrences", timed_occurrences),
        connection.execute_wrapper(counted),
    ):
        yield


def statements_constant(small: Evaluation, large: Evaluation) -> tuple[bool, dict]:
    """Whether the statements grow with the members: each unit of work must issue as many
    statements at both sizes. Two differences do not depend on the number of members: a
    rule that finds nothing new (nothing at all, or only what the outbox holds) stops after
    its queries, and a stage refresh writes one UPDATE per stage members moved to (at most
    one per stage)."""
    from members.models import Member

    differing = {}
    small_units, large_units = small.typical.units, large.typical.units
    for name in sorted(set(small_units) | set(large_units)):
        few, many = small_units.get(name, {}), large_units.get(name, {})
        a, b = few.get("statements"), many.get("statements")
        if a == b:
            continue
        stages = name.startswith("stages ") and a is not None and b is not None
        if stages and abs(a - b) <= len(Member.Stage):
            continue
        if not few.get("created") or not many.get("created"):
            continue  # nothing new at one size: the rule stopped early there
        differing[name] = [a, b]
    return not differing, differing


# --- 2. dispatch -----------------------------------------------------------------------


def measure_dispatch(count: int, *, env: dict[str, str], db_url: str) -> dict:
    """Seconds from `dispatch_task` being sent to a worker until `count` due SMS are sent,
    against the same worker running `count` no-op tasks (before and after; the mean)."""
    import tempfile
    from collections import Counter

    import redis

    from benchmarks._worker import celery_worker
    from campaigns.models import Touchpoint
    from members.models import Member
    from tests.fake_twilio import FakeTwilio

    redis_url = bench_redis_url()
    broker = redis.Redis.from_url(redis_url)
    broker.delete("celery")  # the default queue, in the benchmark's own Redis database
    prepare_dispatch(count)
    with FakeTwilio() as fake, tempfile.TemporaryDirectory() as scratch:
        worker_env = {
            **env,
            "DATABASE_URL": db_url,
            "CELERY_BROKER_URL": redis_url,
            # The SMS throttle counts in the cache: shared by the worker's processes, as in
            # production; its limit is lifted, the benchmark measures our own overhead.
            "CACHE_URL": redis_url,
            "TWILIO_SEGMENTS_PER_SECOND": "1000000",
            "TWILIO_ENABLED": "true",
            "TWILIO_ACCOUNT_SID": "ACbenchmark",
            "TWILIO_AUTH_TOKEN": "benchmark-token",
            "TWILIO_API_BASE": fake.url,
            "CAMPAIGN_SMS_BACKEND": "campaigns.channels.twilio_sms.TwilioSMS",
        }
        app = producer(redis_url)
        log_path = Path(scratch) / "worker.log"
        try:
            with celery_worker(app, env=worker_env, log_path=log_path):
                log("worker ready (prefork, concurrency 2)")
                run_noops(app, broker, redis_url, 50)  # warm-up: both children up
                noop_before = run_noops(app, broker, redis_url, count)
                started = time.perf_counter()
                app.send_task("campaigns.tasks.dispatch_task")
                wait_for(
                    lambda: (
                        Touchpoint.objects.filter(status=Touchpoint.Status.SENT).count() >= count
                    ),
                    what=f"{count} touchpoints sent",
                    every=0.05,  # a count query: cheap, but not free for the two cores
                    log_path=log_path,
                )
                seconds = time.perf_counter() - started
                noop_after = run_noops(app, broker, redis_url, count)
        finally:
            app.close()
            broker.delete("celery")
            broker.close()
        received = Counter(message["to"] for message in fake.messages)
        statuses = Counter(Touchpoint.objects.values_list("status", flat=True))
        provider_ids = set(Touchpoint.objects.values_list("provider_id", flat=True))
        phones = {str(phone) for phone in Member.objects.values_list("phone", flat=True)}
        checked = {
            "messages": len(fake.messages),
            "each_member_once": set(received) == phones and set(received.values()) == {1},
            "statuses": dict(statuses),
            "provider_ids_match": provider_ids == {m["sid"] for m in fake.messages},
        }
    if not (checked["each_member_once"] and checked["provider_ids_match"]):
        raise SystemExit(f"dispatch sent something other than each message once: {checked}")
    noop_per_s = 2 / (1 / noop_before + 1 / noop_after)  # the mean rate of the two runs
    log(
        f"dispatch: {count} SMS in {seconds:.2f} s ({count / seconds:.0f}/s); no-op "
        f"{noop_before:.0f}/s before, {noop_after:.0f}/s after"
    )
    return {
        "dispatch_touchpoints": count,
        "dispatch_seconds": round(seconds, 2),
        "dispatch_per_s": round(count / seconds, 1),
        "noop_per_s": round(noop_per_s, 1),
        "checked": checked,
    }


def bench_redis_url() -> str:
    from urllib.parse import urlsplit, urlunsplit

    url = os.environ["REDIS_URL"]
    return urlunsplit(urlsplit(url)._replace(path=f"/{BENCH_REDIS_DB}"))


def producer(redis_url: str):
    """A Celery app like club.celery's, sending to the benchmark's broker."""
    from celery import Celery

    app = Celery("clubcycle-bench", set_as_current=False)
    app.config_from_object("django.conf:settings", namespace="CELERY")
    app.conf.update(broker_url=redis_url, broker_transport_options={}, result_backend=None)
    return app


def run_noops(app, broker, redis_url: str, count: int) -> float:
    """No-op tasks per second: from the first send until the last one has run."""
    import uuid

    from benchmarks._worker import NOOP_TASK

    counter = f"bench-noop-{uuid.uuid4().hex}"
    started = time.perf_counter()
    with app.producer_or_acquire() as publisher:
        for _ in range(count):
            app.send_task(NOOP_TASK, args=[redis_url, counter], producer=publisher)
    wait_for(lambda: int(broker.get(counter) or 0) >= count, what=f"{count} no-op tasks")
    seconds = time.perf_counter() - started
    broker.delete(counter)
    return count / seconds


def wait_for(
    done, *, what: str, every: float = 0.02, timeout: float = 600, log_path: Path | None = None
) -> None:
    deadline = time.monotonic() + timeout
    while not done():
        if time.monotonic() > deadline:
            tail = log_path.read_text(errors="replace")[-3000:] if log_path else ""
            raise SystemExit(f"timed out waiting for {what}\n{tail}")
        time.sleep(every)


def prepare_dispatch(count: int) -> None:
    """`count` members of one club with SMS consent and their birthday today, one birthday
    SMS rule due at midnight, evaluated: `count` touchpoints due now. The club's quiet hours
    are put 12 hours away, so the run never waits for the morning. Earlier runs' rows go."""
    from campaigns import evaluator
    from campaigns.models import Rule, Touchpoint
    from club import clock
    from club.models import Club
    from members.models import Member

    Touchpoint.objects.all().delete()
    Member.objects.all().delete()
    Club.objects.filter(slug="bench-dispatch").delete()
    Rule.objects.filter(number=DISPATCH_RULE).delete()
    Rule.objects.update(is_active=False)  # this database is the benchmark's own
    quiet_start = (clock.local_now() + dt.timedelta(hours=12)).replace(second=0, microsecond=0)
    club = Club.objects.create(
        name="Bench dispatch",
        slug="bench-dispatch",
        sms_sender="ClubCycle",
        quiet_hours_start=quiet_start.time(),
        quiet_hours_end=(quiet_start + dt.timedelta(minutes=1)).time(),
    )
    today = clock.today(club)
    now = clock.now()
    Member.objects.bulk_create(
        [
            Member(
                home_club=club,
                status=Member.Status.MEMBER,
                first_name=f"Member{number}",
                last_name="Bench",
                phone=f"+3162{number:07d}",
                birth_date=dt.date(1992, today.month, today.day),
                sms_consent=True,
                created_at=now,
            )
            for number in range(count)
        ]
    )
    rule = Rule.objects.create(
        number=DISPATCH_RULE,
        name="Birthday greeting (benchmark)",
        trigger="birthday",
        params={"at": "00:00"},
        channel="sms",
        template="Happy birthday, {{ first_name }}! ({{ club }})",
        holdout_percent=0,
    )
    created = evaluator.evaluate_rule(rule, club, since=now - evaluator.LOOKBACK, until=now)
    if created != count:
        raise SystemExit(f"expected {count} due touchpoints, the evaluator made {created}")


if __name__ == "__main__":
    sys.exit(main())
