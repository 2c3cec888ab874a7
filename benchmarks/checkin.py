"""Benchmark: turnstile check-ins and desk search with 100,000 members, against a floor.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/clubcycle python -m benchmarks.checkin

Runs in the database `clubcycle_bench_checkin` on the server DATABASE_URL points at
(created, migrated and seeded when missing; reused when it already holds this seed),
so neither the working database nor the seed benchmark's (which resets its own) is
touched. The real app is served by gunicorn on loopback: DEBUG off, persistent database
connections, three sync workers for the two cores (sync workers close each HTTP
connection, so floor and check-in clients alike reconnect per request). Eight client
threads alternate phases of the floor (a plain view fetching one member by primary key,
served by the same gunicorn) and of `POST /api/v1/checkins`, each check-in by a member
nobody scanned in the last two minutes; every answer, and every row the run wrote, is
checked against what the seeded memberships say it must be. Figures are medians over the
phases. Desk search is timed in-process, as the desk runs it. Prints exactly one JSON
line; progress goes to stderr.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import sys
import time
from collections import Counter
from dataclasses import dataclass

from benchmarks._support import (
    Phase,
    Request,
    database_url,
    gunicorn,
    log,
    median,
    percentile,
    postgres_url_or_exit,
    production_like_environment,
    run_phase,
)
from club.databases import ensure_database

BENCH_DATABASE = "clubcycle_bench_checkin"
# Bump when the shape of the seeded data changes: the bench database is then rebuilt.
SEED_VERSION = 1
MEMBERS = 100_000
CONCURRENCY = 8
TARGET_RATIO_P50 = 1.5
TARGET_RATIO_P95 = 2.0
TARGET_CHECKINS_PER_S = 50
TARGET_SEARCH_P95_MS = 100
FLOOR_PATH = "/bench/floor/"

# --- what the seed looks like ----------------------------------------------------------

FIRST_NAMES = (
    "Anna", "Emma", "Sanne", "Lotte", "Julia", "Sophie", "Fleur", "Lisa", "Eva", "Noa",
    "Saar", "Tess", "Mila", "Zoë", "Chloé", "Anaïs", "Inês", "Maëlle", "Ayşe", "Fatima",
    "Yasmina", "Priya", "Mei", "Olga", "Ingrid", "Søren", "Björn", "Jürgen", "Sébastien",
    "José", "Ángel", "Noël", "Émile", "Łukasz", "Jan", "Pieter", "Daan", "Sem", "Lucas",
    "Levi", "Finn", "Milan", "Bram", "Thijs", "Ruben", "Jesse", "Lars", "Max", "Tim",
    "Mohammed", "Youssef", "Mehmet", "Ahmed", "Wei", "Tomasz", "Marco", "Luca", "Kevin",
    "Jeroen", "Maarten",
)  # fmt: skip
LAST_NAMES = (
    "de Jong", "Jansen", "de Vries", "van den Berg", "van Dijk", "Bakker", "Janssen",
    "Visser", "Smit", "Meijer", "de Boer", "Mulder", "de Groot", "Bos", "Vos", "Peters",
    "Hendriks", "van Leeuwen", "Dekker", "Brouwer", "de Wit", "Dijkstra", "Smits",
    "de Graaf", "van der Meer", "van der Linden", "Kok", "Jacobs", "de Haan", "Vermeulen",
    "van den Heuvel", "van der Veen", "van den Broek", "de Bruijn", "Schouten", "Willems",
    "Hoekstra", "Koster", "Prins", "Huisman", "Yılmaz", "Kaya", "Öztürk", "Çelik",
    "El Amrani", "Benali", "Bouzid", "Nguyen", "Tran", "García", "Núñez", "Hernández",
    "Müller", "Schäfer", "Weiß", "Ødegård", "Kowalski", "Wiśniewski", "Novák",
    "Kovačević", "Silva", "Ferreira", "Santos", "Rossi", "Bianchi", "Dubois", "Lefèvre",
    "O'Brien", "Murphy", "Kumar", "Singh", "Chen", "Wang", "Pereira", "Lindqvist",
)  # fmt: skip
EMAIL_DOMAINS = ("gmail.com", "hotmail.com", "outlook.com", "ziggo.nl", "kpnmail.nl")

# (category, share): what each member holds at Downtown's turnstile today.
CATEGORIES = (
    ("monthly", 0.60),  # monthly time plan in force, often with the previous month before it
    ("annual_all_clubs", 0.10),  # annual plan valid at every club
    ("pack", 0.12),  # 10-visit pack in force with visits left
    ("pack_empty", 0.02),  # pack in force, nothing left → no_visits_left
    ("unpaid", 0.02),  # monthly in force but past due → unpaid
    ("frozen", 0.02),  # monthly in force, frozen today → frozen
    ("riverside_only", 0.02),  # Riverside member whose plan is not valid downtown → wrong_club
    ("expired", 0.07),  # last membership ended → expired
    ("lead", 0.03),  # no membership at all → no_membership
)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--members", type=int, default=MEMBERS)
    parser.add_argument("--concurrency", type=int, default=CONCURRENCY)
    parser.add_argument("--rounds", type=int, default=8, help="floor/check-in phase pairs")
    parser.add_argument("--per-phase", type=int, default=400, help="requests in each phase")
    parser.add_argument("--warmup", type=int, default=200, help="requests in each warm-up phase")
    parser.add_argument("--workers", type=int, default=3, help="gunicorn workers")
    parser.add_argument("--worker-class", default="sync", choices=["sync", "gthread"])
    parser.add_argument("--threads", type=int, default=1, help="threads per gthread worker")
    parser.add_argument("--search-queries", type=int, default=300)
    parser.add_argument("--reseed", action="store_true", help="rebuild the bench database")
    parser.add_argument("--seed", type=int, default=7, help="random seed of the member data")
    args = parser.parse_args(argv)

    bench_url = database_url(postgres_url_or_exit("checkin"), BENCH_DATABASE)
    env = production_like_environment(bench_url)
    # The in-process half (seeding, checks, search) runs with the same settings as gunicorn.
    os.environ.update(env)
    started = time.monotonic()
    load_at_start = os.getloadavg()[0]
    ensure_database(bench_url, recreate=args.reseed)

    import django

    django.setup()
    from django.core.management import call_command

    log(f"migrating {BENCH_DATABASE}")
    call_command("migrate", verbosity=0, interactive=False)
    world = ensure_seeded(args.members, args.seed)

    plan = plan_run(world, count=args.warmup + args.rounds * args.per_phase)
    log(
        f"{len(plan.cards)} members to scan (expect {plan.expected_allowed} admitted, "
        f"{plan.expected_by_pack} of them on a pack)"
    )

    warm, floors, checkins = measure_requests(world, plan, env=env, args=args)
    checked = verify_checkins(plan, [warm[1], *checkins])
    verify_floors([warm[0], *floors])
    log(f"verified {checked['responses']} check-in answers and what they wrote")

    search = measure_search(world, queries=args.search_queries)
    log(f"search p95 {search['p95_ms']:.1f} ms over {search['queries']} queries")

    figures = summarise(floors, checkins)
    result = {
        "benchmark": "checkin",
        "members": world.members,
        "concurrency": args.concurrency,
        "requests": sum(phase.count for phase in floors + checkins),
        "server": f"gunicorn {args.workers}x{args.worker_class}"
        + (f" {args.threads} threads" if args.worker_class == "gthread" else ""),
        **figures,
        "target_ratio_p50": TARGET_RATIO_P50,
        "target_ratio_p95": TARGET_RATIO_P95,
        "target_checkins_per_s": TARGET_CHECKINS_PER_S,
        "search_p50_ms": round(search["p50_ms"], 2),
        "search_p95_ms": round(search["p95_ms"], 2),
        "search_queries": search["queries"],
        "target_search_p95_ms": TARGET_SEARCH_P95_MS,
        "search_indexes": search["indexes"],
        "checked": checked,
        "met": {
            "ratio_p50": figures["ratio_p50"] <= TARGET_RATIO_P50,
            "ratio_p95": figures["ratio_p95"] <= TARGET_RATIO_P95,
            "checkins_per_s": figures["checkin_per_s"] >= TARGET_CHECKINS_PER_S,
            "search_p95": search["p95_ms"] < TARGET_SEARCH_P95_MS,
        },
        "seconds": round(time.monotonic() - started, 1),
        # Other work on the machine slows floor and check-in alike; this says how much there was.
        "load_average": [round(load_at_start, 2), round(os.getloadavg()[0], 2)],
    }
    print(json.dumps(result))
    return 0


def measure_requests(
    world: World, plan: RunPlan, *, env: dict[str, str], args: argparse.Namespace
) -> tuple[list[Phase], list[Phase], list[Phase]]:
    """Warm up, then alternate floor and check-in phases on one gunicorn; stop it after."""
    floors: list[Phase] = []
    checkins: list[Phase] = []
    with gunicorn(
        env=env,
        workers=args.workers,
        worker_class=args.worker_class,
        threads=args.threads,
        wsgi="benchmarks.checkin:application_with_floor()",
        ready_path=f"{FLOOR_PATH}{world.any_member_id}",
    ) as port:
        log(f"gunicorn on 127.0.0.1:{port}: {args.workers} {args.worker_class} workers")
        floor_requests = floor_requests_for(world, random.Random())
        cards = iter(plan.cards)

        def checkin_requests(count: int) -> list[Request]:
            return [checkin_request(next(cards), plan.token) for _ in range(count)]

        def phase(name: str, requests: list[Request]) -> Phase:
            return run_phase(name, port, requests, concurrency=args.concurrency)

        warm = [
            phase("warm-floor", floor_requests(args.warmup)),
            phase("warm-checkin", checkin_requests(args.warmup)),
        ]
        for number in range(1, args.rounds + 1):
            floor = phase("floor", floor_requests(args.per_phase))
            checkin = phase("checkin", checkin_requests(args.per_phase))
            floors.append(floor)
            checkins.append(checkin)
            log(
                f"round {number}: floor p50 {floor.percentile_ms(50):.1f} ms "
                f"p95 {floor.percentile_ms(95):.1f} ms {floor.per_second:.0f}/s | "
                f"check-in p50 {checkin.percentile_ms(50):.1f} ms "
                f"p95 {checkin.percentile_ms(95):.1f} ms {checkin.per_second:.0f}/s"
            )
    return warm, floors, checkins


def application_with_floor():
    """The project's WSGI application with the floor added to its URLs, for gunicorn
    (`benchmarks.checkin:application_with_floor()`). Both go through the same middleware.

    The floor's URL comes with each request (`request.urlconf`), so no settings module or
    URLconf file is needed beside the benchmarks, which scripts/bench.sh would run as ones.
    """
    import django
    from django.core.handlers.wsgi import WSGIHandler
    from django.http import HttpRequest, JsonResponse
    from django.urls import path

    django.setup(set_prefix=False)  # as django.core.wsgi.get_wsgi_application() does
    from club.urls import urlpatterns as project_urlpatterns
    from members.models import Member

    def floor(request: HttpRequest, pk: int) -> JsonResponse:
        """Fetch one member by primary key and answer a tiny JSON: what a check-in is held to."""
        member = Member.objects.get(pk=pk)
        return JsonResponse({"id": member.pk, "first_name": member.first_name})

    class URLs:  # a URLconf needs no module, only `urlpatterns`
        urlpatterns = [path(f"{FLOOR_PATH[1:]}<int:pk>", floor), *project_urlpatterns]

    class WithFloor(WSGIHandler):
        def get_response(self, request):
            request.urlconf = URLs
            return super().get_response(request)

    return WithFloor()


# --- seeding ---------------------------------------------------------------------------


@dataclass(frozen=True)
class World:
    """The seeded clubs and the range of member ids."""

    members: int
    downtown_id: int
    riverside_id: int
    first_member_id: int
    last_member_id: int

    @property
    def any_member_id(self) -> int:
        return self.first_member_id


def ensure_seeded(members: int, seed: int) -> World:
    """Seed the bench database once; on later runs move its dates to today and reuse it."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TABLE IF NOT EXISTS bench_checkin_seed "
            "(version int NOT NULL, members int NOT NULL, seed int NOT NULL, "
            "seeded_on date NOT NULL)"
        )
        cursor.execute("SELECT version, members, seed, seeded_on FROM bench_checkin_seed")
        marker = cursor.fetchone()
        cursor.execute("SELECT count(*) FROM members_member")
        (count,) = cursor.fetchone()
    if marker is not None and marker[:3] == (SEED_VERSION, members, seed) and count == members:
        _move_dates_to_today(marker[3])
    else:
        if marker is not None or count:
            raise SystemExit(
                f"{BENCH_DATABASE} holds other data ({count} members, marker {marker}); "
                "rerun with --reseed to rebuild it."
            )
        _seed(members, seed)
    return _world()


