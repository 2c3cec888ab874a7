"""Cohort retention: members by the month of their first paid membership, and the share
still holding a paid membership at the end of each later month (frames.MEMBERSHIPS in)."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from analytics import frames

RETENTION = {
    "cohort": "str",
    "months_since": "int64",
    "members": "int64",
    "retained": "int64",
    "share": "float64",
}


def month_index(days: pd.Series) -> np.ndarray:
    """Months since year 0 (January 2026 → 2026 * 12): cheap month arithmetic."""
    return (days.dt.year * 12 + days.dt.month - 1).to_numpy(dtype="int64")


def month_label(index: np.ndarray) -> np.ndarray:
    return np.array([f"{i // 12:04d}-{i % 12 + 1:02d}" for i in index.tolist()], dtype=object)


def last_complete_month(as_of: dt.date) -> int:
    """The month index of the last month that has ended by `as_of` (its last day included)."""
    next_day = as_of + dt.timedelta(days=1)
    return next_day.year * 12 + next_day.month - 1 - 1


def covered_month_ends(memberships: pd.DataFrame, *, as_of: dt.date) -> pd.DataFrame:
    """(member_id, month) for every month whose last day a paid membership covers, up to
    the last month that ended on or before `as_of`. One row per membership-month, so an
    annual plan gives twelve rows, not one per day."""
    return _covered_month_ends(frames.paid(memberships, SPAN), as_of=as_of)


SPAN = ["member_id", "start", "end"]


def _covered_month_ends(rows: pd.DataFrame, *, as_of: dt.date) -> pd.DataFrame:
    """covered_month_ends of rows already paid."""
    start, end = rows["start"], rows["end"]
    first = month_index(start)
    at_month_end = (end + pd.offsets.MonthEnd(0)) == end
    last = month_index(end) - (~at_month_end).to_numpy()
    last = np.minimum(last, last_complete_month(as_of))
    # A membership that starts after its own month's end covers nothing of that month.
    counts = np.clip(last - first + 1, 0, None)
    member = np.repeat(rows["member_id"].to_numpy(dtype="int64"), counts)
    offset = np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
    month = np.repeat(first, counts) + offset
    covered = pd.DataFrame({"member_id": member, "month": month})
    # drop_duplicates() on one int64 key, member and month together: many times faster than
    # on two columns. Month indexes (year × 12 + month) fit in 20 bits, member ids in 43.
    return covered[~pd.Series((member << 20) | month).duplicated().to_numpy()]


def retention(memberships: pd.DataFrame, *, as_of: dt.date) -> pd.DataFrame:
    """Tidy cohort × months-since-join table: members, retained and their share.

    A member joins in the month of their first paid membership's start; month 0 is that
    month. Only months that have ended by `as_of` are shown.
    """
    rows = frames.paid(memberships, SPAN)
    if rows.empty:
        return frames.empty(RETENTION)
    joined = frames.first_paid_start(memberships)
    join_month = pd.Series(month_index(joined), index=joined.index, name="join")
    covered = _covered_month_ends(rows, as_of=as_of).join(join_month, on="member_id")
    covered = covered[covered["month"] >= covered["join"]]
    covered["months_since"] = covered["month"] - covered["join"]
    retained = covered.groupby(["join", "months_since"]).size().rename("retained")
    sizes = join_month.value_counts().rename("members")
    horizon = last_complete_month(as_of)
    grid = [
        (cohort, since)
        for cohort in sorted(sizes.index)
        for since in range(0, horizon - cohort + 1)
    ]
    if not grid:
        return frames.empty(RETENTION)
    table = pd.DataFrame(grid, columns=["join", "months_since"])
    table = table.join(sizes, on="join").join(retained, on=["join", "months_since"])
    table["retained"] = table["retained"].fillna(0)
    table["share"] = table["retained"] / table["members"]
    table["cohort"] = month_label(table["join"].to_numpy())
    return frames.typed(table, RETENTION)
