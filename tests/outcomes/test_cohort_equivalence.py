"""The set-based dashboard query gives exactly the numbers of the implementation it replaced.

The oracle is the previous per-course computation (tests/outcomes/cohort_oracle.py, kept
verbatim). Seeded random cohorts cover what makes the picks subtle: courses of every condition
and status, no dose / several doses / sessions never dosed, scores on the dose's very second,
ties in time (broken by id), incomplete responses, missing baselines and follow-ups, clients
on several teams or none, dose orders with different routes, and another clinic's rows.
"""

import dataclasses
import datetime as dt
import random
import zoneinfo
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from kapcare.accounts.models import Role
from kapcare.dosing.models import DoseOrder, DosingProtocol
from kapcare.outcomes import cohorts, rules, selectors
from kapcare.outcomes.cohorts import GROUPINGS
from kapcare.outcomes.config import OutcomeConfig, default_config
from tests.factories import make_staff, put_on_team
from tests.outcomes.cohort_oracle import oracle_cohort_table
from tests.outcomes.conftest import Builder, day

pytestmark = pytest.mark.django_db
LA = zoneinfo.ZoneInfo("America/Los_Angeles")
CONDITIONS = ["depression", "anxiety", "ptsd", "ocd", "other"]
STATUSES = ["screening", "active", "completed", "discontinued"]
TOPS = {"phq9": 27, "gad7": 21, "pcl5": 80, "ocir": 72}


def random_cohort(build: Builder, rng: random.Random, *, courses: int, staff, protocol) -> None:
    therapists = [make_staff(build.clinic, Role.THERAPIST) for _ in range(3)]
    for _ in range(courses):
        course = build.course(
            condition=rng.choice(CONDITIONS),
            status=rng.choice(STATUSES),
            therapist=rng.choice([None, None, *therapists]),
        )
        team = course.client.care_team
        if rng.random() < 0.2 and not team.filter(user=therapists[0]).exists():
            put_on_team(course.client, therapists[0], Role.THERAPIST)  # a second therapist
        doses = []
        for number in range(1, rng.choice([0, 1, 1, 2, 3]) + 1):
            at = day(rng.randint(0, 20)) if rng.random() < 0.85 else None
            order = None
            if rng.random() < 0.5:
                order = DoseOrder.objects.create(
                    clinic=build.clinic, client=course.client, course=course,
                    product="racemic", route=rng.choice(["im", "sublingual", "intranasal"]),
                    dose_mg=Decimal("100"), sessions_authorised=6,
                    valid_until=dt.date(2026, 12, 31), protocol=protocol,
                    signed_by=staff["prescriber"], signature_name="Dr P",
                )  # fmt: skip
            session = build.dose(course, at or day(number), number=number, dose_order=order)
            if at is None:  # scheduled, never dosed: not a first dose
                type(session).objects.filter(pk=session.pk).update(dose_started_at=None)
            else:
                doses.append(at)
        for code, top in TOPS.items():
            for _ in range(rng.choice([0, 0, 1, 2, 3, 5])):
                moment = rng.random()
                if doses and moment < 0.15:
                    at = min(doses)  # on the first dose's second: not before it
                elif moment < 0.5:
                    at = day(rng.randint(-10, 60))  # whole days: ties in time
                else:
                    at = day(rng.uniform(-10, 60))
                status = "incomplete" if rng.random() < 0.1 else "complete"
                build.score(course, code, rng.randint(0, top), at, status=status)
    build.save()


def configs() -> dict[str, OutcomeConfig]:
    base = default_config()
    pcl5 = base.instruments["pcl5"]
    no_gad_nhs = dict(base.instruments)
    no_gad_nhs["gad7"] = dataclasses.replace(base.instruments["gad7"], nhs=None)
    points = dict(base.instruments)
    points["phq9"] = dataclasses.replace(
        base.instruments["phq9"],
        response=rules.ResponseRule(rules.ResponseKind.POINTS, Decimal("5.5")),
        remission_below=None,
    )
    points["pcl5"] = dataclasses.replace(pcl5, nhs=None)  # the PTSD measure without NHS TT
    return {
        "defaults": base,
        "intake": dataclasses.replace(base, baseline_rule="intake"),
        "not nhs ready": dataclasses.replace(base, instruments=no_gad_nhs),
        "points, no adsm for ptsd": dataclasses.replace(
            base, instruments=points, anxiety_by_condition={"ptsd": "pcl5", "other": "gad7"}
        ),
        "no adsm": dataclasses.replace(base, anxiety_by_condition={}),
    }


