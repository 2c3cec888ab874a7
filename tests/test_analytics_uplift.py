"""Touchpoint uplift against the held-out group on hand-built frames (no database)."""

import math

import pandas as pd
import pytest

from analytics import frames, uplift
from analytics.stats import signed_points


def touchpoints(groups: list[tuple[int, str, int, int]]) -> pd.DataFrame:
    """(rule number, status, count, how many of them renewed) → a touchpoints frame."""
    rows = []
    for number, status, count, renewed in groups:
        for i in range(count):
            rows.append(
                {
                    "touchpoint_id": len(rows) + 1,
                    "rule_id": 100 + number,
                    "rule_number": number,
                    "rule_name": f"Rule {number}",
                    "member_id": len(rows) + 1,
                    "club_id": 1,
                    "status": status,
                    "due": "2026-03-01 09:00+00:00",
                    "sent": "2026-03-01 09:00+00:00" if status != "held_out" else None,
                    "renewed": i < renewed,
                    "visited": i < renewed,
                    "booked": False,
                }
            )
    return frames.typed(pd.DataFrame(rows), frames.TOUCHPOINTS)


def test_uplift_per_rule_with_an_interval_and_the_number_needed_to_message():
    # given: rule 9 sent to 100 (60 renew: 40 sent, 20 delivered), held out 50 (20 renew);
    # rule 4 does harm; rule 12 has no control group; suppressed rows are no arm at all
    frame = touchpoints(
        [
            (9, "sent", 40, 40),
            (9, "delivered", 60, 20),
            (9, "held_out", 50, 20),
            (9, "suppressed", 30, 30),
            (4, "sent", 10, 2),
            (4, "held_out", 10, 5),
            (12, "delivered", 5, 1),
        ]
    )

    # when
    table = uplift.uplift(frame, outcome="renewed").set_index("rule_number")

    # then
    nine = table.loc[9]
    assert (nine["sent"], nine["sent_outcomes"], nine["held_out"], nine["held_out_outcomes"]) == (
        100,
        60,
        50,
        20,
    )
    assert math.isclose(nine["difference"], 0.2)
    # Newcombe's hybrid score interval from the arms' Wilson intervals
    # (tests/test_analytics_uplift_interval.py holds it to his published values)
    assert math.isclose(nine["ci_low"], 0.03059, abs_tol=1e-4)
    assert math.isclose(nine["ci_high"], 0.35350, abs_tol=1e-4)
    assert math.isclose(nine["number_needed"], 5.0)
    assert math.isclose(table.loc[4, "difference"], -0.3)
    assert table.loc[4, "number_needed"] is pd.NA
    assert table.loc[12, "held_out"] == 0
    assert math.isnan(table.loc[12, "difference"])
    assert table.index.tolist() == [4, 9, 12]


@pytest.mark.parametrize(
    ("groups", "readable", "number_needed"),
    [
        # 30 % against 10 %, 40 each: the interval is above zero
        pytest.param([(6, "sent", 40, 12), (6, "held_out", 40, 4)], True, 5.0, id="significant"),
        # 25 % against 20 %, 40 each: the interval spans zero, so no messages per renewal
        pytest.param([(6, "sent", 40, 10), (6, "held_out", 40, 8)], True, None, id="may-be-none"),
        # QA's rule 6: 14 sent, 2 held out, nobody renewed: "0.0, interval 0.0 to 0.0"
        pytest.param([(6, "sent", 14, 0), (6, "held_out", 2, 0)], False, None, id="too-few"),
        # enough members, nobody renewed in either arm: no spread, yet an interval (−16 to +11
        # points) that says what 0 of 20 and 0 of 30 can and cannot rule out
        pytest.param([(6, "sent", 30, 0), (6, "held_out", 20, 0)], True, None, id="no-spread"),
    ],
)
def test_figures_are_readable_only_with_enough_members_and_spread(groups, readable, number_needed):
    # given
    frame = touchpoints(groups)

    # when
    [row] = uplift.uplift(frame, outcome="renewed").to_dict("records")

    # then
    assert row["readable"] is readable
    if number_needed is None:
        assert pd.isna(row["number_needed"])
    else:
        assert math.isclose(row["number_needed"], number_needed)


@pytest.mark.parametrize(
    ("sent", "held_out", "low", "high", "why"),
    [
        (20, 20, -0.1, 0.2, ""),
        (19, 400, -0.1, 0.2, uplift.TOO_FEW),
        (400, 2, 0.0, 0.0, uplift.TOO_FEW),
        (20, 20, 0.0, 0.0, uplift.NO_SPREAD),
        (20, 20, math.nan, math.nan, uplift.NO_SPREAD),
    ],
)
def test_why_an_uplift_cannot_be_read(sent, held_out, low, high, why):
    assert uplift.unreadable(sent=sent, held_out=held_out, ci_low=low, ci_high=high) == why


def test_another_outcome_and_an_unknown_one():
    frame = touchpoints([(9, "sent", 4, 0), (9, "held_out", 4, 0)])

    assert uplift.uplift(frame, outcome="booked")["difference"].tolist() == [0.0]
    with pytest.raises(ValueError, match="Unknown outcome 'opened'"):
        uplift.uplift(frame, outcome="opened")


def test_no_touchpoints_give_an_empty_typed_frame():
    table = uplift.uplift(frames.empty(frames.TOUCHPOINTS), outcome="visited")

    assert table.empty
    assert dict(table.dtypes.astype(str)) == uplift.UPLIFT


@pytest.mark.parametrize(
    ("fraction", "text"),
    [(0.062, "+6.2"), (-0.031, "\u22123.1"), (0.0, "0.0"), (-0.0004, "0.0"), (0.0004, "0.0")],
)
def test_points_are_signed_with_a_true_minus_and_zero_has_no_sign(fraction, text):
    assert signed_points(fraction) == text
