"""The dashboard's SQL agrees with the Python rules, groups correctly, and stays bounded (one
query, whatever the data). Its agreement with the previous implementation is in
test_cohort_equivalence."""

import datetime as dt
import random
import statistics
import zoneinfo
from decimal import Decimal

import pytest

from kapcare.accounts.models import Role
from kapcare.dosing.models import DoseOrder, DosingProtocol
from kapcare.outcomes import cohorts, selectors
from kapcare.outcomes.config import OUTCOME_INSTRUMENTS, default_config
from tests.factories import make_staff, put_on_team
from tests.outcomes.cases import CASES
from tests.outcomes.conftest import day

pytestmark = pytest.mark.django_db
LA = zoneinfo.ZoneInfo("America/Los_Angeles")


def table(clinic, *, code="phq9", group_by="condition", config=None, **kwargs):
    return cohorts.cohort_table(
        clinic_id=clinic.pk,
        config=config or default_config(),
        code=code,
        group_by=group_by,
        tz=LA,
        **kwargs,
    )


def test_sql_aggregates_match_the_hand_computed_table(build, clinic):
    for case in CASES:
        course = build.course()
        build.dose(course, day(1))
        build.pair(course, "phq9", *case.phq)
        build.pair(course, "gad7", *case.gad)
    build.save()

    groups, total = table(clinic)

    assert [g.key for g in groups] == ["depression"]
    followed = [c for c in CASES if c.change is not None]
    assert total.n == len(CASES) == 13
    assert total.n_follow_up == len(followed) == 12
    assert total.missing_follow_up == 1
    assert total.mean_change == pytest.approx(statistics.mean(c.change for c in followed))
    assert total.change_ci.low < total.mean_change < total.change_ci.high
    sd = statistics.stdev(c.change for c in followed)
    assert total.change_ci.high - total.mean_change == pytest.approx(2.201 * sd / 12**0.5)
    assert (total.response_k, total.response_n) == (
        sum(c.response is True for c in CASES),
        sum(c.response is not None for c in CASES),
    )
    assert (total.remission_k, total.remission_n) == (
        sum(c.remission is True for c in CASES),
        sum(c.remission is not None for c in CASES),
    )
    pairs = [c.nhs for c in CASES if c.nhs is not None]
    assert total.nhs == {
        "pairs": len(pairs),
        "case": sum(p[0] for p in pairs),
        "recovered": sum(p[1] is True for p in pairs),
        "reliable_improvement": sum(p[2] for p in pairs),
        "reliable_deterioration": sum(p[3] for p in pairs),
        "reliable_recovery": sum(p[4] is True for p in pairs),
    }
    # Spelled out once, so a slip in the table's own bookkeeping shows too.
    assert (total.response_k, total.response_n) == (5, 11)
    assert (total.remission_k, total.remission_n) == (2, 11)
    assert total.nhs["case"] == 9 and total.nhs["recovered"] == 6
    assert groups[0].n == total.n


def _python_counts(courses, config, code):
    """What the rules say, course by course, summed the way the dashboard sums."""
    counts = {"n": 0, "follow": 0, "change": 0, "resp": [0, 0], "rem": [0, 0], "nhs": [0] * 6}
    for course in courses:
        outcomes = selectors.course_outcomes(course, config=config)
        measure = outcomes.for_code(code)
        if measure is None or measure.baseline is None:
            continue  # outside the cohort: no baseline on the chosen measure
        counts["n"] += 1
        if measure.last is not None:
            counts["follow"] += 1
            counts["change"] += measure.change
        for key, value in (("resp", measure.response), ("rem", measure.remission)):
            counts[key][0] += value is True
            counts[key][1] += value is not None
        nhs = outcomes.nhs
        if nhs is not None:
            flags = (
                True,
                nhs.case_at_start,
                nhs.recovery is True,
                nhs.reliable_improvement,
                nhs.reliable_deterioration,
                nhs.reliable_recovery is True,
            )
            counts["nhs"] = [a + b for a, b in zip(counts["nhs"], flags, strict=True)]
    return counts


