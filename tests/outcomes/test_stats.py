"""Confidence intervals: Wilson for proportions, Student t for means."""

import math
import statistics

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kapcare.outcomes.stats import mean_interval, t_critical_975, wilson_interval


@pytest.mark.parametrize(
    ("k", "n", "low", "high"),
    [
        # Published Wilson intervals (e.g. Newcombe 1998, Table I; Brown, Cai & DasGupta 2001).
        (5, 10, 0.2366, 0.7634),
        (0, 10, 0.0, 0.2775),
        (10, 10, 0.7225, 1.0),
        (81, 263, 0.2553, 0.3662),
        (1, 29, 0.0061, 0.1718),
    ],
)
def test_wilson_interval_matches_published_values(k, n, low, high):
    interval = wilson_interval(k, n)
    assert interval.estimate == pytest.approx(k / n)
    assert interval.low == pytest.approx(low, abs=1e-4)
    assert interval.high == pytest.approx(high, abs=1e-4)


def test_no_denominator_no_rate():
    assert wilson_interval(0, 0) is None


def test_successes_beyond_n_are_refused():
    with pytest.raises(ValueError, match="between 0 and n"):
        wilson_interval(11, 10)


@given(n=st.integers(min_value=1, max_value=5000), data=st.data())
def test_wilson_interval_stays_in_bounds_around_the_estimate(n, data):
    k = data.draw(st.integers(min_value=0, max_value=n))
    interval = wilson_interval(k, n)
    assert 0 <= interval.low <= interval.estimate <= interval.high <= 1


@pytest.mark.parametrize(
    ("df", "t"), [(1, 12.706), (9, 2.262), (30, 2.042), (31, 2.040), (40, 2.021), (60, 2.000),
                  (120, 1.980), (10_000, 1.960)],
)  # fmt: skip
def test_t_critical_values(df, t):
    assert t_critical_975(df) == pytest.approx(t, abs=1e-3)


def test_mean_interval_uses_t_with_n_minus_one_degrees_of_freedom():
    changes = [-12, -13, -7, -7, -4]
    mean, sd = statistics.mean(changes), statistics.stdev(changes)
    interval = mean_interval(mean, sd, len(changes))
    half = 2.776 * sd / math.sqrt(5)  # t(0.975, 4)
    assert interval.estimate == pytest.approx(-8.6)
    assert (interval.low, interval.high) == pytest.approx((-8.6 - half, -8.6 + half))


def test_a_single_observation_has_no_interval():
    assert mean_interval(-5.0, None, 1) is None
    assert mean_interval(None, None, 0) is None
