"""Touchpoint uplift: the outcome rate of members sent a rule's message against those the
rule held out (its control group), from frames.TOUCHPOINTS.

The difference of the two proportions has Newcombe's hybrid score 95 % interval
(`stats.difference_interval`), which keeps the uncertainty of an arm with no spread (nobody
had the outcome, or everybody). Every screen reads it through `unreadable`: below
MIN_PER_ARM members in either arm, or with no interval at all, the figures are not shown.
The number needed to message per extra outcome is 1 / difference only where the figures can
be read and the interval lies above zero; missing otherwise (a message that does no good, or
may do none, has no such number).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from analytics import frames, stats

OUTCOMES = frames.OUTCOMES
# Below this many members in either arm the interval is too wide to read, and the arms too
# small to trust (14 sent against 2 held out once read "0.0, 95 % interval 0.0 to 0.0").
MIN_PER_ARM = 20
TOO_FEW = "too few to tell"
NO_SPREAD = "no difference to tell yet"
SENT = ("sent", "delivered")
UPLIFT = {
    "rule_id": "int64",
    "rule_number": "Int64",
    "rule_name": "str",
    "outcome": "str",
    "sent": "int64",
    "sent_outcomes": "int64",
    "sent_rate": "float64",
    "held_out": "int64",
    "held_out_outcomes": "int64",
    "held_out_rate": "float64",
    "difference": "float64",
    "ci_low": "float64",
    "ci_high": "float64",
    "number_needed": "Float64",
    "readable": "bool",
}


def unreadable(*, sent: int, held_out: int, ci_low: float, ci_high: float) -> str:
    """Why an uplift's figures say nothing (TOO_FEW, NO_SPREAD), or "" when they can be read:
    the one test the report, the playbook's column and the CSV share."""
    if min(sent, held_out) < MIN_PER_ARM:
        return TOO_FEW
    if math.isnan(ci_low) or math.isnan(ci_high) or ci_high == ci_low:
        return NO_SPREAD
    return ""


def uplift(touchpoints: pd.DataFrame, *, outcome: str = "renewed") -> pd.DataFrame:
    """One row per rule: sent vs held out, their outcome rates, the difference and its
    interval, and the number of members to message per extra outcome."""
    if outcome not in OUTCOMES:
        raise ValueError(f"Unknown outcome {outcome!r}; choose from {', '.join(OUTCOMES)}.")
    rows = touchpoints[touchpoints["status"].isin([*SENT, "held_out"])]
    if rows.empty:
        return frames.empty(UPLIFT)
    table = arms(rows, by="rule_id", outcome=outcome)
    names = rows.drop_duplicates("rule_id").set_index("rule_id")[["rule_number", "rule_name"]]
    table = table.join(names).reset_index().assign(outcome=outcome)
    table = table.sort_values(["rule_number", "rule_id"]).reset_index(drop=True)
    return frames.typed(table, UPLIFT)


def arms(rows: pd.DataFrame, *, by: str, outcome: str) -> pd.DataFrame:
    """Per value of `by` (a rule, a campaign's variant): the sent and held-out arms' sizes,
    outcomes and rates, the difference with its interval and the number needed, indexed by
    `by`. `rows` are sent or held out and have an `outcome` column."""
    arm = np.where(rows["status"] == "held_out", "held_out", "sent")
    hit = rows[outcome].astype("int64")
    grouped = rows.assign(arm=arm, hit=hit).groupby([by, "arm"])["hit"]
    both = ["sent", "held_out"]
    size = grouped.size().unstack(fill_value=0).reindex(columns=both, fill_value=0)
    total = grouped.sum().unstack(fill_value=0).reindex(columns=both, fill_value=0)
    table = pd.DataFrame(index=size.index)
    for name in both:
        table[name] = size[name]
        table[f"{name}_outcomes"] = total[name]
        table[f"{name}_rate"] = stats.rate(table[f"{name}_outcomes"], table[name])
    table["difference"], table["ci_low"], table["ci_high"] = stats.difference_interval(
        table["sent_outcomes"], table["sent"], table["held_out_outcomes"], table["held_out"]
    )
    table["readable"] = [
        not unreadable(sent=sent, held_out=held_out, ci_low=low, ci_high=high)
        for sent, held_out, low, high in zip(
            table["sent"], table["held_out"], table["ci_low"], table["ci_high"], strict=True
        )
    ]
    # Only for a difference known to be above zero: 1 / a difference that may be nothing is
    # a figure without a meaning ("238.3 messages per extra renewal").
    above_zero = table["readable"] & (table["ci_low"] > 0)
    table["number_needed"] = (1 / table["difference"]).where(above_zero)
    return table