def _today():
    from club import clock

    return clock.today()  # Downtown and Riverside are both in the default time zone


def _move_dates_to_today(seeded_on: dt.date) -> None:
    """Shift membership and freeze dates by the days since seeding, so what was in force
    then is in force today. Visits stay put: moved, earlier runs' would land in the future."""
    from django.db import connection, transaction

    days = (_today() - seeded_on).days
    if days == 0:
        return
    log(f"moving the seeded dates {days} days forward")
    with transaction.atomic(), connection.cursor() as cursor:
        for table in ("memberships_membership", "memberships_freeze"):
            cursor.execute(f'UPDATE {table} SET start = start + %s, "end" = "end" + %s', [days] * 2)
        cursor.execute("UPDATE bench_checkin_seed SET seeded_on = %s", [_today()])
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")


def _world() -> World:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT id FROM club_club WHERE slug IN ('downtown', 'riverside') ORDER BY slug"
        )
        downtown_id, riverside_id = (row[0] for row in cursor.fetchall())
        cursor.execute("SELECT count(*), min(id), max(id) FROM members_member")
        count, first, last = cursor.fetchone()
    return World(count, downtown_id, riverside_id, first, last)


def _seed(members: int, seed: int) -> None:
    """Clubs, plans and `members` members with memberships and some history, set-based."""
    from django.contrib.auth.models import Group, User
    from django.db import connection, transaction

    from club import clock
    from club.models import Club
    from members.models import Member
    from members.search import search_name
    from memberships.models import Freeze, Membership, Plan

    started = time.monotonic()
    log(f"seeding {members:,} members (once; later runs reuse them)")
    rng = random.Random(seed)
    today = _today()
    now = clock.now()
    with transaction.atomic():
        downtown = Club.objects.create(name="Downtown", slug="downtown", phone="+31201234567")
        riverside = Club.objects.create(name="Riverside", slug="riverside", phone="+31107654321")
        monthly = Plan.objects.create(
            club=downtown, name="Monthly", kind="time", price=39, duration_days=30, auto_renew=True
        )
        annual = Plan.objects.create(
            club=downtown,
            name="Annual, all clubs",
            kind="time",
            price=399,
            duration_days=365,
            valid_at_all_clubs=True,
        )
        pack = Plan.objects.create(
            club=downtown, name="10-visit pack", kind="pack", price=99, duration_days=90,
            visits_included=10,
        )  # fmt: skip
        riverside_monthly = Plan.objects.create(
            club=riverside, name="Monthly Riverside", kind="time", price=35, duration_days=30
        )
        desk = User.objects.create_user("bench-desk", is_staff=True)
        desk.groups.add(*Group.objects.filter(name="Front desk"))
        downtown.staff.add(desk)

        new_members, new_memberships, new_freezes = [], [], []
        categories = [name for name, _ in CATEGORIES]
        weights = [share for _, share in CATEGORIES]

        def membership(number, plan, start, end, status="active", visits_left=None, renewed=None):
            new_memberships.append(
                Membership(
                    pk=len(new_memberships) + 1, member_id=number, plan=plan, start=start,
                    end=end, status=status, price_paid=plan.price, visits_left=visits_left,
                    renewed_from_id=renewed, created_at=now,
                )
            )  # fmt: skip
            return new_memberships[-1].pk

        for number in range(1, members + 1):
            category = rng.choices(categories, weights)[0]
            first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
            local = search_name(first, "").replace(" ", "") + "." + search_name(last, "")
            email = f"{local.replace(' ', '')}{number}@{rng.choice(EMAIL_DOMAINS)}"
            if rng.random() < 0.2:
                email = email.capitalize()
            created = now - dt.timedelta(days=rng.randint(30, 1500))
            member = Member(
                pk=number,
                home_club=riverside if category == "riverside_only" else downtown,
                status={"lead": "lead", "expired": "former"}.get(category, "member"),
                first_name=first,
                last_name=last,
                email=email,
                phone=f"+316{number + 10_000_000:08d}",
                birth_date=dt.date(1950, 1, 1) + dt.timedelta(days=rng.randint(0, 20_000)),
                card_token=_card_token(number),
                sms_consent=rng.random() < 0.6,
                email_consent=rng.random() < 0.7,
                created_at=created,
                updated_at=created,
            )
            member.set_derived_fields()  # search_name, exactly as save() would fold it
            new_members.append(member)

            if category in ("monthly", "unpaid", "frozen"):
                start = today - dt.timedelta(days=rng.randint(0, 29))
                previous = None
                if rng.random() < 0.5:
                    previous = membership(
                        number, monthly, start - dt.timedelta(30), start - dt.timedelta(1)
                    )
                status = "past_due" if category == "unpaid" else "active"
                end = start + dt.timedelta(29)
                if category == "frozen":
                    freeze_start = today - dt.timedelta(days=rng.randint(0, 6))
                    freeze_end = freeze_start + dt.timedelta(13)
                    end += freeze_end - freeze_start + dt.timedelta(1)
                current = membership(number, monthly, start, end, status, renewed=previous)
                if category == "frozen":
                    new_freezes.append(
                        Freeze(
                            membership_id=current, start=freeze_start, end=freeze_end,
                            reason="Holiday", created_at=now,
                        )
                    )  # fmt: skip
            elif category == "annual_all_clubs":
                start = today - dt.timedelta(days=rng.randint(0, 360))
                membership(number, annual, start, start + dt.timedelta(364))
            elif category in ("pack", "pack_empty"):
                start = today - dt.timedelta(days=rng.randint(0, 85))
                left = 0 if category == "pack_empty" else rng.randint(1, 10)
                membership(number, pack, start, start + dt.timedelta(89), visits_left=left)
            elif category == "riverside_only":
                start = today - dt.timedelta(days=rng.randint(0, 29))
                membership(number, riverside_monthly, start, start + dt.timedelta(29))
            elif category == "expired":
                end = today - dt.timedelta(days=rng.randint(1, 300))
                membership(number, monthly, end - dt.timedelta(29), end)

        with connection.cursor() as cursor:
            _copy_models(cursor, new_members)
            _copy_models(cursor, new_memberships)
            _copy_models(cursor, new_freezes)
            for table in ("members_member", "memberships_membership"):
                cursor.execute(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), max(id)) FROM {table}"
                )
            # History: up to three visits in the last two months for members in force, each
            # with its timeline row, at least a day ago (so no scan of today is a repeat).
            cursor.execute(
                """
                WITH history AS (
                    SELECT ms.member_id, ms.id AS membership_id, %(club)s::bigint AS club_id,
                           %(now)s::timestamptz - make_interval(days => 1 + (random() * 59)::int,
                                                                mins => (random() * 720)::int) AS at
                    FROM memberships_membership ms
                    CROSS JOIN generate_series(1, 3) AS n
                    WHERE ms.status = 'active' AND ms.end >= %(today)s AND random() < 0.8
                ), visits AS (
                    INSERT INTO checkin_visit
                        (member_id, club_id, at, source, membership_id, override_reason)
                    SELECT member_id, club_id, at, 'turnstile', membership_id, '' FROM history
                    RETURNING id, member_id, at
                )
                INSERT INTO members_memberevent (member_id, kind, at, data)
                SELECT member_id, 'visit', at,
                       jsonb_build_object('visit', id, 'club', 'downtown', 'source', 'turnstile')
                FROM visits
                """,
                {"club": downtown.pk, "now": now, "today": today},
            )
            cursor.execute(
                "INSERT INTO bench_checkin_seed (version, members, seed, seeded_on) "
                "VALUES (%s, %s, %s, %s)",
                [SEED_VERSION, members, seed, today],
            )
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    log(f"seeded in {time.monotonic() - started:.0f} s")


