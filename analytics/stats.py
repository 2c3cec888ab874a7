"""Interval estimates shared by the reports (vectorised; n = 0 gives NaN, never an error)."""

from __future__ import annotations

import numpy as np
import pandas as pd

Z95 = 1.959963984540054


def signed_points(fraction: float) -> str:
    """A difference of rates in percentage points, signed: "+6.2", "−3.1" (a true minus sign,
    which lines up with the plus in a column and reads as a sign, not a hyphen), "0.0"."""
    points = round(100 * fraction, 1)
    if points == 0:
        return "0.0"
    return f"{points:+.1f}".replace("-", "\u2212")


def wilson(successes: pd.Series, trials: pd.Series, *, z: float = Z95) -> tuple[pd.Series, ...]:
    """Wilson score interval for a proportion: (low, high), NaN where there are no trials.

    Wilson rather than the normal approximation because renewal groups are often small
    and rates near 0 or 1, where p ± z·se leaves [0, 1].
    """
    k = successes.astype("float64")
    n = trials.astype("float64")
    with np.errstate(divide="ignore", invalid="ignore"):
        p = k / n
        denominator = 1 + z**2 / n
        centre = (p + z**2 / (2 * n)) / denominator
        half = z * np.sqrt(p * (1 - p) / n + z**2 / (4 * n**2)) / denominator
    low = (centre - half).where(n > 0).clip(lower=0.0)
    high = (centre + half).where(n > 0).clip(upper=1.0)
    return low, high


def rate(successes: pd.Series, trials: pd.Series) -> pd.Series:
    n = trials.astype("float64")
    return (successes.astype("float64") / n).where(n > 0)


def difference_interval(
    k1: pd.Series, n1: pd.Series, k2: pd.Series, n2: pd.Series, *, z: float = Z95
) -> tuple[pd.Series, pd.Series, pd.Series]:
    """p1 − p2 with Newcombe's hybrid score 95 % interval (his method 10, from the two arms'
    Wilson intervals): (diff, low, high), NaN where an arm has no trials.

    Not the normal approximation: that takes an arm with no spread (0 of 32 renewed) for a
    certainty and gave "+4.8 pts ±2.9" where the held-out rate could well have been 10 %.
    Each arm's own Wilson interval keeps its uncertainty, and the interval stays in [−1, 1].
    """
    p1, p2 = rate(k1, n1), rate(k2, n2)
    low1, high1 = wilson(k1, n1, z=z)
    low2, high2 = wilson(k2, n2, z=z)
    diff = p1 - p2
    low = diff - np.sqrt((p1 - low1) ** 2 + (high2 - p2) ** 2)
    high = diff + np.sqrt((high1 - p1) ** 2 + (p2 - low2) ** 2)
    return diff, low, high
