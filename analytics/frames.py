"""Typed DataFrames loaded from the records: the only module of analytics that queries.

Each loader selects only the columns its reports need, filtered by club and period in
SQL, and returns a frame whose columns and dtypes are fixed by a schema below, even when
no row matches. On PostgreSQL the rows are streamed with COPY into pandas' CSV parser;
elsewhere they come through the ORM in chunks (`_read_queryset`). Days are club-local
dates (`datetime64[s]` at midnight); instants are UTC (`datetime64[s, UTC]`).
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Collection, Iterable, Sequence
from itertools import islice
from zoneinfo import ZoneInfo

import pandas as pd
from django.db import connection
from django.db.models import (
    Case,
    Count,
    DateField,
    DateTimeField,
    Exists,
    F,
    Func,
    IntegerField,
    OuterRef,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce, TruncDate, TruncWeek

from campaigns.models import Touchpoint
from checkin.models import Booking, Visit
from club.models import Club
from members.models import Member
from memberships.models import Membership, Plan

DAY = "datetime64[s]"
INSTANT = "datetime64[s, UTC]"
CHUNK = 50_000
WINDOW_DAYS = 30  # the visit window before a membership's end that sets its visit band

MEMBERSHIPS = {
    "membership_id": "int64",
    "member_id": "int64",
    "club_id": "int64",
    "club_slug": "str",
    "plan_id": "int64",
    "plan_name": "str",
    "plan_kind": "str",
    "start": DAY,
    "end": DAY,
    "status": "str",
    "renewed_from_id": "Int64",
    "price_paid": "float64",
    "bought": DAY,
    "grace_days": "int64",
    "window_visits": "int64",
}
# The plan's and club's columns of MEMBERSHIPS, joined in pandas from a few plan rows.
_PLAN_COLUMNS = ("club_id", "club_slug", "plan_name", "plan_kind", "grace_days")
# What memberships() reads per row.
_MEMBERSHIP_ROWS = {c: dtype for c, dtype in MEMBERSHIPS.items() if c not in _PLAN_COLUMNS}
WEEKLY_VISITS = {"member_id": "int64", "week": DAY, "visits": "int64"}
VISIT_INSTANTS = {"member_id": "int64", "at": INSTANT}
MEMBERS = {
    "member_id": "int64",
    "club_id": "int64",
    "name": "str",
    "status": "str",
    "stage": "str",
    "source": "str",
    "created": INSTANT,
}
_MEMBER_ROWS = {  # what members() reads: the name is put together from its parts
    "member_id": "int64",
    "club_id": "int64",
    "first_name": "str",
    "last_name": "str",
    "status": "str",
    "stage": "str",
    "source": "str",
    "created": INSTANT,
}
TRIALS = {
    "booking_id": "int64",
    "member_id": "int64",
    "booked": INSTANT,
    "status": "str",
    "attended": INSTANT,
}
# What a touchpoint may be judged by: a renewal, a visit or a booking after it.
OUTCOMES = ("renewed", "visited", "booked")
TOUCHPOINTS = {
    "touchpoint_id": "int64",
    "rule_id": "int64",
    "rule_number": "Int64",
    "rule_name": "str",
    "member_id": "int64",
    "club_id": "int64",
    "status": "str",
    "due": INSTANT,
    "sent": INSTANT,
    "renewed": "bool",
    "visited": "bool",
    "booked": "bool",
}
# A campaign's rows: its variant for the rule, and whether the member renewed.
CAMPAIGN_TOUCHPOINTS = {
    "touchpoint_id": "int64",
    "variant": "str",
    "member_id": "int64",
    "status": "str",
    "due": INSTANT,
    "renewed": "bool",
}


def empty(schema: dict[str, str]) -> pd.DataFrame:
    """A frame with no rows and the schema's columns and dtypes."""
    return typed(pd.DataFrame({column: [] for column in schema}), schema)


