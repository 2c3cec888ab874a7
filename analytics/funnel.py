"""Lead → trial booked → trial attended → member, by acquisition source.

Inputs: frames.MEMBERS (every member was first a lead, created then; imported records
are existing members, not acquisitions, and are left out), frames.TRIALS and
frames.MEMBERSHIPS. A lead converts when they buy a paid membership on or after the
day they became a lead; the steps' days are counted between calendar days (UTC for the
lead and the trial, the club's day for the purchase).

Every rate is the ratio of two counts of the table: lead → trial = trial_booked ÷ leads,
trial show = trial_attended ÷ trial_booked, attended → member = attended_members (those who
attended a trial and became members) ÷ trial_attended, lead → member = members ÷ leads.
"members" counts leads who bought with or without a trial, so it may exceed trial_attended.
"""

from __future__ import annotations

import pandas as pd

from analytics import frames, stats

FUNNEL = {
    "source": "str",
    "leads": "int64",
    "trial_booked": "int64",
    "trial_attended": "int64",
    "members": "int64",
    "attended_members": "int64",
    "lead_to_trial": "float64",
    "trial_show": "float64",
    "attended_to_member": "float64",
    "lead_to_member": "float64",
    "days_lead_to_trial": "float64",
    "days_trial_to_attended": "float64",
    "days_attended_to_member": "float64",
    "days_lead_to_member": "float64",
}


def _day(instants: pd.Series) -> pd.Series:
    return instants.dt.tz_convert(None).dt.normalize().astype(frames.DAY)


def per_lead(
    members: pd.DataFrame, trials: pd.DataFrame, memberships: pd.DataFrame
) -> pd.DataFrame:
    """One row per lead with the day each step was reached (NaT: not reached)."""
    leads = members[["member_id", "source"]].assign(lead=_day(members["created"]))
    booked = trials.groupby("member_id")["booked"].min()
    attended = trials.dropna(subset=["attended"]).groupby("member_id")["attended"].min()
    out = leads.join(_day(booked).rename("trial_booked"), on="member_id")
    out = out.join(_day(attended).rename("trial_attended"), on="member_id")
    bought = frames.paid(memberships)[["member_id", "bought"]].merge(out[["member_id", "lead"]])
    bought = bought[bought["bought"] >= bought["lead"]].groupby("member_id")["bought"].min()
    return out.join(bought.rename("member"), on="member_id")


def funnel(members: pd.DataFrame, trials: pd.DataFrame, memberships: pd.DataFrame) -> pd.DataFrame:
    """Counts, conversion rates and median days between steps per source, then "all"."""
    members = members[members["source"] != "import"]
    if members.empty:
        return frames.empty(FUNNEL)
    steps = per_lead(members, trials, memberships)
    steps = pd.concat([steps, steps.assign(source="all")], ignore_index=True)
    days = {
        "days_lead_to_trial": ("lead", "trial_booked"),
        "days_trial_to_attended": ("trial_booked", "trial_attended"),
        "days_attended_to_member": ("trial_attended", "member"),
        "days_lead_to_member": ("lead", "member"),
    }
    steps = steps.assign(**{name: (steps[b] - steps[a]).dt.days for name, (a, b) in days.items()})
    grouped = steps.groupby("source", sort=False)
    table = grouped.agg(
        leads=("member_id", "size"),
        trial_booked=("trial_booked", "count"),
        trial_attended=("trial_attended", "count"),
        members=("member", "count"),
        **{name: (name, "median") for name in days},
    ).reset_index()
    table["lead_to_trial"] = stats.rate(table["trial_booked"], table["leads"])
    table["trial_show"] = stats.rate(table["trial_attended"], table["trial_booked"])
    # Of those who attended a trial, how many became members (at any later day): a count of
    # its own, as "members" also holds leads who bought without a trial.
    attended_members = steps.dropna(subset=["trial_attended", "member"]).groupby("source").size()
    table["attended_members"] = table["source"].map(attended_members).fillna(0)
    table["attended_to_member"] = stats.rate(table["attended_members"], table["trial_attended"])
    table["lead_to_member"] = stats.rate(table["members"], table["leads"])
    order = [*sorted(set(table["source"]) - {"all"}), "all"]
    table = table.set_index("source").loc[order].reset_index()
    return frames.typed(table, FUNNEL)
