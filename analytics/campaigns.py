"""A campaign's renewals: per variant, the renewal rate within 60 days of the send of the
members sent it against the members it held out, with the difference and its 95 % interval
(uplift.arms, as the playbook's uplift column measures a rule). analytics/wagtail_hooks.py
adds it to campaigns' results page through its `construct_campaign_results` hook."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd
from wagtail.admin.ui.components import Component

from analytics import frames, uplift
from analytics.playbook import MIN_PER_ARM
from analytics.stats import signed_points
from club.models import Club

RENEWAL_WITHIN_DAYS = 60
ALL = "All"


@dataclass(frozen=True)
class Comparison:
    """One variant's (or all variants') renewals, sent vs held out."""

    variant: str
    sent: int
    sent_renewed: int
    held_out: int
    held_out_renewed: int
    sent_rate: float
    held_out_rate: float
    difference: float
    ci_low: float
    ci_high: float

    @property
    def too_few(self) -> bool:
        """Below MIN_PER_ARM in either arm the interval is too wide to read."""
        return min(self.sent, self.held_out) < MIN_PER_ARM

    @property
    def verdict(self) -> str:
        """ "+6.2 pts (+3.1 to +9.4)", or why there is nothing to say yet."""
        if self.too_few:
            return "too few members to tell"
        if math.isnan(self.difference) or self.ci_high == self.ci_low:
            return "no difference to tell yet"
        # The interval itself: Newcombe's is not symmetric around the difference.
        low, high = signed_points(self.ci_low), signed_points(self.ci_high)
        return f"{signed_points(self.difference)} pts ({low} to {high})"


def renewal_comparison(
    campaign_id: int, *, clubs: Sequence[Club] | None = None
) -> list[Comparison]:
    """Per variant, then all variants together: renewals within RENEWAL_WITHIN_DAYS of the
    send, of members sent the message and of members held out. One query.

    A repeating campaign counts each member once across its runs (`per_member`)."""
    rows = frames.campaign_touchpoints(
        campaign_id, clubs=clubs, renewal_within_days=RENEWAL_WITHIN_DAYS
    )
    rows = per_member(rows[rows["status"].isin([*uplift.SENT, "held_out"])])
    if rows.empty:
        return []
    per_variant = uplift.arms(rows, by="variant", outcome="renewed")
    together = uplift.arms(rows.assign(variant=ALL), by="variant", outcome="renewed")
    comparisons = []
    for variant, row in [*per_variant.iterrows(), *together.iterrows()]:
        comparisons.append(
            Comparison(
                variant=str(variant),
                sent=int(row["sent"]),
                sent_renewed=int(row["sent_outcomes"]),
                held_out=int(row["held_out"]),
                held_out_renewed=int(row["held_out_outcomes"]),
                sent_rate=float(row["sent_rate"]),
                held_out_rate=float(row["held_out_rate"]),
                difference=float(row["difference"]),
                ci_low=float(row["ci_low"]),
                ci_high=float(row["ci_high"]),
            )
        )
    return comparisons


def per_member(rows: pd.DataFrame) -> pd.DataFrame:
    """One row per member from a campaign's sent and held-out rows of every run: sent if any
    run sent them the message, else held out (the holdout hash is the same in every run, so
    a member is in one arm throughout), renewed if they renewed within the window of any of
    those runs. Counting rows would weigh a weekly member a dozen times over a one-off's."""
    if rows.empty:
        return rows
    return (
        rows.assign(went=rows["status"].isin(uplift.SENT))
        .groupby("member_id", as_index=False)
        .agg(variant=("variant", "first"), went=("went", "any"), renewed=("renewed", "any"))
        .assign(status=lambda frame: frame["went"].map({True: "sent", False: "held_out"}))
    )


class RenewalSection(Component):
    template_name = "analytics/campaign_renewals.html"

    def __init__(self, campaign, *, clubs: Sequence[Club]):
        self.campaign, self.clubs = campaign, clubs

    def get_context_data(self, parent_context):
        return {
            "comparisons": renewal_comparison(self.campaign.pk, clubs=self.clubs),
            "days": RENEWAL_WITHIN_DAYS,
            "min_per_arm": MIN_PER_ARM,
        }