def typed(frame: pd.DataFrame, schema: dict[str, str]) -> pd.DataFrame:
    """The frame's schema columns, in order, cast to the schema's dtypes."""
    frame = frame.reindex(columns=list(schema))
    for column, dtype in schema.items():
        if frame[column].dtype == dtype:
            continue  # already typed: casting would copy (and scan strings for NaN)
        if dtype == INSTANT:
            frame[column] = pd.to_datetime(frame[column], utc=True).astype(INSTANT)
        elif dtype == DAY:
            frame[column] = pd.to_datetime(frame[column]).astype(DAY)
        else:
            frame[column] = frame[column].astype(dtype)
    return frame


def paid(memberships: pd.DataFrame, columns: list[str] | None = None) -> pd.DataFrame:
    """Paid memberships of a MEMBERSHIPS frame: not trials, not cancelled (only `columns` of
    them: cheaper to copy than every text column)."""
    keep = (memberships["plan_kind"] != "trial") & (memberships["status"] != "cancelled")
    return memberships[keep] if columns is None else memberships.loc[keep, columns]


def first_paid_start(memberships: pd.DataFrame) -> pd.Series:
    """Each member's first paid membership's start, by member_id: the day they joined. The
    report's new members, the cohorts' join month, churn's new members and risk's tenure all
    count from it, so they agree on who is new."""
    return paid(memberships, ["member_id", "start"]).groupby("member_id")["start"].min()


def _read(rows: Iterable[tuple], schema: dict[str, str], *, chunk: int = CHUNK) -> pd.DataFrame:
    """Stream rows in chunks, type each chunk, and concatenate (bounded peak memory)."""
    iterator = iter(rows)
    parts = []
    while batch := list(islice(iterator, chunk)):
        parts.append(typed(pd.DataFrame.from_records(batch, columns=list(schema)), schema))
    if not parts:
        return empty(schema)
    return pd.concat(parts, ignore_index=True) if len(parts) > 1 else parts[0]


def _read_queryset(
    queryset: QuerySet, schema: dict[str, str], *, chunk: int = CHUNK
) -> pd.DataFrame:
    """A `values_list` queryset (its fields in the schema's order) as a frame of the schema.

    On PostgreSQL the compiled query is streamed out with COPY as CSV into pandas' C
    parser: converting each value to a Python object through the ORM cost seconds per
    million values. Elsewhere (SQLite, the demo) rows come through the ORM in chunks.
    """
    read = _READERS.get(connection.vendor, _read_rows)
    return read(queryset, schema, chunk=chunk)


def _read_rows(queryset: QuerySet, schema: dict[str, str], *, chunk: int) -> pd.DataFrame:
    return _read(queryset.iterator(chunk_size=chunk), schema, chunk=chunk)


NULL = r"\N"  # COPY's NULL marker; a value that equals it is quoted by PostgreSQL
CSV_DTYPES = {DAY: "str", INSTANT: "str"}  # parsed below, as ISO 8601


def _copy_csv(queryset: QuerySet, schema: dict[str, str], *, chunk: int) -> pd.DataFrame:
    sql, params = queryset.query.sql_with_params()
    # COPY takes no bind parameters: psycopg binds them client-side, as quoted literals.
    statement = connection.ops.compose_sql(sql, params)
    with connection.cursor() as cursor:
        copy_sql = f"COPY ({statement}) TO STDOUT (FORMAT csv, NULL '{NULL}')"
        with cursor.cursor.copy(copy_sql) as copy:
            frame = pd.read_csv(
                io.BufferedReader(_CopyStream(copy), buffer_size=1 << 16),
                header=None,
                names=list(schema),
                dtype={column: CSV_DTYPES.get(dtype, dtype) for column, dtype in schema.items()},
                # Only the marker is NULL: an empty string stays an empty string.
                keep_default_na=False,
                na_values=[NULL],
                true_values=["t"],
                false_values=["f"],
            )
    for column, dtype in schema.items():
        if dtype == INSTANT:
            frame[column] = pd.to_datetime(frame[column], utc=True, format="ISO8601")
        elif dtype == DAY:
            frame[column] = pd.to_datetime(frame[column], format="ISO8601")
    return typed(frame, schema)