def assert_same(config, code, group_by, clinic, **kwargs):
    args = dict(clinic_id=clinic.pk, config=config, code=code, group_by=group_by, tz=LA)
    new_groups, new_total = cohorts.cohort_table(**args, **kwargs)
    old_groups, old_total = oracle_cohort_table(**args, **kwargs)
    assert new_total == old_total
    key = lambda row: str(row.key)  # noqa: E731
    assert sorted(new_groups, key=key) == sorted(old_groups, key=key)
    return new_total


@pytest.mark.parametrize("seed", range(4))
def test_set_based_table_equals_the_per_course_oracle(seed, clinic, other_clinic, staff):
    rng = random.Random(seed)
    protocol = DosingProtocol.objects.create(clinic=clinic, version=1)
    random_cohort(Builder(clinic), rng, courses=45, staff=staff, protocol=protocol)
    elsewhere = Builder(other_clinic)  # another clinic's rows are in the tables, never counted
    course = elsewhere.course()
    elsewhere.pair(course, "phq9", 20, 8)
    elsewhere.save()
    checked = 0
    for name, config in configs().items():
        for code in ("phq9", "gad7", "pcl5", "ocir"):
            for group_by in GROUPINGS:
                total = assert_same(config, code, group_by, clinic)
                checked += total.n
        total = assert_same(config, "phq9", "condition", clinic, date_from=day(-3), date_to=day(5))
        assert total.n > 0, name
    # The random data exercised the rules, not just empty tables.
    assert checked > 500


def test_ties_in_time_break_by_id_both_ways(build, clinic):
    course = build.course()
    build.dose(course, day(10))
    for total in (20, 18, 9, 7, 4, 3):  # three pairs, each pair at the same moment
        build.score(course, "phq9", total, day(len(build.pending) // 2 * 20))
    build.save()
    for config in configs().values():
        total = assert_same(config, "phq9", "condition", clinic)
        assert total.n == 1 and total.n_follow_up == 1
    _, total = cohorts.cohort_table(
        clinic_id=clinic.pk, config=default_config(), code="phq9", group_by="condition"
    )
    # Pre-dose baseline: the later id of day 0's pair (18); last: the later id of day 40's (3).
    assert (total.sum_baseline, total.sum_last) == (18, 3)


def _dashboard_queries(http, group_by: str) -> list[str]:
    with CaptureQueriesContext(connection) as queries:
        page = http.get(reverse("outcomes:dashboard"), {"group_by": group_by})
    assert page.status_code == 200
    return [q["sql"] for q in queries.captured_queries]


@pytest.mark.parametrize("group_by", GROUPINGS)
def test_dashboard_query_count_is_the_same_for_5_and_50_courses(
    group_by, build, clinic, staff, login
):
    http = login(staff["clinic_admin"])
    protocol = DosingProtocol.objects.create(clinic=clinic, version=1)
    random_cohort(build, random.Random(5), courses=5, staff=staff, protocol=protocol)
    few = _dashboard_queries(http, group_by)
    random_cohort(build, random.Random(50), courses=45, staff=staff, protocol=protocol)
    many = _dashboard_queries(http, group_by)
    assert len(few) == len(many)
    # The table itself is one statement (the window over the responses), run once per page.
    assert sum("OVER w" in sql for sql in many) == 1


def test_reference_sql_runs_the_dashboards_statement_alone(
    build, clinic, django_assert_num_queries
):
    course = build.course()
    build.dose(course, day(1))
    build.pair(course, "phq9", 20, 8)
    build.save()
    config = selectors.current_config(clinic.pk)

    with django_assert_num_queries(1):
        rows = cohorts.cohort_rows(
            clinic_id=clinic.pk, config=config, code="phq9", group_by="condition"
        )
    assert selectors.cohort_reference_sql(clinic) == rows
    assert [row[:5] for row in rows] == [(0, "depression", "", 1, 1), (1, None, "", 1, 1)]
