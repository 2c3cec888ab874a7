"""The playbook's uplift column: each rule's renewal uplift (sent vs held out, as the renewal
report measures it: analytics.uplift over frames.touchpoints) for the playbook's period and
the staff member's clubs, from one query for every rule. analytics/wagtail_hooks.py adds it
to campaigns' playbook through its `construct_playbook_columns` hook."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from analytics import frames, uplift
from analytics.stats import signed_points
from campaigns.backoffice.views import Cell, PlaybookColumn
from club.models import Club

# The report's own minimum (uplift.unreadable): below it the cell says "—" and, on hover, why.
MIN_PER_ARM = uplift.MIN_PER_ARM
HELP = (
    "Uplift: renewals (a paid membership bought after the message, within 45 days) of members "
    "sent the message minus those held out, in "
    "percentage points (and the 95 % interval), over touchpoints due in the period. “—”: too "
    f"little data to say (at least {MIN_PER_ARM} sent and {MIN_PER_ARM} held out); hover a cell "
    "for its counts."
)


def uplift_table(*, clubs: Sequence[Club], since: dt.datetime, until: dt.datetime):
    """analytics.uplift on renewal for touchpoints due in [since, until) at `clubs`."""
    touchpoints = frames.touchpoints(clubs=clubs, since=since, until=until, outcomes=["renewed"])
    return uplift.uplift(touchpoints, outcome="renewed")


def uplift_cell(row: dict) -> Cell:
    """ "+6.2 pts (+3.1 to +9.4)", or "—" when there is too little data to say."""
    sent, held_out = int(row["sent"]), int(row["held_out"])
    counts = f"{sent} sent, {held_out} held out"
    low, high, difference = row["ci_low"], row["ci_high"], row["difference"]
    why = uplift.unreadable(sent=sent, held_out=held_out, ci_low=low, ci_high=high)
    if why == uplift.TOO_FEW:
        return Cell("—", f"Too little data: {counts} (at least {MIN_PER_ARM} of each needed).")
    if why:
        # Nobody (or everybody) renewed in both arms: no spread, so no interval to trust.
        return Cell("—", f"Too little data: no renewals differ yet ({counts}).")
    rates = (
        f"renewed {100 * row['sent_rate']:.1f} % of {sent} sent vs "
        f"{100 * row['held_out_rate']:.1f} % of {held_out} held out"
    )
    # The interval itself, not "± half its width": it is not symmetric around the difference
    # (an arm near 0 % or 100 % has room on one side only).
    return Cell(
        f"{signed_points(difference)} pts ({signed_points(low)} to {signed_points(high)})",
        f"95 % interval {signed_points(low)} to {signed_points(high)} pts; {rates}.",
    )


def uplift_column(
    *, clubs: Sequence[Club], since: dt.datetime, until: dt.datetime
) -> PlaybookColumn:
    table = uplift_table(clubs=clubs, since=since, until=until)
    cells = {int(row["rule_id"]): uplift_cell(row) for row in table.to_dict("records")}
    return PlaybookColumn(
        "Uplift",
        cells,
        help_text=HELP,
        missing=Cell("—", "Too little data: nothing sent or held out in the period."),
        order=10,
    )