class _CopyStream(io.RawIOBase):
    """The rows of a COPY ... TO STDOUT as a readable binary file."""

    def __init__(self, copy) -> None:
        self._rows = iter(copy)
        self._pending = bytearray()

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        while len(self._pending) < len(buffer):
            row = next(self._rows, None)
            if row is None:
                break
            self._pending += row
        size = min(len(buffer), len(self._pending))
        buffer[:size] = self._pending[:size]
        del self._pending[:size]
        return size


_READERS = {"postgresql": _copy_csv}  # by connection.vendor; others: _read_rows


def _zones(clubs: Sequence[Club] | None) -> dict[str, list[int]]:
    """Club ids grouped by time zone: local dates are computed once per zone in SQL."""
    queryset = Club.objects.all()
    if clubs is not None:
        queryset = queryset.filter(pk__in=[getattr(club, "pk", club) for club in clubs])
    zones: dict[str, list[int]] = {}
    for pk, zone in queryset.values_list("pk", "time_zone"):
        zones.setdefault(zone, []).append(pk)
    return zones


class _LocalMidnight(Func):
    """The instant a club-local day begins (PostgreSQL): `day::timestamp AT TIME ZONE zone`."""

    output_field = DateTimeField()

    def __init__(self, day, zone: str) -> None:
        super().__init__(day, Value(zone))

    def as_sql(self, compiler, connection, **extra):
        day_sql, day_params = compiler.compile(self.source_expressions[0])
        zone_sql, zone_params = compiler.compile(self.source_expressions[1])
        return f"(({day_sql})::timestamp AT TIME ZONE {zone_sql})", (*day_params, *zone_params)


# Backends whose index answers a window count per membership row. SQLite could only compare
# each visit's club-local day through a Python function, once per visit and membership
# (2-3 s for the 1,500-member demo), so elsewhere the visits are read once and counted in
# pandas (`_count_window_visits`).
_SQL_WINDOW_COUNTS = {"postgresql"}


def _with_window_visits(queryset: QuerySet, zone: ZoneInfo) -> QuerySet:
    """Annotate `window_visits`: the member's visits on club-local days [end - 29, end].

    The window is turned into two instants once per membership, so the (member, at) index
    answers the count.
    """
    queryset = queryset.annotate(
        window_from=_LocalMidnight(F("end") - dt.timedelta(days=WINDOW_DAYS - 1), zone.key),
        window_to=_LocalMidnight(F("end") + dt.timedelta(days=1), zone.key),
    )
    count = (
        Visit.objects.filter(member_id=OuterRef("member_id"))
        .filter(at__gte=OuterRef("window_from"), at__lt=OuterRef("window_to"))
        .order_by()
        .values("member_id")
        .annotate(n=Count("*"))
        .values("n")[:1]
    )
    return queryset.annotate(
        window_visits=Coalesce(Subquery(count, output_field=IntegerField()), Value(0))
    )