def _card_token(number: int) -> str:
    # Multiplying by an odd constant is a bijection modulo 2**32: unique, random-looking ids.
    return f"{number * 2654435761 % 2**32:08X}"


def _copy_models(cursor, objs: list) -> None:
    """COPY unsaved model instances into their table: every concrete column, as save() would
    write it, so a field added later with a default needs no change here."""
    from django.db import connection

    model = type(objs[0])
    fields = [f for f in model._meta.concrete_fields if not (f.primary_key and objs[0].pk is None)]
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    with cursor.copy(f"COPY {model._meta.db_table} ({columns}) FROM STDIN") as copy:
        for obj in objs:
            copy.write_row(
                [f.get_db_prep_save(f.pre_save(obj, add=True), connection) for f in fields]
            )


# --- the run ---------------------------------------------------------------------------


@dataclass
class RunPlan:
    token: str
    club_id: int
    since: dt.datetime
    day: dt.date
    cards: list[str]
    expected: dict[str, str]  # card → "time" | "pack" (admitted on it) | "denied"

    @property
    def expected_allowed(self) -> int:
        return sum(1 for outcome in self.expected.values() if outcome != "denied")

    @property
    def expected_by_pack(self) -> int:
        return sum(1 for outcome in self.expected.values() if outcome == "pack")


