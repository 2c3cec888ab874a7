"""The renewal dashboard's numbers: KPI tiles, tables and chart data for one club and period.

Plain functions over the frames loaders and the pure report functions; the view only parses
the filters and renders. Every table is a `Table`: its rows feed the HTML table beside a
chart, the CSV and XLSX exports, and (through `charts()`) the JSON the browser draws from.
Rates are shown and exported as percentages with one decimal.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import pandas as pd
import tablib
from django.db.models import Q, Sum

from analytics import churn, cohorts, frames, funnel, renewals, uplift
from club import clock
from club.models import Club
from members.models import Member
from memberships.models import Payment, Plan

PERCENT, COUNT, DAYS, TEXT, NUMBER = "percent", "count", "days", "text", "number"


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    kind: str = COUNT


@dataclass
class Table:
    """A titled table: columns, and rows of plain values (percentages already × 100)."""

    key: str
    title: str
    columns: list[Column]
    rows: list[dict] = field(default_factory=list)

    def body(self) -> list[list[tuple]]:
        """(value, column kind) per cell, row by row: what the HTML table shows."""
        return [[(row[column.key], column.kind) for column in self.columns] for row in self.rows]

    def dataset(self, cell: Callable[[Any], Any] = lambda value: value) -> tablib.Dataset:
        """The table for tablib, each value through `cell` (a CSV's `spreadsheets.csv_cell`)."""
        data = tablib.Dataset(headers=[column.label for column in self.columns], title=self.key)
        for row in self.rows:
            data.append([cell(row[column.key]) for column in self.columns])
        return data


@dataclass(frozen=True)
class Rate:
    """A renewal rate with its counts and 95 % interval (percentages; None: no opportunity)."""

    label: str
    opportunities: int
    renewed: int
    rate: float | None
    low: float | None
    high: float | None
    # While some renewals of the months counted may still come (settled_month), the day
    # from which they cannot; None once every one is decided.
    settles_on: dt.date | None = None

    @property
    def provisional(self) -> bool:
        return self.settles_on is not None


@dataclass
class Dashboard:
    club: Club
    start: dt.date
    end: dt.date
    plan: Plan | None
    active_members: int
    new_members: int
    revenue: Decimal
    this_month: Rate
    last_month: Rate
    period: Rate
    previous: Rate
    attrition: float | None
    trials_attended: int
    trials_converted: int
    trial_conversion: float | None
    tables: dict[str, Table]

    def table(self, key: str) -> Table:
        return self.tables[key]

    @property
    def change(self) -> float | None:
        """The period's renewal rate minus the previous period's, in percentage points."""
        if self.period.rate is None or self.previous.rate is None:
            return None
        return round(self.period.rate - self.previous.rate, 1)


def default_period(today: dt.date) -> tuple[dt.date, dt.date]:
    """The last 12 months: from the 1st of the month eleven months back, to today."""
    first = add_months(today.replace(day=1), -11)
    return first, today


def add_months(day: dt.date, months: int) -> dt.date:
    """The first day of the month `months` after `day`'s (before it, when negative)."""
    index = day.year * 12 + day.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


def month_end(day: dt.date) -> dt.date:
    """The last day of `day`'s month."""
    return add_months(day.replace(day=1), 1) - dt.timedelta(days=1)


def settled_month(today: dt.date, *, grace_days: int) -> tuple[dt.date, dt.date]:
    """The last month whose every renewal is decided: its last day plus the grace days is
    before today. Early in a month the month just ended still has renewals to come, and its
    rate would read low."""
    last = today.replace(day=1) - dt.timedelta(days=1)
    while last + dt.timedelta(days=grace_days) >= today:
        last = last.replace(day=1) - dt.timedelta(days=1)
    return last.replace(day=1), last


def settles_on(month: dt.date, *, today: dt.date, grace_days: int) -> dt.date | None:
    """The day from which every renewal of memberships ending in `month`'s month is decided,
    as settled_month counts it; None when that day has come."""
    if month.replace(day=1) <= settled_month(today, grace_days=grace_days)[0]:
        return None
    return month_end(month) + dt.timedelta(days=grace_days + 1)


def _percent(value) -> float | None:
    """A proportion as a percentage with one decimal; None for a missing value."""
    if value is None or pd.isna(value):
        return None
    return round(float(value) * 100, 1)


def _number(value, digits: int = 1) -> float | None:
    if value is None or pd.isna(value):
        return None
    return round(float(value), digits)


def _int(value) -> int:
    return 0 if value is None or pd.isna(value) else int(value)


# --- renewal --------------------------------------------------------------------------


RATE_COLUMNS = [
    Column("opportunities", "Due"),
    Column("renewed", "Renewed"),
    Column("early", "Early"),
    Column("on_time", "On time"),
    Column("late", "Late"),
    Column("rate", "Rate %", PERCENT),
    Column("ci_low", "95 % low %", PERCENT),
    Column("ci_high", "95 % high %", PERCENT),
]


def _rate_rows(table: pd.DataFrame, group: str | None) -> list[dict]:
    rows = []
    for record in table.to_dict("records"):
        row = {"group": str(record[group]) if group else "All"}
        for column in RATE_COLUMNS:
            value = record[column.key]
            row[column.key] = _percent(value) if column.kind == PERCENT else _int(value)
        rows.append(row)
    return rows


def _rate_table(key: str, title: str, label: str, opps: pd.DataFrame, by: str | None) -> Table:
    table = renewals.renewal_rate(opps, by=by)
    return Table(key, title, [Column("group", label, TEXT), *RATE_COLUMNS], _rate_rows(table, by))


def _by_month_table(opps: pd.DataFrame, *, today: dt.date, grace_days: int) -> Table:
    """The rate per month of expiry, each month saying whether its renewals are settled."""
    table = _rate_table(
        "renewal_by_month", "Renewal rate by month of expiry", "Month", opps, "month"
    )
    table.columns.append(Column("status", "Status", TEXT))
    for row in table.rows:
        due = settles_on(
            dt.date.fromisoformat(f"{row['group']}-01"), today=today, grace_days=grace_days
        )
        row["status"] = f"provisional until {due:%Y-%m-%d}" if due else "settled"
    return table


def _rate(label: str, opps: pd.DataFrame, *, settles: dt.date | None = None) -> Rate:
    row = renewals.renewal_rate(opps).to_dict("records")
    if not row:
        return Rate(label, 0, 0, None, None, None, settles)
    r = row[0]
    return Rate(
        label,
        _int(r["opportunities"]),
        _int(r["renewed"]),
        _percent(r["rate"]),
        _percent(r["ci_low"]),
        _percent(r["ci_high"]),
        settles,
    )


def renewal_rate(club: Club, *, start: dt.date, end: dt.date, label: str) -> Rate:
    """The renewal rate of the club's opportunities ending in [start, end], as the tiles count
    it (the home page's key figures use this too, so the two never disagree)."""
    return _rate(label, renewal_opportunities(club, start=start, end=end))


def renewal_opportunities(
    club: Club, *, start: dt.date, end: dt.date, plan: Plan | None = None
) -> pd.DataFrame:
    """The club's renewal opportunities ending in [start, end], of one plan or all."""
    loaded = frames.renewal_memberships(clubs=[club], start=start, end=end)
    opps = renewals.opportunities(loaded, start=start, end=end)
    opps = opps[opps["club_id"] == club.pk]
    if plan is not None:
        opps = opps[opps["plan_id"] == plan.pk]
    return opps


# --- the rest -------------------------------------------------------------------------


def _cohort_table(memberships: pd.DataFrame, *, start: dt.date, as_of: dt.date) -> Table:
    """Join month × months since join, as one row per cohort: the heat map's data."""
    tidy = cohorts.retention(memberships, as_of=as_of)
    tidy = tidy[tidy["cohort"] >= start.strftime("%Y-%m")]
    width = int(tidy["months_since"].max()) + 1 if not tidy.empty else 0
    columns = [Column("cohort", "Joined", TEXT), Column("members", "New members")]
    columns += [Column(f"m{i}", f"Month {i} %", PERCENT) for i in range(width)]
    rows = []
    for cohort, group in tidy.groupby("cohort", sort=True):
        row = {"cohort": cohort, "members": _int(group["members"].iloc[0])}
        row |= {f"m{i}": None for i in range(width)}
        for since, share in zip(group["months_since"], group["share"], strict=True):
            row[f"m{int(since)}"] = _percent(share)
        rows.append(row)
    return Table("cohorts", "Cohort retention (share still a paying member)", columns, rows)


def _churn_table(memberships: pd.DataFrame, *, start: dt.date, as_of: dt.date) -> Table:
    # Eleven months before the period, so the 12-month attrition is known from its first month.
    monthly = churn.monthly(memberships, first_month=add_months(start, -11), as_of=as_of)
    monthly = monthly[monthly["month"] >= start.strftime("%Y-%m")]
    columns = [
        Column("month", "Month", TEXT),
        Column("members_at_start", "Members on the 1st"),
        Column("new", "New members"),
        Column("rejoined", "Rejoined"),
        Column("dropped", "Dropped"),
        Column("churn", "Monthly churn %", PERCENT),
        Column("attrition_12m", "12-month attrition (IHRSA) %", PERCENT),
    ]
    rows = [
        {
            "month": r["month"],
            "members_at_start": _int(r["members_at_start"]),
            "new": _int(r["new"]),
            "rejoined": _int(r["rejoined"]),
            "dropped": _int(r["dropped"]),
            "churn": _percent(r["churn"]),
            "attrition_12m": _percent(r["attrition_12m"]),
        }
        for r in monthly.to_dict("records")
    ]
    return Table("churn", "Churn by month", columns, rows)


FUNNEL_COLUMNS = [
    Column("source", "Source", TEXT),
    Column("leads", "Leads"),
    Column("trial_booked", "Trial booked"),
    Column("trial_attended", "Trial attended"),
    Column("members", "Became members"),
    Column("attended_members", "Attended, then member"),
    Column("lead_to_trial", "Lead → trial %", PERCENT),
    Column("trial_show", "Trial show %", PERCENT),
    Column("attended_to_member", "Attended → member %", PERCENT),
    Column("lead_to_member", "Lead → member %", PERCENT),
    Column("days_lead_to_member", "Median days lead → member", DAYS),
]


def lead_funnel(club: Club, *, start: dt.date, end: dt.date) -> pd.DataFrame:
    """The funnel (funnel.FUNNEL) of the leads who came to the club on its days start to end,
    per source and "all"."""
    since = clock.start_of_day(start, club)
    until = clock.start_of_day(end + dt.timedelta(days=1), club)
    leads = Member.objects.filter(
        home_club=club, created_at__gte=since, created_at__lt=until
    ).values("pk")
    return funnel.funnel(
        frames.members(clubs=[club], created_since=since, created_until=until),
        frames.trial_bookings(members=leads),
        frames.memberships(members=leads),
    )


def _funnel_table(club: Club, *, start: dt.date, end: dt.date) -> tuple[Table, dict]:
    table = lead_funnel(club, start=start, end=end)
    labels = dict(Member.Source.choices)
    rows = []
    for r in table.to_dict("records"):
        row = {}
        for column in FUNNEL_COLUMNS:
            value = r[column.key]
            if column.kind == PERCENT:
                row[column.key] = _percent(value)
            elif column.kind == DAYS:
                row[column.key] = _number(value)
            elif column.kind == TEXT:
                row[column.key] = "All sources" if value == "all" else labels.get(value, value)
            else:
                row[column.key] = _int(value)
        rows.append(row)
    overall = next((r for r in table.to_dict("records") if r["source"] == "all"), None)
    return Table("funnel", "Lead to member funnel", FUNNEL_COLUMNS, rows), overall or {}


UPLIFT_COLUMNS = [
    Column("rule", "Rule", TEXT),
    Column("sent", "Sent"),
    Column("sent_rate", "Bought when sent %", PERCENT),
    Column("held_out", "Held out"),
    Column("held_out_rate", "Bought when held out %", PERCENT),
    Column("difference", "Uplift (points)", NUMBER),
    Column("ci_low", "95 % low (points)", NUMBER),
    Column("ci_high", "95 % high (points)", NUMBER),
    Column("number_needed", "Messages per extra membership", NUMBER),
]


def _uplift_table(club: Club, *, start: dt.date, end: dt.date) -> Table:
    sent = frames.touchpoints(
        clubs=[club],
        since=clock.start_of_day(start, club),
        until=clock.start_of_day(end + dt.timedelta(days=1), club),
        outcomes=["renewed"],
    )
    table = uplift.uplift(sent, outcome="renewed")
    rows = []
    for r in table.to_dict("records"):
        row = {
            "rule": f"{_int(r['rule_number'])} {r['rule_name']}".strip(),
            "sent": _int(r["sent"]),
            "sent_rate": _percent(r["sent_rate"]),
            "held_out": _int(r["held_out"]),
            "held_out_rate": _percent(r["held_out_rate"]),
            "difference": _percent(r["difference"]),
            "ci_low": _percent(r["ci_low"]),
            "ci_high": _percent(r["ci_high"]),
            "number_needed": _number(r["number_needed"]),
        }
        why = uplift.unreadable(
            sent=row["sent"], held_out=row["held_out"], ci_low=r["ci_low"], ci_high=r["ci_high"]
        )
        if why:
            # Words instead of figures that would look certain: in the table, the CSV and
            # the chart (which draws nothing for the rule).
            row |= {"difference": why, "ci_low": None, "ci_high": None}
        rows.append(row)
    # "Bought", not "renewed": the rules for leads and trial members (invitations, follow-ups)
    # are measured by the same outcome, and for them it is joining.
    title = "Touchpoint uplift on memberships bought (sent vs held out)"
    return Table("uplift", title, UPLIFT_COLUMNS, rows)


def build(
    club: Club,
    *,
    start: dt.date,
    end: dt.date,
    plan: Plan | None = None,
    today: dt.date | None = None,
) -> Dashboard:
    """Every number of the renewal dashboard for a club, expiries and joins in [start, end].

    "This month" is the month of `end` up to `end`, "last month" the one before; the
    previous period is as long as this one and ends the day before it starts. The plan
    narrows the renewal numbers (a cohort or churn of one plan means little).
    """
    today = today or clock.today(club)
    as_of = min(end, today)
    this_first = end.replace(day=1)
    last_first = add_months(this_first, -1)
    previous_start = start - (end - start) - dt.timedelta(days=1)
    grace_days = club.renewal_grace_days

    def settles(month: dt.date) -> dt.date | None:
        return settles_on(month, today=today, grace_days=grace_days)

    opps = renewal_opportunities(club, start=min(previous_start, last_first), end=end, plan=plan)
    in_period = opps[opps["end"] >= pd.Timestamp(start)]
    previous = opps[
        (opps["end"] >= pd.Timestamp(previous_start)) & (opps["end"] < pd.Timestamp(start))
    ]
    this_month = opps[opps["end"] >= pd.Timestamp(this_first)]
    last_month = opps[
        (opps["end"] >= pd.Timestamp(last_first)) & (opps["end"] < pd.Timestamp(this_first))
    ]

    memberships = frames.memberships(clubs=[club], until=end)
    paid = frames.paid(memberships)
    on_day = pd.Timestamp(as_of)
    active = paid[(paid["start"] <= on_day) & (paid["end"] >= on_day)]
    new_members = int(new_member_ids(memberships, start=start, end=end).size)

    churn_table = _churn_table(memberships, start=start, as_of=as_of)
    known = [r["attrition_12m"] for r in churn_table.rows if r["attrition_12m"] is not None]
    funnel_table, overall = _funnel_table(club, start=start, end=end)
    conversion = overall.get("attended_to_member")
    tables = [
        _by_month_table(in_period, today=today, grace_days=grace_days),
        _rate_table("renewal_by_plan", "Renewal rate by plan", "Plan", in_period, "plan"),
        _rate_table(
            "renewal_by_visits",
            "Renewal rate by visits in the last 30 days",
            "Visits",
            in_period,
            "visit_band",
        ),
        _rate_table("renewal_by_tenure", "First renewal vs later", "Tenure", in_period, "tenure"),
        _cohort_table(memberships, start=start, as_of=as_of),
        churn_table,
        funnel_table,
        _uplift_table(club, start=start, end=end),
    ]
    return Dashboard(
        club=club,
        start=start,
        end=end,
        plan=plan,
        active_members=int(active["member_id"].nunique()),
        new_members=new_members,
        revenue=revenue(club, start=start, end=end),
        this_month=_rate(this_first.strftime("%B %Y"), this_month, settles=settles(this_first)),
        last_month=_rate(last_first.strftime("%B %Y"), last_month, settles=settles(last_first)),
        period=_rate("period", in_period, settles=settles(end)),
        previous=_rate("previous period", previous),
        attrition=known[-1] if known else None,
        trials_attended=_int(overall.get("trial_attended")),
        trials_converted=_int(overall.get("attended_members")),
        trial_conversion=_percent(conversion),
        tables={table.key: table for table in tables},
    )


def new_member_ids(memberships: pd.DataFrame, *, start: dt.date, end: dt.date) -> pd.Index:
    """The report's one definition of a new member: a member whose first paid membership (not
    a trial, not cancelled) of the club starts on a day from start to end. The tile counts
    them, the cohorts group them by month and the churn table's "New members" column counts
    them by month; the funnel counts leads instead (see its help line)."""
    joined = frames.first_paid_start(memberships)
    return joined[(joined >= pd.Timestamp(start)) & (joined <= pd.Timestamp(end))].index


def revenue(club: Club, *, start: dt.date, end: dt.date) -> Decimal:
    """Payments received for the club's memberships (or, without one, from its members) on the
    club's days start to end; refunded, failed and pending ones do not count."""
    received = Payment.objects.filter(
        Q(membership__plan__club=club) | Q(membership=None, member__home_club=club),
        status=Payment.Status.SUCCEEDED,
        at__gte=clock.start_of_day(start, club),
        at__lt=clock.start_of_day(end + dt.timedelta(days=1), club),
    ).aggregate(total=Sum("amount"))["total"]
    return received or Decimal("0.00")


def charts(dashboard: Dashboard) -> dict:
    """What the browser draws, keyed by chart: labels and series (JSON-safe: None for NaN)."""

    def column(key: str, name: str) -> list:
        return [_finite(row[name]) for row in dashboard.tables[key].rows]

    by_month, by_plan, by_visits = "renewal_by_month", "renewal_by_plan", "renewal_by_visits"
    funnel_all = next(
        (r for r in dashboard.tables["funnel"].rows if r["source"] == "All sources"), None
    )
    return {
        "renewal_by_month": {
            "labels": column(by_month, "group"),
            "rate": column(by_month, "rate"),
            "low": column(by_month, "ci_low"),
            "high": column(by_month, "ci_high"),
        },
        "renewal_by_plan": {
            "labels": column(by_plan, "group"),
            "rate": column(by_plan, "rate"),
            "low": column(by_plan, "ci_low"),
            "high": column(by_plan, "ci_high"),
        },
        "renewal_by_visits": {
            "labels": column(by_visits, "group"),
            "rate": column(by_visits, "rate"),
            "low": column(by_visits, "ci_low"),
            "high": column(by_visits, "ci_high"),
        },
        "funnel": {
            "labels": ["Leads", "Trial booked", "Trial attended", "Became members"],
            "values": [
                funnel_all[key] if funnel_all else 0
                for key in ("leads", "trial_booked", "trial_attended", "members")
            ],
        },
        "uplift": {
            "labels": column("uplift", "rule"),
            # "too few to tell" where there is no figure: nothing to draw.
            "difference": [
                None if isinstance(value, str) else value
                for value in column("uplift", "difference")
            ],
            "low": column("uplift", "ci_low"),
            "high": column("uplift", "ci_high"),
        },
    }


def _finite(value):
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def heat(share: float | None) -> str:
    """A cell's background for the cohort heat map: stronger green for a higher share."""
    if share is None:
        return "transparent"
    return f"hsla(145, 60%, 40%, {max(0.08, min(share, 100.0) / 100):.2f})"