def _count_window_visits(
    loaded: pd.DataFrame, *, members: QuerySet, zone: ZoneInfo, chunk: int
) -> pd.Series:
    """Each loaded membership's visits on club-local days [end - 29, end], counted in pandas
    from one read of the visits of `members` (a queryset of member ids) around all windows."""
    if loaded.empty:
        return pd.Series([], index=loaded.index, dtype="int64")
    window = pd.Timedelta(days=WINDOW_DAYS - 1)
    first, last = (loaded["end"].min() - window).date(), loaded["end"].max().date()
    # A day of slack on each side: local midnight may not exist on a DST day; pandas decides.
    visits = _read_queryset(
        Visit.objects.filter(
            member_id__in=members,
            at__gte=dt.datetime.combine(first - dt.timedelta(days=1), dt.time(0), tzinfo=zone),
            at__lt=dt.datetime.combine(last + dt.timedelta(days=2), dt.time(0), tzinfo=zone),
        )
        .order_by()
        .values_list("member_id", "at"),
        VISIT_INSTANTS,
        chunk=chunk,
    )
    visits["day"] = visits["at"].dt.tz_convert(zone).dt.tz_localize(None).dt.normalize()
    pairs = loaded[["membership_id", "member_id", "end"]].merge(
        visits[["member_id", "day"]], on="member_id"
    )
    inside = (pairs["day"] >= pairs["end"] - window) & (pairs["day"] <= pairs["end"])
    counts = pairs[inside].groupby("membership_id").size()
    return loaded["membership_id"].map(counts).fillna(0).astype("int64")


def memberships(
    *,
    clubs: Sequence[Club] | None = None,
    since: dt.date | None = None,
    until: dt.date | None = None,
    members: QuerySet | None = None,
    window_visits: bool = False,
    chunk: int = CHUNK,
) -> pd.DataFrame:
    """Memberships sold at `clubs` (all clubs: None) that overlap [since, until].

    `members` narrows to the members a queryset of member ids selects (at any club).
    `window_visits` counts each member's visits in the 30 days ending on the end date.
    """
    base = Membership.objects.order_by()
    if since is not None:
        base = base.filter(end__gte=since)
    if until is not None:
        base = base.filter(start__lte=until)
    if members is not None:
        base = base.filter(member_id__in=members)
    fields = list(_MEMBERSHIP_ROWS)
    fields[0] = "pk"
    parts = []
    for zone_name, club_ids in _zones(clubs).items():
        zone = ZoneInfo(zone_name)
        queryset = base.filter(plan__club_id__in=club_ids).annotate(
            bought=TruncDate("created_at", tzinfo=zone)
        )
        in_sql = window_visits and connection.vendor in _SQL_WINDOW_COUNTS
        if in_sql:
            queryset = _with_window_visits(queryset, zone)
        else:
            queryset = queryset.annotate(window_visits=Value(0, output_field=IntegerField()))
        part = _read_queryset(queryset.values_list(*fields), _MEMBERSHIP_ROWS, chunk=chunk)
        if window_visits and not in_sql:
            part["window_visits"] = _count_window_visits(
                part,
                members=base.filter(plan__club_id__in=club_ids).values("member_id"),
                zone=zone,
                chunk=chunk,
            )
        parts.append(part)
    loaded = _concat(parts, _MEMBERSHIP_ROWS)
    # Read after the memberships, so every plan they name is there (plans are never deleted).
    plans = _plans(loaded["plan_id"].unique().tolist())
    return typed(loaded.join(plans, on="plan_id"), MEMBERSHIPS)


def _plans(plan_ids: list[int]) -> pd.DataFrame:
    """The plan and club columns of MEMBERSHIPS, by plan id: a few rows, joined in pandas
    rather than repeated on every membership row of the query."""
    rows = (
        Plan.objects.filter(pk__in=plan_ids)
        .order_by()
        .values_list("pk", "club_id", "club__slug", "name", "kind", "club__renewal_grace_days")
    )
    frame = pd.DataFrame.from_records(
        list(rows),
        columns=["plan_id", *_PLAN_COLUMNS],
    )
    return typed(frame, {column: MEMBERSHIPS[column] for column in frame.columns}).set_index(
        "plan_id"
    )


def renewal_memberships(
    *, clubs: Sequence[Club] | None, start: dt.date, end: dt.date, chunk: int = CHUNK
) -> pd.DataFrame:
    """What the renewal report needs for expiries in [start, end]: every membership of the
    members with a paid membership ending then, from `start` to the last grace day."""
    expiring = Membership.objects.paid().filter(end__range=(start, end))
    if clubs is not None:
        expiring = expiring.filter(plan__club__in=clubs)
    grace = max(Club.objects.values_list("renewal_grace_days", flat=True), default=0)
    return memberships(
        since=start,
        until=end + dt.timedelta(days=grace),
        members=expiring.values("member_id"),
        window_visits=True,
        chunk=chunk,
    )


