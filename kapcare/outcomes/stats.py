"""95% confidence intervals for the dashboard's rates and means. Pure functions, no ORM.

Proportions use the Wilson score interval: unlike the normal ("Wald") interval it stays inside
[0, 1] and behaves at small n and at 0% or 100%, which small clinics see all the time.
Means use the Student t interval (mean ± t(0.975, n−1) · s / √n): the normal interval would be
too narrow for the handful of courses a therapist or a quarter often has.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

Z_95 = 1.959963984540054  # the 97.5th percentile of the standard normal

# Two-sided 95% critical values of Student's t, t(0.975, df), for df 1–30 (standard tables).
_T_975 = (
    12.706,
    4.303,
    3.182,
    2.776,
    2.571,
    2.447,
    2.365,
    2.306,
    2.262,
    2.228,
    2.201,
    2.179,
    2.160,
    2.145,
    2.131,
    2.120,
    2.110,
    2.101,
    2.093,
    2.086,
    2.080,
    2.074,
    2.069,
    2.064,
    2.060,
    2.056,
    2.052,
    2.048,
    2.045,
    2.042,
)


def t_critical_975(df: int) -> float:
    """t(0.975, df): the table up to 30 degrees of freedom, then the Cornish–Fisher expansion
    around the normal quantile, which is within 0.001 of the exact value there."""
    if df < 1:
        raise ValueError("At least one degree of freedom is needed.")
    if df <= len(_T_975):
        return _T_975[df - 1]
    z = Z_95
    return (
        z
        + (z**3 + z) / (4 * df)
        + (5 * z**5 + 16 * z**3 + 3 * z) / (96 * df**2)
        + (3 * z**7 + 19 * z**5 + 17 * z**3 - 15 * z) / (384 * df**3)
    )


@dataclass(frozen=True)
class Interval:
    estimate: float
    low: float
    high: float


def wilson_interval(successes: int, n: int, z: float = Z_95) -> Interval | None:
    """The Wilson score interval for successes/n; None when n is 0 (no rate to give)."""
    if n <= 0:
        return None
    if not 0 <= successes <= n:
        raise ValueError("successes must lie between 0 and n")
    p = successes / n
    denominator = 1 + z**2 / n
    centre = (p + z**2 / (2 * n)) / denominator
    half = z * math.sqrt(p * (1 - p) / n + z**2 / (4 * n**2)) / denominator
    # Rounding can push an end a hair past the estimate at 0% and 100%.
    return Interval(p, max(0.0, min(p, centre - half)), min(1.0, max(p, centre + half)))


def mean_interval(mean: float | None, sd: float | None, n: int) -> Interval | None:
    """The t interval for a mean from its sample SD; None below two observations (no spread)."""
    if mean is None or n < 2 or sd is None:
        return None
    half = t_critical_975(n - 1) * sd / math.sqrt(n)
    return Interval(mean, mean - half, mean + half)