# What a scan at the club must do, written independently of the check-in service: admitted
# on a time plan if one admits, else on a pack with visits left, else denied.
EXPECTED_SQL = """
WITH admitting AS (
    SELECT ms.member_id, p.kind
    FROM memberships_membership ms JOIN memberships_plan p ON p.id = ms.plan_id
    WHERE ms.status = 'active' AND ms.start <= %(day)s AND ms."end" >= %(day)s
      AND (p.valid_at_all_clubs OR p.club_id = %(club)s)
      AND (p.kind <> 'pack' OR ms.visits_left > 0)
      AND NOT EXISTS (SELECT 1 FROM memberships_freeze f
                      WHERE f.membership_id = ms.id AND f.start <= %(day)s AND f."end" >= %(day)s)
)
SELECT m.card_token,
       CASE WHEN EXISTS (SELECT 1 FROM admitting a WHERE a.member_id = m.id AND a.kind <> 'pack')
                 THEN 'time'
            WHEN EXISTS (SELECT 1 FROM admitting a WHERE a.member_id = m.id) THEN 'pack'
            ELSE 'denied' END
FROM members_member m
WHERE m.card_token IS NOT NULL
  AND NOT EXISTS (SELECT 1 FROM checkin_visit v
                  WHERE v.member_id = m.id AND v.at > %(now)s - interval '2 minutes')
ORDER BY random()
LIMIT %(count)s
"""