def weekly_visits(
    *, clubs: Sequence[Club] | None = None, since: dt.date, until: dt.date, chunk: int = CHUNK
) -> pd.DataFrame:
    """Visits per member and club-local week (Monday), counted in SQL."""
    parts = []
    for zone_name, club_ids in _zones(clubs).items():
        zone = ZoneInfo(zone_name)
        queryset = (
            Visit.objects.filter(
                club_id__in=club_ids,
                at__gte=dt.datetime.combine(since, dt.time(0), tzinfo=zone),
                at__lt=dt.datetime.combine(until + dt.timedelta(days=1), dt.time(0), tzinfo=zone),
            )
            .annotate(week=TruncWeek("at", tzinfo=zone, output_field=DateField()))
            .order_by()
            .values("member_id", "week")
            .annotate(visits=Count("*"))
            .values_list("member_id", "week", "visits")
        )
        frame = _read_queryset(queryset, WEEKLY_VISITS, chunk=chunk)
        # Two clubs in one zone give the same week twice for a member visiting both.
        parts.append(frame)
    merged = _concat(parts, WEEKLY_VISITS)
    if merged.empty:
        return merged
    summed = merged.groupby(["member_id", "week"], as_index=False)["visits"].sum()
    return typed(summed, WEEKLY_VISITS)


def members(
    *,
    clubs: Sequence[Club] | None = None,
    created_since: dt.datetime | None = None,
    created_until: dt.datetime | None = None,
    stages: Sequence[str] | None = None,
    chunk: int = CHUNK,
) -> pd.DataFrame:
    """Members of `clubs` (by home club), optionally created in a window or in some stages."""
    queryset = Member.objects.order_by()
    if clubs is not None:
        queryset = queryset.filter(home_club__in=clubs)
    if created_since is not None:
        queryset = queryset.filter(created_at__gte=created_since)
    if created_until is not None:
        queryset = queryset.filter(created_at__lt=created_until)
    if stages is not None:
        queryset = queryset.filter(stage__in=stages)
    fields = ["pk", "home_club_id", "first_name", "last_name", "status", "stage", "source"]
    loaded = _read_queryset(queryset.values_list(*fields, "created_at"), _MEMBER_ROWS, chunk=chunk)
    loaded["name"] = (loaded["first_name"] + " " + loaded["last_name"]).str.strip()
    return typed(loaded, MEMBERS)


def trial_bookings(*, members: QuerySet, chunk: int = CHUNK) -> pd.DataFrame:
    """Trial bookings of the members a queryset of member ids selects. `attended` is when
    an attended trial was marked, or its class's start where no time was recorded (the
    demo data records none)."""
    attended = Case(
        When(
            status=Booking.Status.ATTENDED,
            then=Coalesce("attended_at", "session__start"),
        ),
        default=None,
        output_field=DateTimeField(),
    )
    queryset = (
        Booking.objects.filter(is_trial=True, member_id__in=members)
        .order_by()
        .annotate(attended=attended)
        .values_list("pk", "member_id", "created_at", "status", "attended")
    )
    return _read_queryset(queryset, TRIALS, chunk=chunk)


