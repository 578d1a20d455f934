"""One course's outcomes from stored responses, and one client's trajectories."""

from decimal import Decimal

import pytest

from kapcare.accounts.actor import Actor
from kapcare.outcomes import selectors
from kapcare.outcomes.config import DEFAULT_INSTRUMENTS
from kapcare.outcomes.services import publish_outcome_settings
from tests.outcomes.cases import CASES
from tests.outcomes.conftest import day

pytestmark = pytest.mark.django_db


def publish_with_jacobson_truax(clinic, admin, **overrides):
    """The defaults plus the hand-computed table's normative values for the PHQ-9."""
    instruments = {code: dict(values) for code, values in DEFAULT_INSTRUMENTS.items()}
    for values in instruments.values():
        values.pop("source")
    instruments["phq9"].update(
        jt_sd_pre=Decimal("5"),
        jt_reliability=Decimal("0.84"),
        jt_clinical_mean=Decimal("15"),
        jt_clinical_sd=Decimal("5"),
        jt_normal_mean=Decimal("3"),
        jt_normal_sd=Decimal("3"),
        jt_criterion="c",
        jt_source="Illustrative values for the test table",
    )
    return publish_outcome_settings(
        actor=Actor.for_user(admin, clinic),
        baseline_rule=overrides.get("baseline_rule", "pre_dose_1"),
        anxiety_by_condition={"ptsd": "pcl5", "ocd": "ocir"},
        instruments=instruments,
        notes="test",
    )


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_stored_scores_give_the_hand_computed_outcomes(case, build, clinic, staff):
    publish_with_jacobson_truax(clinic, staff["clinic_admin"])
    course = build.course()
    build.dose(course, day(1))
    build.pair(course, "phq9", *case.phq)
    build.pair(course, "gad7", *case.gad)
    build.save()

    outcomes = selectors.course_outcomes(course)

    phq = outcomes.for_code("phq9")
    assert phq.baseline.total == case.phq[0]
    assert (phq.last.total if phq.last else None) == case.phq[1]
    assert phq.missing_follow_up is (case.phq[1] is None)
    assert phq.change == (None if case.change is None else pytest.approx(case.change))
    assert phq.percent == (None if case.percent is None else pytest.approx(case.percent))
    assert phq.response is case.response
    assert phq.remission is case.remission
    assert (phq.jt_category and phq.jt_category.value) == case.jt
    nhs = outcomes.nhs
    if case.nhs is None:
        assert nhs is None
    else:
        assert (
            nhs.case_at_start,
            nhs.recovery,
            nhs.reliable_improvement,
            nhs.reliable_deterioration,
            nhs.reliable_recovery,
        ) == case.nhs


def test_baseline_is_the_last_score_before_the_first_dose(build):
    course = build.course()
    for at, total in [(day(-5), 20), (day(0), 18), (day(2), 12), (day(10), 8)]:
        build.score(course, "phq9", total, at)
    build.dose(course, day(1), number=1)
    build.dose(course, day(4), number=2)
    build.save()

    phq = selectors.course_outcomes(course).for_code("phq9")

    assert (phq.baseline.total, phq.last.total) == (18, 8)


def test_intake_baseline_rule_takes_the_first_score(build, clinic, staff):
    publish_with_jacobson_truax(clinic, staff["clinic_admin"], baseline_rule="intake")
    course = build.course()
    for at, total in [(day(-5), 20), (day(0), 18), (day(10), 8)]:
        build.score(course, "phq9", total, at)
    build.dose(course, day(1))
    build.save()

    phq = selectors.course_outcomes(course).for_code("phq9")

    assert (phq.baseline.total, phq.last.total) == (20, 8)


def test_before_any_dose_the_latest_score_is_the_baseline_and_follow_up_is_missing(build):
    course = build.course()
    build.score(course, "phq9", 20, day(0))
    build.score(course, "phq9", 15, day(3))
    build.save()

    phq = selectors.course_outcomes(course).for_code("phq9")

    assert phq.baseline.total == 15
    assert phq.last is None and phq.missing_follow_up
    assert phq.change is None and phq.response is None


def test_scores_only_after_the_first_dose_give_no_baseline(build):
    course = build.course()
    build.dose(course, day(0))
    build.score(course, "phq9", 12, day(3))
    build.save()

    phq = selectors.course_outcomes(course).for_code("phq9")

    assert phq.baseline is None and phq.last is None and not phq.missing_follow_up


def test_incomplete_responses_are_not_scores(build):
    course = build.course()
    build.dose(course, day(1))
    build.score(course, "phq9", 20, day(0))
    build.score(course, "phq9", None, day(20), status="incomplete")
    build.save()

    phq = selectors.course_outcomes(course).for_code("phq9")

    assert phq.missing_follow_up


def test_ptsd_course_pairs_phq9_with_pcl5(build):
    course = build.course(condition="ptsd")
    build.dose(course, day(1))
    build.pair(course, "phq9", 12, 6)
    build.pair(course, "pcl5", 50, 20)  # case (≥32) and reliable (≥10) by FACTS.md §2.3
    build.pair(course, "gad7", 5, 5)
    build.save()

    outcomes = selectors.course_outcomes(course)

    assert outcomes.anxiety_code == "pcl5"
    assert outcomes.nhs.reliable_recovery is True


def test_ptsd_course_without_pcl5_follow_up_falls_back_to_gad7(build):
    course = build.course(condition="ptsd")
    build.dose(course, day(1))
    build.pair(course, "phq9", 12, 6)
    build.pair(course, "pcl5", 50, None)
    build.pair(course, "gad7", 9, 9)
    build.save()

    outcomes = selectors.course_outcomes(course)

    assert outcomes.anxiety_code == "gad7"
    assert outcomes.nhs.recovery is False  # GAD-7 9 is still a case at the end


def test_course_outcomes_use_a_fixed_number_of_queries(build, django_assert_num_queries):
    course = build.course()
    build.dose(course, day(1))
    for n in range(40):
        build.score(course, "phq9", n % 27, day(n - 20))
        build.score(course, "gad7", n % 21, day(n - 20))
    build.save()

    with django_assert_num_queries(4):
        selectors.course_outcomes(course)


def test_trajectories_cover_every_course_and_list_doses(build, clinic):
    client = build.client()
    first = build.course(client=client, status="completed")
    second = build.course(client=client)
    build.dose(first, day(1))
    build.dose(second, day(40), number=1)
    build.score(first, "phq9", 21, day(0))
    build.score(second, "phq9", 9, day(41))
    build.score(second, "gad7", 14, day(41))
    build.save()

    trajectories = selectors.client_trajectories(client)

    assert [t.code for t in trajectories] == ["phq9", "gad7"]
    phq = trajectories[0]
    assert [p.total for p in phq.points] == [21, 9]
    assert [number for number, _ in phq.dosing] == [1, 1]
    assert [row["kind"] for row in phq.rows] == ["score", "dose", "dose", "score"]
    assert phq.band_label(21) == "Severe"
    assert phq.band_label(9) == "Mild"