def plan_run(world: World, *, count: int) -> RunPlan:
    """A token for Downtown's turnstile and `count` distinct members to scan, with the
    outcome each scan must have. Members scanned in the last two minutes are left out: the
    service would answer them with their earlier visit."""
    from django.db import connection

    from club import clock
    from club.models import Club, Integration

    downtown = Club.objects.get(pk=world.downtown_id)
    now = clock.now()
    day = clock.today(downtown)
    _, token = Integration.issue(
        club=downtown, name=f"Bench turnstile {now:%H:%M:%S}", scopes=["checkin"]
    )
    with connection.cursor() as cursor:
        cursor.execute(
            EXPECTED_SQL,
            {"day": day, "club": downtown.pk, "now": now, "count": count},
        )
        expected = dict(cursor.fetchall())
    if len(expected) < count:
        raise SystemExit(f"Only {len(expected)} members can be scanned now; {count} needed.")
    cards = list(expected)
    return RunPlan(
        token=token, club_id=downtown.pk, since=now, day=day, cards=cards, expected=expected
    )


def floor_requests_for(world: World, rng: random.Random):
    def requests(count: int) -> list[Request]:
        return [
            Request(
                "GET", f"{FLOOR_PATH}{rng.randint(world.first_member_id, world.last_member_id)}"
            )
            for _ in range(count)
        ]

    return requests