def touchpoints(
    *,
    clubs: Sequence[Club] | None = None,
    since: dt.datetime,
    until: dt.datetime,
    within_days: int = 14,
    renewal_within_days: int = 45,
    outcomes: Collection[str] = OUTCOMES,
    chunk: int = CHUNK,
) -> pd.DataFrame:
    """Rules' touchpoints sent or held out with a due time in [since, until), with their
    outcomes computed in SQL: a visit or a booking within `within_days` of the due time, a
    paid membership bought after it, within `renewal_within_days` (`_renewed_within`). Sent
    and held-out rows are judged from the same instant (the due time), so the comparison is
    fair. Only the `outcomes` asked for are computed (each is a subquery per row) and become
    columns. Campaigns'
    touchpoints are measured per campaign (`campaign_touchpoints`)."""
    unknown = set(outcomes) - set(OUTCOMES)
    if unknown:
        raise ValueError(f"Unknown outcomes {sorted(unknown)}; choose from {OUTCOMES}.")
    queryset = Touchpoint.objects.filter(
        rule__isnull=False,
        due_at__gte=since,
        due_at__lt=until,
        status__in=[
            Touchpoint.Status.SENT,
            Touchpoint.Status.DELIVERED,
            Touchpoint.Status.HELD_OUT,
        ],
    ).order_by()
    if clubs is not None:
        queryset = queryset.filter(club__in=clubs)
    after = OuterRef("due_at") + dt.timedelta(days=within_days)
    outcome_queries = dict(
        renewed=_renewed_within(renewal_within_days),
        visited=Exists(
            Visit.objects.filter(
                member_id=OuterRef("member_id"), at__gte=OuterRef("due_at"), at__lt=after
            )
        ),
        booked=Exists(
            Booking.objects.filter(
                member_id=OuterRef("member_id"),
                created_at__gte=OuterRef("due_at"),
                created_at__lt=after,
            )
        ),
    )
    asked = [outcome for outcome in OUTCOMES if outcome in outcomes]
    queryset = queryset.annotate(**{outcome: outcome_queries[outcome] for outcome in asked})
    rows = queryset.values_list(
        "pk",
        "rule_id",
        "rule__number",
        "rule__name",
        "member_id",
        "club_id",
        "status",
        "due_at",
        "sent_at",
        *asked,
    )
    schema = {
        column: dtype
        for column, dtype in TOUCHPOINTS.items()
        if column not in OUTCOMES or column in asked
    }
    return _read_queryset(rows, schema, chunk=chunk)


def _renewed_within(days: int) -> Exists:
    """A paid membership bought strictly after the touchpoint's due time, within `days` of it.

    Strictly: the membership a touchpoint is about was bought by its due time (a welcome is due
    the instant its membership was bought, an onboarding or reminder later still), so it is
    never counted as the outcome of its own message. Every renewal outcome (the playbook's
    uplift column, the report's uplift table, a campaign's results) is this one."""
    return Exists(
        Membership.objects.paid()
        .not_cancelled()
        .filter(
            member_id=OuterRef("member_id"),
            created_at__gt=OuterRef("due_at"),
            created_at__lt=OuterRef("due_at") + dt.timedelta(days=days),
        )
    )


def campaign_touchpoints(
    campaign_id: int, *, clubs: Sequence[Club] | None = None, renewal_within_days: int = 60
) -> pd.DataFrame:
    """One campaign's touchpoints (at `clubs`, when given), every status, with their variant
    and whether the member bought a paid membership after the send time, within
    `renewal_within_days` of it (the due time, the same for sent and held-out members of a
    club; `_renewed_within`)."""
    queryset = Touchpoint.objects.filter(campaign_id=campaign_id)
    if clubs is not None:
        queryset = queryset.filter(club__in=clubs)
    queryset = (
        queryset.order_by()
        .annotate(renewed=_renewed_within(renewal_within_days))
        .values_list("pk", "variant", "member_id", "status", "due_at", "renewed")
    )
    return _read_queryset(queryset, CAMPAIGN_TOUCHPOINTS)


def _concat(parts: list[pd.DataFrame], schema: dict[str, str]) -> pd.DataFrame:
    parts = [part for part in parts if not part.empty]
    if not parts:
        return empty(schema)
    return typed(pd.concat(parts, ignore_index=True), schema)