@pytest.mark.parametrize("baseline_rule", ["pre_dose_1", "intake"])
@pytest.mark.parametrize("code", ["phq9", "pcl5"])
def test_sql_agrees_with_the_rules_on_random_courses(build, clinic, baseline_rule, code):
    rng = random.Random(f"{baseline_rule}-{code}")
    ranges = {"phq9": 27, "gad7": 21, "pcl5": 80, "ocir": 72}
    courses = []
    for _ in range(90):
        course = build.course(condition=rng.choice(["depression", "anxiety", "ptsd", "ocd"]))
        courses.append(course)
        if rng.random() < 0.8:
            build.dose(course, day(rng.randint(0, 20)))
        for instrument, top in ranges.items():
            for _ in range(rng.choice([0, 1, 1, 2, 3, 5])):
                # Whole days: ties in time happen, and both sides break them by id.
                status = "incomplete" if rng.random() < 0.1 else "complete"
                build.score(
                    course, instrument, rng.randint(0, top), day(rng.randint(-10, 60)),
                    status=status,
                )  # fmt: skip
    build.save()
    config = default_config()
    config = type(config)(
        version=0,
        baseline_rule=baseline_rule,
        instruments=config.instruments,
        anxiety_by_condition=config.anxiety_by_condition,
    )

    _, total = table(clinic, code=code, config=config)
    expected = _python_counts(courses, config, code)

    assert (total.n, total.n_follow_up, total.sum_change) == (
        expected["n"],
        expected["follow"],
        expected["change"],
    )
    assert [total.response_k, total.response_n] == expected["resp"]
    assert [total.remission_k, total.remission_n] == expected["rem"]
    assert list(total.nhs.values()) == expected["nhs"]
    # The data exercised the rules: enough courses, responders and NHS TT pairs either way.
    assert expected["n"] > 20 and expected["resp"][0] > 3 and expected["nhs"][0] >= 1


def test_groups_by_therapist_count_a_course_under_each_therapist(build, clinic):
    priya = make_staff(clinic, Role.THERAPIST, full_name="Priya Raman")
    sam = make_staff(clinic, Role.THERAPIST, full_name="Sam Okafor")
    shared = build.course(therapist=priya)
    put_on_team(shared.client, sam, Role.THERAPIST)  # two therapists on one client's team
    alone = build.course(therapist=sam)
    nobody, nobody_either = build.course(), build.course()
    for course in (shared, alone, nobody, nobody_either):
        build.dose(course, day(1))
        build.pair(course, "phq9", 20, 8)
    build.save()

    groups, total = table(clinic, group_by="therapist")

    assert {g.label: g.n for g in groups} == {"Priya Raman": 1, "Sam Okafor": 2}
    assert cohorts.courses_without_therapist(clinic.pk) == 2
    assert total.n == 4  # the whole cohort counts each course once, therapist or not


def test_groups_by_quarter_of_baseline_in_the_clinic_time_zone(build, clinic):
    march = build.course()
    april = build.course()
    # 2026-04-01 03:00 UTC is still March 31 in Los Angeles.
    build.score(march, "phq9", 20, dt.datetime(2026, 4, 1, 3, tzinfo=dt.UTC))
    build.score(april, "phq9", 20, dt.datetime(2026, 4, 2, 3, tzinfo=dt.UTC))
    build.save()

    groups, _ = table(clinic, group_by="period")

    assert [str(g.key)[:10] for g in groups] == ["2026-01-01", "2026-04-01"]


def test_date_filter_selects_courses_by_baseline_date(build, clinic):
    early, late = build.course(), build.course()
    build.score(early, "phq9", 20, day(0))
    build.score(late, "phq9", 20, day(50))
    build.save()

    _, total = table(clinic, date_from=day(10), date_to=day(60))

    assert total.n == 1


def test_groups_by_route_of_the_first_dose_order(build, clinic, staff):
    protocol = DosingProtocol.objects.create(clinic=clinic, version=1)
    courses = []
    for route in ("im", "sublingual", None):
        course = build.course()
        order = None
        if route:
            order = DoseOrder.objects.create(
                clinic=clinic, client=course.client, course=course, product="racemic",
                route=route, dose_mg=Decimal("100"), sessions_authorised=6,
                valid_until=dt.date(2026, 12, 31), protocol=protocol,
                signed_by=staff["prescriber"], signature_name="Dr P",
            )  # fmt: skip
        build.dose(course, day(1), dose_order=order)
        build.pair(course, "phq9", 20, 8)
        courses.append(course)
    build.save()

    groups, _ = table(clinic, group_by="route")

    assert sorted(g.key for g in groups) == ["", "im", "sublingual"]


def test_another_clinics_courses_are_not_counted(build, clinic, other_clinic):
    from tests.outcomes.conftest import Builder

    elsewhere = Builder(other_clinic)
    course = elsewhere.course()
    elsewhere.pair(course, "phq9", 20, 8)
    elsewhere.save()

    groups, total = table(clinic)

    assert groups == [] and total.n == 0


def test_twenty_thousand_responses_in_one_query(build, clinic, django_assert_num_queries):
    rng = random.Random(20_000)
    courses = build.many_courses(1000, ["depression", "anxiety", "ptsd", "ocd"], day(5))
    for course in courses:
        for week in range(5):
            for code in OUTCOME_INSTRUMENTS:
                build.score(course, code, rng.randint(0, 20), day(week * 7))
    assert len(build.pending) == 20_000
    build.save()

    with django_assert_num_queries(1):
        groups, total = table(clinic)

    assert total.n == 1000 and len(groups) == 4
    assert sum(g.n for g in groups) == 1000
    # Every course has a baseline (day 0, before the dose on day 5) and a follow-up (day 28).
    assert total.n_follow_up == 1000 and total.nhs["pairs"] == 1000
