"""Outcome definitions as pure functions: no ORM, no request, unit-tested without a database.

Every scale handled here is "lower is better" (PHQ-9, GAD-7, PCL-5, OCI-R). Scores come in as
numbers (an int, or a Decimal when a manual allows prorating); thresholds come from the clinic's
outcome settings (kapcare.outcomes.models), whose defaults cite ../shared/clinical/FACTS.md.

A score that is missing is None, and every function that needs it answers None ("cannot say")
instead of guessing: a missing follow-up is never imputed.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from fractions import Fraction

Score = int | float | Decimal

# FACTS.md §2.2: |RCI| > 1.96 is a reliable change (p < .05, two-sided).
RCI_CRITICAL = 1.96


def _exact(value: Score) -> Fraction:
    # Thresholds such as "a 50% drop" are compared exactly: 7 → 3.5 is a 50% drop, not 49.999…
    return Fraction(Decimal(str(value)))


# --- FACTS.md §2.1: which scores are compared ---------------------------------------------------


class BaselineRule(StrEnum):
    PRE_DOSE_1 = "pre_dose_1"  # the last score before the first dosing session (the default)
    INTAKE = "intake"  # the first score of the course


def pick_baseline(
    points: Sequence[tuple[dt.datetime, Score]],
    *,
    first_dose_at: dt.datetime | None,
    rule: BaselineRule | str,
) -> int | None:
    """The index of the baseline among `points` (oldest first). Under PRE_DOSE_1 it is the last
    score strictly before the first dose; before any dose every score is a pre-dose score, so
    it is the latest one. None when there is none (a course whose first score came after the
    first dose has no pre-dose baseline)."""
    if not points:
        return None
    if rule == BaselineRule.INTAKE:
        return 0
    before = [i for i, (at, _) in enumerate(points) if first_dose_at is None or at < first_dose_at]
    return before[-1] if before else None


def pick_last(points: Sequence[tuple[dt.datetime, Score]], baseline: int | None) -> int | None:
    """The index of the last available score after the baseline; None is a missing follow-up."""
    if baseline is None:
        return None
    after = [i for i, (at, _) in enumerate(points) if at > points[baseline][0]]
    return after[-1] if after else None


# --- FACTS.md §2.1: change, percent change, response, remission ---------------------------------


def change_from_baseline(baseline: Score | None, current: Score | None) -> float | None:
    """current − baseline, in points: negative is an improvement on a lower-is-better scale."""
    if baseline is None or current is None:
        return None
    return float(_exact(current) - _exact(baseline))


def percent_change(baseline: Score | None, current: Score | None) -> float | None:
    """(baseline − current) / baseline × 100 (FACTS.md §2.1): positive is a reduction.
    Undefined (None) when the baseline is 0 or either score is missing."""
    if baseline is None or current is None or _exact(baseline) == 0:
        return None
    return float((_exact(baseline) - _exact(current)) / _exact(baseline) * 100)


class ResponseKind(StrEnum):
    PERCENT = "percent"  # a drop of at least `threshold` per cent of baseline (PHQ-9, GAD-7)
    POINTS = "points"  # a drop of at least `threshold` points (PCL-5: 10 points)


@dataclass(frozen=True)
class ResponseRule:
    """FACTS.md §2.1: PHQ-9/GAD-7 ≥50% drop; PCL-5 ≥10-point drop; OCI-R 35% (borrowed)."""

    kind: ResponseKind
    threshold: Score


def is_response(baseline: Score | None, current: Score | None, rule: ResponseRule) -> bool | None:
    """Whether the drop from baseline meets the response rule. None when a score is missing, or
    for a percentage rule when the baseline is 0 (percent change undefined, FACTS.md §2.1)."""
    if baseline is None or current is None:
        return None
    drop = _exact(baseline) - _exact(current)
    if rule.kind == ResponseKind.POINTS:
        return drop >= _exact(rule.threshold)
    if _exact(baseline) == 0:
        return None
    return drop * 100 >= _exact(rule.threshold) * _exact(baseline)


def is_remission(baseline: Score | None, current: Score | None, below: Score | None) -> bool | None:
    """Remission: the current score is below the instrument's threshold (FACTS.md §2.1, e.g.
    PHQ-9 < 5). None when there is no threshold (OCI-R: no consensus), a score is missing, or
    the baseline was already below it: a client who starts in the remitted range cannot remit,
    as non-cases are left out of the NHS Talking Therapies recovery rate (FACTS.md §2.3)."""
    if below is None or baseline is None or current is None:
        return None
    if _exact(baseline) < _exact(below):
        return None
    return _exact(current) < _exact(below)


# --- FACTS.md §2.2: Jacobson & Truax reliable and clinically significant change ----------------


@dataclass(frozen=True)
class ReliabilityParams:
    """The normative values a clinic chose for one instrument (FACTS.md §2.2: stored per
    instrument as configuration). `sd_pre` is the pre-treatment SD, `reliability` r_xx."""

    sd_pre: float
    reliability: float

    def __post_init__(self) -> None:
        if not self.sd_pre > 0:
            raise ValueError("The SD must be above 0.")
        if not 0 < self.reliability < 1:
            raise ValueError("Reliability must be between 0 and 1, exclusive.")


def standard_error(params: ReliabilityParams) -> float:
    """SE = SD_pre × √(1 − r_xx)."""
    return params.sd_pre * math.sqrt(1 - params.reliability)


def s_diff(params: ReliabilityParams) -> float:
    """S_diff = √(2 × SE²)."""
    return math.sqrt(2 * standard_error(params) ** 2)


def reliable_change_index(
    baseline: Score | None, current: Score | None, params: ReliabilityParams
) -> float | None:
    """RCI = (x_post − x_pre) / S_diff; negative is an improvement here."""
    change = change_from_baseline(baseline, current)
    return None if change is None else change / s_diff(params)


def minimum_reliable_change(params: ReliabilityParams) -> float:
    """The smallest change in raw points that is reliable: 1.96 × S_diff."""
    return RCI_CRITICAL * s_diff(params)


class Direction(StrEnum):
    IMPROVED = "improved"
    UNCHANGED = "unchanged"
    DETERIORATED = "deteriorated"


def reliable_direction(rci: float | None) -> Direction | None:
    if rci is None:
        return None
    if rci < -RCI_CRITICAL:
        return Direction.IMPROVED
    if rci > RCI_CRITICAL:
        return Direction.DETERIORATED
    return Direction.UNCHANGED


class Criterion(StrEnum):
    A = "a"  # out of the clinical range: M_clin − 2·SD_clin
    B = "b"  # into the normal range: M_norm + 2·SD_norm
    C = "c"  # closer to the normal mean than to the clinical mean


@dataclass(frozen=True)
class Norms:
    clinical_mean: float
    clinical_sd: float
    normal_mean: float | None = None
    normal_sd: float | None = None

    @property
    def has_normal(self) -> bool:
        return self.normal_mean is not None and self.normal_sd is not None


def cutoff(norms: Norms, criterion: Criterion) -> float | None:
    """The clinically-significant-change cut-off (FACTS.md §2.2) for a lower-is-better scale;
    None when criterion b or c is asked for without normal-population norms."""
    if criterion == Criterion.A:
        return norms.clinical_mean - 2 * norms.clinical_sd
    normal_mean, normal_sd = norms.normal_mean, norms.normal_sd
    if normal_mean is None or normal_sd is None:
        return None
    if criterion == Criterion.B:
        return normal_mean + 2 * normal_sd
    return (norms.clinical_sd * normal_mean + normal_sd * norms.clinical_mean) / (
        norms.clinical_sd + normal_sd
    )


def crossed_cutoff(baseline: Score | None, current: Score | None, cut: float | None) -> bool | None:
    """Moved from the dysfunctional side (at or above the cut-off) to the functional side."""
    if baseline is None or current is None or cut is None:
        return None
    return float(baseline) >= cut > float(current)


class JTCategory(StrEnum):
    RECOVERED = "recovered"
    IMPROVED = "improved"
    UNCHANGED = "unchanged"
    DETERIORATED = "deteriorated"


def jt_category(
    baseline: Score | None, current: Score | None, params: ReliabilityParams, cut: float | None
) -> JTCategory | None:
    """FACTS.md §2.2: Recovered = reliable improvement and crossed the cut-off; Improved =
    reliable improvement only (or no cut-off configured); Unchanged = |RCI| ≤ 1.96;
    Deteriorated = reliable worsening."""
    direction = reliable_direction(reliable_change_index(baseline, current, params))
    if direction is None:
        return None
    if direction == Direction.DETERIORATED:
        return JTCategory.DETERIORATED
    if direction == Direction.UNCHANGED:
        return JTCategory.UNCHANGED
    if crossed_cutoff(baseline, current, cut):
        return JTCategory.RECOVERED
    return JTCategory.IMPROVED


# --- FACTS.md §2.3: NHS Talking Therapies paired PHQ-9 + anxiety measure -----------------------


@dataclass(frozen=True)
class NhsMeasure:
    """A score at or above `caseness` is a case; a change of at least `reliable_change` points
    is reliable (FACTS.md §2.3: PHQ-9 10/6, GAD-7 8/4)."""

    caseness: Score
    reliable_change: Score


@dataclass(frozen=True)
class NhsOutcome:
    case_at_start: bool
    recovery: bool | None  # None: not a case at start, left out of the recovery denominator
    reliable_improvement: bool
    reliable_deterioration: bool
    reliable_recovery: bool | None

    @property
    def no_reliable_change(self) -> bool:
        return not (self.reliable_improvement or self.reliable_deterioration)


def _reliably(first: Score, last: Score, measure: NhsMeasure) -> int:
    """-1 reliably better, +1 reliably worse, 0 neither."""
    change = _exact(last) - _exact(first)
    if -change >= _exact(measure.reliable_change):
        return -1
    if change >= _exact(measure.reliable_change):
        return 1
    return 0


def nhs_tt_outcome(
    *,
    depression: tuple[Score | None, Score | None],
    anxiety: tuple[Score | None, Score | None],
    depression_measure: NhsMeasure,
    anxiety_measure: NhsMeasure,
) -> NhsOutcome | None:
    """The NHS Talking Therapies categories for one paired course (FACTS.md §2.3); each pair is
    (first score, last score). None when any of the four scores is missing: the pair is
    incomplete and nothing is imputed."""
    dep_first, dep_last = depression
    anx_first, anx_last = anxiety
    if dep_first is None or dep_last is None or anx_first is None or anx_last is None:
        return None
    case = _exact(dep_first) >= _exact(depression_measure.caseness) or _exact(anx_first) >= _exact(
        anxiety_measure.caseness
    )
    recovery = None
    if case:
        recovery = _exact(dep_last) < _exact(depression_measure.caseness) and _exact(
            anx_last
        ) < _exact(anxiety_measure.caseness)
    moves = {
        _reliably(dep_first, dep_last, depression_measure),
        _reliably(anx_first, anx_last, anxiety_measure),
    }
    # Opposite reliable changes (one better, one worse) are neither improvement nor
    # deterioration (FACTS.md §2.3 edge case).
    improvement = -1 in moves and 1 not in moves
    deterioration = 1 in moves and -1 not in moves
    return NhsOutcome(
        case_at_start=case,
        recovery=recovery,
        reliable_improvement=improvement,
        reliable_deterioration=deterioration,
        reliable_recovery=None if recovery is None else recovery and improvement,
    )
