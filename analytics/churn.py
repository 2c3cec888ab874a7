"""Monthly churn and IHRSA attrition, from a memberships frame (frames.MEMBERSHIPS).

A member's paid memberships are merged into spells of membership: a gap no longer than
the club's grace days is bridged (a late renewal never left). A spell that ends, and is
not followed by another within the grace days before `as_of`, is a drop in the month of
its end. IHRSA attrition over twelve months = drops in those months ÷ the average of the
twelve beginning-of-month member counts.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from analytics import frames
from analytics.cohorts import last_complete_month, month_index, month_label

SPELLS = {"member_id": "int64", "start": frames.DAY, "end": frames.DAY, "dropped": "bool"}
MONTHLY = {
    "month": "str",
    "members_at_start": "int64",
    "joined": "int64",
    "new": "int64",
    "rejoined": "int64",
    "dropped": "int64",
    "churn": "float64",
    "attrition_12m": "float64",
}


def spells(memberships: pd.DataFrame, *, as_of: dt.date) -> pd.DataFrame:
    """Continuous stretches of paid membership per member, gaps within grace bridged."""
    return _spells(frames.paid(memberships, SPELL_INPUT), as_of=as_of)


SPELL_INPUT = ["member_id", "start", "end", "grace_days"]


def _spells(rows: pd.DataFrame, *, as_of: dt.date) -> pd.DataFrame:
    """spells of rows already paid."""
    rows = rows.sort_values(["member_id", "start", "end"])
    if rows.empty:
        return frames.empty(SPELLS)
    grace = pd.to_timedelta(rows["grace_days"], unit="D")
    reach = rows["end"] + grace  # the last day a next membership still continues this one
    # Running maximum of reach within a member: a long annual plan covers later short ones.
    running = reach.groupby(rows["member_id"]).cummax()
    previous = running.groupby(rows["member_id"]).shift()
    new_spell = previous.isna() | (rows["start"] > previous + pd.Timedelta(days=1))
    spell_id = new_spell.cumsum()
    grouped = rows.assign(spell=spell_id, reach=reach).groupby("spell")
    out = grouped.agg(
        member_id=("member_id", "first"),
        start=("start", "min"),
        end=("end", "max"),
        reach=("reach", "max"),
    )
    # Not yet a drop while a renewal may still come.
    out["dropped"] = out["reach"] < pd.Timestamp(as_of)
    return frames.typed(out.reset_index(drop=True), SPELLS)


def monthly(memberships: pd.DataFrame, *, first_month: dt.date, as_of: dt.date) -> pd.DataFrame:
    """Per month from `first_month` to the last month ended by `as_of`: members on the
    1st, joins (new members, whose first spell starts then, and members who rejoined after a
    drop), drops, monthly churn (drops ÷ members on the 1st) and trailing 12-month
    IHRSA attrition (NaN until twelve months are in the table)."""
    first = first_month.year * 12 + first_month.month - 1
    last = last_complete_month(as_of)
    rows = frames.paid(memberships, SPELL_INPUT)
    if last < first or rows.empty:
        return frames.empty(MONTHLY)
    months = np.arange(first, last + 1)
    runs = _spells(rows, as_of=as_of)
    # Members on the 1st of month m: a spell started before that day and ends on or after it.
    # One that starts on the 1st is that month's join, not yet a member on it: counted as
    # both, the table did not add up (members on the 1st + joins − drops ≠ next month's 1st).
    start_month = month_index(runs["start"])
    # A spell covers the 1st of month m for m in [month after its start, end month].
    cover_from = start_month + 1
    cover_to = month_index(runs["end"])
    at_start = [int(((cover_from <= m) & (cover_to >= m)).sum()) for m in months]
    joined = pd.Series(start_month).value_counts()
    # A member's first spell starts with their first paid membership: a new member, as the
    # report's tile and cohorts count them. A later spell is a return after a drop.
    new = pd.Series(month_index(frames.first_paid_start(memberships))).value_counts()
    drops = pd.Series(cover_to[runs["dropped"].to_numpy()]).value_counts()
    table = pd.DataFrame(
        {
            "month": month_label(months),
            "members_at_start": at_start,
            "joined": joined.reindex(months, fill_value=0).to_numpy(),
            "new": new.reindex(months, fill_value=0).to_numpy(),
            "dropped": drops.reindex(months, fill_value=0).to_numpy(),
        }
    )
    table["rejoined"] = table["joined"] - table["new"]
    table["churn"] = (table["dropped"] / table["members_at_start"]).where(
        table["members_at_start"] > 0
    )
    dropped_12 = table["dropped"].rolling(12).sum()
    average_12 = table["members_at_start"].rolling(12).mean()
    table["attrition_12m"] = (dropped_12 / average_12).where(average_12 > 0)
    return frames.typed(table, MONTHLY)
