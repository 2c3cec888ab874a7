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
    """p1 − p2 with a normal-approximation (Wald) 95 % interval: (diff, low, high)."""
    p1, p2 = rate(k1, n1), rate(k2, n2)
    n1f, n2f = n1.astype("float64"), n2.astype("float64")
    diff = p1 - p2
    se = np.sqrt(p1 * (1 - p1) / n1f + p2 * (1 - p2) / n2f)
    return diff, diff - z * se, diff + z * se