def checkin_request(card: str, token: str) -> Request:
    return Request(
        "POST",
        "/api/v1/checkins",
        json.dumps({"card": card}).encode(),
        {"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )


class VerificationError(AssertionError):
    pass


def verify_floors(phases: list[Phase]) -> None:
    statuses = Counter(status for phase in phases for status in phase.statuses)
    if set(statuses) != {200}:
        raise VerificationError(f"floor answers other than 200: {dict(statuses)}")


def verify_checkins(plan: RunPlan, phases: list[Phase]) -> dict:
    """Every answer is 200 with the expected admission, and the database holds exactly one
    visit (or denial) per scan, with one ledger debit per pack admission."""
    from django.db.models import Q

    from checkin.models import CheckInAttempt, Visit
    from club import clock
    from members.models import MemberEvent
    from memberships.models import LedgerEntry

    if clock.today() != plan.day:
        raise VerificationError("The run crossed midnight, so expectations changed: run again.")
    answers = Counter()
    mismatches = []
    cards = iter(plan.cards)
    for phase in phases:
        for status, body in zip(phase.statuses, phase.bodies, strict=True):
            card = next(cards)
            if status == 0:
                raise VerificationError(f"{phase.name}: a request was not sent in time")
            if status != 200:
                raise VerificationError(f"check-in of {card} answered {status}: {body[:200]!r}")
            answer = json.loads(body)
            expected = plan.expected[card]
            allowed = expected != "denied"
            answers["allowed" if answer["allowed"] else answer["reason"]] += 1
            if (
                answer["allowed"] is not allowed
                or answer["repeat_scan"] is not False
                or (answer["visit_id"] is not None) is not allowed
                or (answer["reason"] is None) is not allowed
            ):
                mismatches.append((card, expected, answer))
    if mismatches:
        raise VerificationError(f"{len(mismatches)} unexpected answers, e.g. {mismatches[:3]}")

    scanned = plan.cards[: sum(len(phase.statuses) for phase in phases)]
    expected_visits = sum(1 for card in scanned if plan.expected[card] != "denied")
    expected_debits = sum(1 for card in scanned if plan.expected[card] == "pack")
    run = Q(at__gte=plan.since, club_id=plan.club_id, source="turnstile")
    visits = Visit.objects.filter(run).count()
    denials = CheckInAttempt.objects.filter(run).count()
    debits = LedgerEntry.objects.filter(
        at__gte=plan.since, kind=LedgerEntry.Kind.VISIT, visit__club_id=plan.club_id
    ).count()
    events = MemberEvent.objects.filter(
        at__gte=plan.since, kind__in=[MemberEvent.Kind.VISIT, MemberEvent.Kind.CHECK_IN_DENIED]
    ).count()
    written = {"visits": visits, "denials": denials, "debits": debits, "events": events}
    wanted = {
        "visits": expected_visits,
        "denials": len(scanned) - expected_visits,
        "debits": expected_debits,
        "events": len(scanned),
    }
    if written != wanted:
        raise VerificationError(f"the run wrote {written}, expected {wanted}")
    return {"responses": len(scanned), **written, "answers": dict(sorted(answers.items()))}


def summarise(floors: list[Phase], checkins: list[Phase]) -> dict:
    """Medians over the phases of each phase's percentiles and throughput."""

    def figures(phases: list[Phase]) -> tuple[float, float, float]:
        return (
            median([phase.percentile_ms(50) for phase in phases]),
            median([phase.percentile_ms(95) for phase in phases]),
            median([phase.per_second for phase in phases]),
        )

    floor_p50, floor_p95, floor_per_s = figures(floors)
    checkin_p50, checkin_p95, checkin_per_s = figures(checkins)
    return {
        "checkin_p50_ms": round(checkin_p50, 2),
        "checkin_p95_ms": round(checkin_p95, 2),
        "checkin_per_s": round(checkin_per_s, 1),
        "floor_p50_ms": round(floor_p50, 2),
        "floor_p95_ms": round(floor_p95, 2),
        "floor_per_s": round(floor_per_s, 1),
        "ratio_p50": round(checkin_p50 / floor_p50, 2),
        "ratio_p95": round(checkin_p95 / floor_p95, 2),
    }


# --- search ----------------------------------------------------------------------------


def search_queries(world: World, count: int, rng: random.Random) -> list[str]:
    """What the desk types: bits of names, whole names, phones as people say them, emails
    and scanned cards, for members picked at random."""
    from members.models import Member

    # The desk is at Downtown and sees only Downtown's members.
    ids = rng.sample(range(world.first_member_id, world.last_member_id + 1), count * 2)
    found = Member.objects.filter(pk__in=ids, home_club_id=world.downtown_id).in_bulk()
    members = [found[pk] for pk in ids if pk in found][:count]
    kinds = ["first_part", "last_part", "full_name", "phone", "email", "card"]
    queries = []
    for number, member in enumerate(members):
        kind = kinds[number % len(kinds)]
        last_word = member.last_name.split()[-1]
        if kind == "first_part":
            query = member.first_name[: rng.randint(3, max(3, len(member.first_name)))]
        elif kind == "last_part":
            query = last_word[: rng.randint(3, max(3, len(last_word)))].lower()
        elif kind == "full_name":
            query = member.full_name if rng.random() < 0.7 else member.full_name.lower()
        elif kind == "phone":
            national = "0" + str(member.phone)[3:]  # +316… → 06…
            query = rng.choice(
                [
                    national,
                    f"{national[:2]} {national[2:6]} {national[6:]}",
                    f"{national[:2]}-{national[2:]}",
                ]
            )
        elif kind == "email":
            query = member.email if rng.random() < 0.5 else member.email.lower()
        else:
            query = member.card_token
        queries.append(query)
    return queries


def measure_search(world: World, *, queries: int) -> dict:
    """Time what the desk's search does for each query: the match, the ordered first page
    with memberships, plans and freezes, and the badges."""
    from django.contrib.auth.models import User
    from django.test import RequestFactory
    from django.urls import get_resolver

    from checkin.desk import views
    from club import clock
    from club.models import Club

    get_resolver().url_patterns  # noqa: B018  (loading Wagtail's admin URLs registers the scopes)
    user = User.objects.get(username="bench-desk")
    club = Club.objects.get(pk=world.downtown_id)
    request = RequestFactory().get("/admin/desk/search/")
    request.user = user
    rng = random.Random(11)
    mix = search_queries(world, queries, rng)
    rng.shuffle(mix)
    for query in mix[:20]:  # warm caches and connections, as a desk open all day would have
        views.results_context(request, club, query)
    timings = []
    empty = 0
    for query in mix:
        started = time.perf_counter()
        context = views.results_context(request, club, query)
        timings.append((time.perf_counter() - started) * 1000)
        empty += not context["rows"]
    if empty:
        raise VerificationError(f"{empty} of {len(mix)} searches for existing members found none")

    # Which indexes answer each kind of query; a scan of every member would show as a Seq Scan.
    indexes = {}
    samples = {
        "name": "jan",
        "full_name": "Sanne de Vries",
        "phone": "06 1000 0042",
        "email": "Anna.Jansen42@gmail.com",
        "card": _card_token(42),
    }
    today = clock.today(club)
    for kind, query in samples.items():
        page = views.search_results(request, club, query, today)[: views.SEARCH_LIMIT + 1]
        indexes[kind] = sorted(_scans(json.loads(page.explain(format="json"))[0]["Plan"]))
    return {
        "queries": len(timings),
        "p50_ms": percentile(timings, 50),
        "p95_ms": percentile(timings, 95),
        "indexes": indexes,
    }


def _scans(node: dict) -> set[str]:
    """The indexes a plan reads, and any sequential scan of the members table."""
    found = set()
    if "Index Name" in node:
        found.add(node["Index Name"])
    if node["Node Type"] == "Seq Scan" and node.get("Relation Name") == "members_member":
        found.add("Seq Scan on members_member")
    for child in node.get("Plans", []):
        found |= _scans(child)
    return found


if __name__ == "__main__":
    sys.exit(main())
