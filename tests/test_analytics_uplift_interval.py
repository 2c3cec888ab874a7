"""The uplift's interval for a difference of two proportions: Newcombe's hybrid score
interval (method 10), which keeps the uncertainty of an arm with no spread."""

import pandas as pd
import pytest

from analytics import playbook, stats, uplift


# Newcombe, "Interval estimation for the difference between independent proportions",
# Statistics in Medicine 17 (1998), Table II, method 10.
@pytest.mark.parametrize(
    ("k1", "n1", "k2", "n2", "low", "high"),
    [
        (56, 70, 48, 80, 0.0524, 0.3339),
        (9, 10, 3, 10, 0.1705, 0.8090),
        (5, 56, 0, 29, -0.0381, 0.1926),
        (0, 10, 0, 20, -0.1611, 0.2775),
        (0, 10, 0, 10, -0.2775, 0.2775),
        (10, 10, 0, 20, 0.6791, 1.0000),
        (10, 10, 0, 10, 0.6075, 1.0000),
    ],
)
def test_the_interval_matches_newcombes_published_values(k1, n1, k2, n2, low, high):
    diff, lows, highs = stats.difference_interval(*(pd.Series([v]) for v in (k1, n1, k2, n2)))

    assert diff[0] == pytest.approx(k1 / n1 - k2 / n2)
    assert (round(lows[0], 4), round(highs[0], 4)) == (low, high)


def test_an_arm_with_no_spread_still_has_its_uncertainty():
    # rule 20 in QA: 10 of 209 sent renewed (4.8 %), 0 of 32 held out; the normal
    # approximation said +4.8 pts ±2.9, as if the held-out rate were surely 0
    diff, low, high = stats.difference_interval(
        pd.Series([10]), pd.Series([209]), pd.Series([0]), pd.Series([32])
    )

    assert round(100 * diff[0], 1) == 4.8
    assert (round(100 * low[0], 1), round(100 * high[0], 1)) == (-6.1, 8.6)
    assert uplift.unreadable(sent=209, held_out=32, ci_low=low[0], ci_high=high[0]) == ""


def test_an_empty_arm_has_no_interval():
    _, low, high = stats.difference_interval(
        pd.Series([3]), pd.Series([30]), pd.Series([0]), pd.Series([0])
    )

    assert low.isna().all() and high.isna().all()
    assert uplift.unreadable(sent=30, held_out=0, ci_low=low[0], ci_high=high[0]) == uplift.TOO_FEW


@pytest.mark.parametrize(("sent", "held_out"), [(209, 19), (19, 209), (5, 2)])
def test_below_the_minimum_per_arm_it_is_still_too_few(sent, held_out):
    _, low, high = stats.difference_interval(
        pd.Series([1]), pd.Series([sent]), pd.Series([0]), pd.Series([held_out])
    )

    assert uplift.unreadable(sent=sent, held_out=held_out, ci_low=low[0], ci_high=high[0]) == (
        uplift.TOO_FEW
    )


def test_the_playbook_shows_the_interval_itself_not_a_symmetric_half_width():
    row = {
        "sent": 209,
        "held_out": 32,
        "sent_rate": 10 / 209,
        "held_out_rate": 0.0,
        "difference": 10 / 209,
        "ci_low": -0.0615,
        "ci_high": 0.0858,
    }

    cell = playbook.uplift_cell(row)

    assert cell.text == "+4.8 pts (\u22126.2 to +8.6)"
    assert cell.title.startswith("95 % interval \u22126.2 to +8.6 pts; renewed 4.8 % of 209 sent")
