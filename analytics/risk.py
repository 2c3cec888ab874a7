"""At-risk and expiring members ranked by a transparent score, with the reasons shown.

score (0-100) = 40 × visit decline + 30 × nearness of the end + 15 × short tenure
+ 15 × short contract, where
- visit decline: 1 − (visits per week in the last 4 weeks ÷ the member's own average
  per week over the 22 weeks before), clipped to [0, 1]; 0 when there is no history;
- nearness of the end: 1 on or after the end, falling linearly to 0 at 30 days ahead;
- short tenure: 1 below 90 days since the first paid membership, 0.5 below a year;
- short contract: 1 for a month or less, 0.5 up to four months (packs), else 0.2.
Inputs: frames.MEMBERS, frames.MEMBERSHIPS and frames.WEEKLY_VISITS.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from analytics import frames

STAGES = ("at_risk", "expiring")
WEIGHTS = {"decline": 40.0, "end": 30.0, "tenure": 15.0, "contract": 15.0}
RECENT_WEEKS = 4
BASELINE_WEEKS = 22
RISK = {
    "member_id": "int64",
    "name": "str",
    "stage": "str",
    "score": "float64",
    "visit_decline": "float64",
    "recent_per_week": "float64",
    "average_per_week": "float64",
    "tenure_days": "Int64",
    "contract_days": "Int64",
    "days_to_end": "Int64",
    "reasons": "str",
}


def _weekly_rates(
    visits: pd.DataFrame, first_paid: pd.Series, *, as_of: pd.Timestamp
) -> pd.DataFrame:
    """Visits per week in the recent window and in the member's own baseline window."""
    recent_from = as_of - pd.Timedelta(weeks=RECENT_WEEKS)
    baseline_from = recent_from - pd.Timedelta(weeks=BASELINE_WEEKS)
    recent = visits[(visits["week"] > recent_from) & (visits["week"] <= as_of)]
    baseline = visits[(visits["week"] > baseline_from) & (visits["week"] <= recent_from)]
    out = pd.DataFrame(index=first_paid.index)
    out["recent_per_week"] = (
        recent.groupby("member_id")["visits"].sum().reindex(out.index, fill_value=0) / RECENT_WEEKS
    )
    # Weeks of membership in the baseline window, so a new member isn't averaged over
    # weeks before they joined.
    member_since = first_paid.clip(lower=baseline_from)
    weeks = ((recent_from - member_since).dt.days / 7).clip(lower=0, upper=BASELINE_WEEKS)
    total = baseline.groupby("member_id")["visits"].sum().reindex(out.index, fill_value=0)
    out["average_per_week"] = (total / weeks).where(weeks >= 1)
    return out


def ranked(
    members: pd.DataFrame,
    memberships: pd.DataFrame,
    visits: pd.DataFrame,
    *,
    as_of: dt.date,
    stages: tuple[str, ...] = STAGES,
) -> pd.DataFrame:
    """Members in `stages`, highest score first, each with the reasons behind it."""
    people = members[members["stage"].isin(stages)].set_index("member_id")
    if people.empty:
        return frames.empty(RISK)
    day = pd.Timestamp(as_of)
    started = memberships[memberships["start"] <= day]
    held = frames.paid(started)
    held = held[held["member_id"].isin(people.index)]
    first_paid = frames.first_paid_start(started).reindex(people.index)
    current = held.sort_values("end").drop_duplicates("member_id", keep="last")
    current = current.set_index("member_id").reindex(people.index)

    out = people[["name", "stage"]].join(_weekly_rates(visits, first_paid, as_of=day))
    out["tenure_days"] = (day - first_paid).dt.days
    out["contract_days"] = (current["end"] - current["start"]).dt.days + 1
    out["days_to_end"] = (current["end"] - day).dt.days
    ratio = out["recent_per_week"] / out["average_per_week"]
    out["visit_decline"] = (1 - ratio).clip(lower=0, upper=1).fillna(0)
    end_part = (1 - out["days_to_end"] / 30).clip(lower=0, upper=1).fillna(0)
    tenure_part = np.select(
        [out["tenure_days"] < 90, out["tenure_days"] < 365], [1.0, 0.5], default=0.0
    )
    tenure_part = np.where(out["tenure_days"].isna(), 0.0, tenure_part)
    contract_part = np.select(
        [out["contract_days"] <= 31, out["contract_days"] <= 120], [1.0, 0.5], default=0.2
    )
    contract_part = np.where(out["contract_days"].isna(), 0.0, contract_part)
    out["score"] = (
        WEIGHTS["decline"] * out["visit_decline"]
        + WEIGHTS["end"] * end_part
        + WEIGHTS["tenure"] * tenure_part
        + WEIGHTS["contract"] * contract_part
    ).round(1)
    out["reasons"] = [_reasons(row) for row in out.itertuples()]
    out = out.reset_index().sort_values(["score", "member_id"], ascending=[False, True])
    return frames.typed(out.reset_index(drop=True), RISK)


def _reasons(row) -> str:
    """Plain words for a member's score, strongest signals first."""
    reasons = []
    if row.average_per_week and row.average_per_week > 0:
        if row.recent_per_week == 0:
            reasons.append(f"no visits in {RECENT_WEEKS} weeks")
        elif row.visit_decline >= 0.3:
            reasons.append(f"visits down {round(row.visit_decline * 100)} % vs own average")
    if not pd.isna(row.days_to_end):
        days = int(row.days_to_end)
        if days < 0:
            reasons.append(f"ended {-days} day{'s' if days != -1 else ''} ago")
        elif days == 0:
            reasons.append("ends today")
        elif days <= 30:
            reasons.append(f"ends in {days} day{'s' if days != 1 else ''}")
    if not pd.isna(row.tenure_days) and row.tenure_days < 90:
        reasons.append(f"member for {int(row.tenure_days)} days")
    if not pd.isna(row.contract_days) and row.contract_days <= 31:
        reasons.append("monthly contract")
    return "; ".join(reasons)
