"""Renewal opportunities and the renewal rate, from a memberships frame (frames.MEMBERSHIPS).

An opportunity is a paid membership (not a trial, not cancelled) whose end falls in the
period. The end is the stored one, which a freeze has already moved. It is renewed by a
paid, non-cancelled membership of the same member that starts no later than the club's
grace days after the end and is either linked to it by `renewed_from`, or unlinked and
starts after it and runs past its end (a parallel membership, such as a visit pack
beside an annual plan, renews nothing). The earliest such start wins.

Timing: late when the renewal starts more than a day after the end (the member went
without access), early when it was bought before the end date, on time otherwise.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from analytics import frames, stats
from memberships import renewal_timing

BAND_LOWS = (0, 1, 4, 8)
BAND_LABELS = ("0", "1-3", "4-7", "8+")
BAND_DTYPE = pd.CategoricalDtype(list(BAND_LABELS), ordered=True)
TIMINGS = ("early", "on_time", "late")

OPPORTUNITIES = {
    "membership_id": "int64",
    "member_id": "int64",
    "club_id": "int64",
    "club_slug": "str",
    "plan_id": "int64",
    "plan_name": "str",
    "plan_kind": "str",
    "end": frames.DAY,
    "month": "str",
    "tenure": "str",
    "window_visits": "int64",
    "visit_band": BAND_DTYPE,
    "renewed": "bool",
    "renewal_id": "Int64",
    "timing": "str",
    "days_after_end": "Int64",
}
GROUPS = {
    "month": "month",
    "plan": "plan_name",
    "club": "club_slug",
    "tenure": "tenure",
    "visit_band": "visit_band",
}
RATE_COLUMNS = {
    "opportunities": "int64",
    "renewed": "int64",
    "early": "int64",
    "on_time": "int64",
    "late": "int64",
    "rate": "float64",
    "ci_low": "float64",
    "ci_high": "float64",
}


def visit_band(visits: pd.Series) -> pd.Series:
    """Bands of visits in the last 30 days: 0, 1-3, 4-7, 8+."""
    codes = np.searchsorted(np.asarray(BAND_LOWS), visits.to_numpy(dtype="int64"), side="right")
    return pd.Series(
        pd.Categorical.from_codes(codes - 1, dtype=BAND_DTYPE), index=visits.index, copy=False
    )


def _paid(memberships: pd.DataFrame) -> pd.DataFrame:
    return memberships[
        (memberships["plan_kind"] != "trial") & (memberships["status"] != "cancelled")
    ]


def opportunities(memberships: pd.DataFrame, *, start: dt.date, end: dt.date) -> pd.DataFrame:
    """One row per renewal opportunity ending in [start, end], with whether and how it renewed."""
    paid = _paid(memberships)
    first, last = pd.Timestamp(start), pd.Timestamp(end)
    opps = paid[(paid["end"] >= first) & (paid["end"] <= last)]
    if opps.empty:
        return frames.empty(OPPORTUNITIES)

    keep = ["membership_id", "member_id", "start", "end", "grace_days"]
    candidate = paid[
        ["membership_id", "member_id", "start", "end", "renewed_from_id", "bought"]
    ].rename(columns=lambda column: f"{column}_r")
    has_link = candidate["renewed_from_id_r"].notna()
    linked = opps[keep].merge(
        candidate[has_link].astype({"renewed_from_id_r": "int64"}),
        left_on="membership_id",
        right_on="renewed_from_id_r",
    )
    unlinked = opps[keep].merge(candidate[~has_link], left_on="member_id", right_on="member_id_r")
    unlinked = unlinked[
        (unlinked["membership_id_r"] != unlinked["membership_id"])
        & (unlinked["start_r"] > unlinked["start"])
        & (unlinked["end_r"] > unlinked["end"])
    ]
    matches = pd.concat(
        [linked.assign(linked=True), unlinked.assign(linked=False)], ignore_index=True
    )
    # The rule the desk's Renew links by: whatever the link, a later start is a rejoin.
    days_after_end = (matches["start_r"] - matches["end"]).dt.days
    matches = matches[renewal_timing.renews(days_after_end, matches["grace_days"])]
    # The earliest start renews; on a tie, the one the desk linked.
    matches = matches.sort_values(["start_r", "linked"], ascending=[True, False])
    first_match = matches.drop_duplicates("membership_id").set_index("membership_id")

    out = opps.copy()
    renewal = first_match.reindex(out["membership_id"])
    out["renewal_id"] = renewal["membership_id_r"].to_numpy()
    out["renewed"] = out["renewal_id"].notna()
    gap = (renewal["start_r"] - renewal["end"]).dt.days.to_numpy()
    out["days_after_end"] = gap
    bought_early = (renewal["bought_r"] < renewal["end"]).to_numpy()
    out["timing"] = np.where(
        ~out["renewed"].to_numpy(),
        "",
        np.where(gap > 1, "late", np.where(bought_early, "early", "on_time")),
    )
    # Formatted once per distinct end day, not once per row.
    days, inverse = np.unique(out["end"].to_numpy(), return_inverse=True)
    out["month"] = pd.DatetimeIndex(days).strftime("%Y-%m").to_numpy()[inverse]
    out["tenure"] = np.where(out["renewed_from_id"].isna(), "first", "later")
    out["visit_band"] = visit_band(out["window_visits"])
    return frames.typed(out.reset_index(drop=True), OPPORTUNITIES)


def renewal_rate(opps: pd.DataFrame, *, by: str | list[str] | None = None) -> pd.DataFrame:
    """Opportunities, renewals (early, on time, late), rate and 95 % Wilson interval per group.

    `by`: None (one overall row) or any of month, plan, club, tenure, visit_band.
    """
    names = [] if by is None else [by] if isinstance(by, str) else list(by)
    unknown = set(names) - set(GROUPS)
    if unknown:
        raise ValueError(f"Unknown grouping {sorted(unknown)}; choose from {sorted(GROUPS)}.")
    columns = [GROUPS[name] for name in names]
    # Only the columns counted: assigning to the whole frame would copy every text column.
    counted = opps[[*columns, "renewed", "timing"]].assign(
        opportunities=1,
        renewed=opps["renewed"].astype("int64"),
        **{timing: (opps["timing"] == timing).astype("int64") for timing in TIMINGS},
    )
    sums = ["opportunities", "renewed", *TIMINGS]
    if columns:
        table = counted.groupby(columns, observed=True, sort=True)[sums].sum().reset_index()
    elif opps.empty:
        table = pd.DataFrame({column: [] for column in sums})
    else:
        table = counted[sums].sum().to_frame().T
    table["rate"] = stats.rate(table["renewed"], table["opportunities"])
    table["ci_low"], table["ci_high"] = stats.wilson(table["renewed"], table["opportunities"])
    schema = {column: OPPORTUNITIES[column] for column in columns} | RATE_COLUMNS
    return frames.typed(table, schema).rename(columns={v: k for k, v in GROUPS.items()})
