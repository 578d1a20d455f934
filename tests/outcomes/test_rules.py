"""Outcome rules against the hand-computed table, plus properties that hold for any scores."""

import math
from decimal import Decimal

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from kapcare.outcomes import rules
from kapcare.outcomes.config import default_config
from tests.outcomes.cases import CASES, CUT_C, JT, NORMS

CONFIG = default_config()
PHQ = CONFIG.instruments["phq9"]
GAD = CONFIG.instruments["gad7"]


def _approx(expected):
    return None if expected is None else pytest.approx(expected, abs=1e-6)


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_outcomes_match_the_hand_computed_table(case):
    baseline, last = case.phq
    assert rules.change_from_baseline(baseline, last) == _approx(case.change)
    assert rules.percent_change(baseline, last) == _approx(case.percent)
    assert rules.is_response(baseline, last, PHQ.response) is case.response
    assert rules.is_remission(baseline, last, PHQ.remission_below) is case.remission
    assert rules.reliable_change_index(baseline, last, JT) == _approx(case.rci)
    category = rules.jt_category(baseline, last, JT, CUT_C)
    assert (category and category.value) == case.jt
    outcome = rules.nhs_tt_outcome(
        depression=case.phq, anxiety=case.gad, depression_measure=PHQ.nhs, anxiety_measure=GAD.nhs
    )
    if case.nhs is None:
        assert outcome is None
    else:
        assert (
            outcome.case_at_start,
            outcome.recovery,
            outcome.reliable_improvement,
            outcome.reliable_deterioration,
            outcome.reliable_recovery,
        ) == case.nhs


def test_the_table_covers_what_acceptance_asks_for():
    names = {case.name for case in CASES}
    assert len(CASES) >= 10
    assert {"baseline below caseness", "missing follow-up"} <= names


def test_jacobson_truax_worked_values():
    # SE = 5 × √(1 − 0.84) = 2; S_diff = √8; 1.96 × √8 = 5.5437
    assert rules.standard_error(JT) == pytest.approx(2.0)
    assert rules.s_diff(JT) == pytest.approx(math.sqrt(8))
    assert rules.minimum_reliable_change(JT) == pytest.approx(5.543717, abs=1e-6)
    assert rules.cutoff(NORMS, rules.Criterion.A) == pytest.approx(5.0)
    assert rules.cutoff(NORMS, rules.Criterion.B) == pytest.approx(9.0)
    assert rules.cutoff(NORMS, rules.Criterion.C) == pytest.approx(7.5)


def test_criteria_b_and_c_need_normal_population_norms():
    clinical_only = rules.Norms(clinical_mean=15, clinical_sd=5)
    assert rules.cutoff(clinical_only, rules.Criterion.A) == pytest.approx(5.0)
    assert rules.cutoff(clinical_only, rules.Criterion.B) is None
    assert rules.cutoff(clinical_only, rules.Criterion.C) is None


def test_without_a_cutoff_a_reliable_improvement_is_improved_not_recovered():
    assert rules.jt_category(20, 2, JT, None) == rules.JTCategory.IMPROVED


def test_a_change_of_exactly_the_threshold_is_not_reliable_under_criterion_a():
    # 16 → 7 with cut-off a = 5: reliable (−9 points) but 7 is not below 5.
    assert rules.jt_category(16, 7, JT, 5.0) == rules.JTCategory.IMPROVED
    assert rules.jt_category(16, 4, JT, 5.0) == rules.JTCategory.RECOVERED


def test_points_response_rule_for_pcl5():
    pcl = CONFIG.instruments["pcl5"].response
    assert rules.is_response(45, 35, pcl) is True
    assert rules.is_response(45, 36, pcl) is False
    # A points rule does not need a non-zero baseline.
    assert rules.is_response(0, 0, pcl) is False


def test_no_remission_threshold_means_no_remission_answer():
    assert rules.is_remission(30, 2, None) is None


def test_prorated_decimal_scores_are_compared_exactly():
    rule = rules.ResponseRule(rules.ResponseKind.PERCENT, Decimal("50"))
    assert rules.is_response(Decimal("13.5"), Decimal("6.75"), rule) is True
    assert rules.percent_change(3, Decimal("1.5")) == 50.0


def test_reliability_parameters_are_validated():
    with pytest.raises(ValueError, match="SD"):
        rules.ReliabilityParams(sd_pre=0, reliability=0.8)
    with pytest.raises(ValueError, match="Reliability"):
        rules.ReliabilityParams(sd_pre=5, reliability=1)


# --- properties ---------------------------------------------------------------------------

phq_scores = st.integers(min_value=0, max_value=27)
gad_scores = st.integers(min_value=0, max_value=21)


@given(baseline=phq_scores, current=phq_scores, lower=phq_scores)
def test_a_lower_follow_up_never_loses_a_response_or_remission(baseline, current, lower):
    assume(lower <= current)
    for rule in (PHQ.response, CONFIG.instruments["pcl5"].response):
        if rules.is_response(baseline, current, rule):
            assert rules.is_response(baseline, lower, rule)
    if rules.is_remission(baseline, current, PHQ.remission_below):
        assert rules.is_remission(baseline, lower, PHQ.remission_below)


@given(baseline=phq_scores, current=phq_scores)
def test_percent_change_and_rci_agree_in_sign_with_the_change(baseline, current):
    change = rules.change_from_baseline(baseline, current)
    rci = rules.reliable_change_index(baseline, current, JT)
    assert math.copysign(1, rci) == math.copysign(1, change) or change == 0
    percent = rules.percent_change(baseline, current)
    if baseline == 0:
        assert percent is None
    else:
        assert percent == pytest.approx(-change / baseline * 100)


@given(baseline=phq_scores, current=phq_scores)
def test_reliable_means_beyond_the_minimum_reliable_change(baseline, current):
    direction = rules.reliable_direction(rules.reliable_change_index(baseline, current, JT))
    reliable = abs(current - baseline) > rules.minimum_reliable_change(JT)
    assert (direction != rules.Direction.UNCHANGED) == reliable


@given(dep=st.tuples(phq_scores, phq_scores), anx=st.tuples(gad_scores, gad_scores))
def test_nhs_categories_are_consistent(dep, anx):
    outcome = rules.nhs_tt_outcome(
        depression=dep, anxiety=anx, depression_measure=PHQ.nhs, anxiety_measure=GAD.nhs
    )
    assert not (outcome.reliable_improvement and outcome.reliable_deterioration)
    assert outcome.no_reliable_change == (
        not outcome.reliable_improvement and not outcome.reliable_deterioration
    )
    if not outcome.case_at_start:
        # Non-cases are outside the recovery denominator (FACTS.md §2.3).
        assert outcome.recovery is None and outcome.reliable_recovery is None
    else:
        assert outcome.reliable_recovery == (outcome.recovery and outcome.reliable_improvement)
    # Swapping the two measures (with their thresholds) changes nothing.
    swapped = rules.nhs_tt_outcome(
        depression=anx, anxiety=dep, depression_measure=GAD.nhs, anxiety_measure=PHQ.nhs
    )
    assert swapped == outcome


@given(dep=st.tuples(phq_scores, phq_scores), anx=st.tuples(gad_scores, gad_scores))
def test_a_missing_score_anywhere_makes_the_pair_incomplete(dep, anx):
    for hole in range(4):
        scores = [*dep, *anx]
        scores[hole] = None
        assert (
            rules.nhs_tt_outcome(
                depression=tuple(scores[:2]),
                anxiety=tuple(scores[2:]),
                depression_measure=PHQ.nhs,
                anxiety_measure=GAD.nhs,
            )
            is None
        )
