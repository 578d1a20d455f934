"""The outcomes dashboard at scale: the set-based table against the per-course one it replaced.

    DATABASE_URL=postgres://…/kc_bench python bench/cohort_scale.py --courses 20000 --explain

Seeds (once per database) one clinic with N courses in bulk, each with doses, a therapist and
scores on every outcome instrument, then times, per grouping:

- `old`: the previous implementation (tests/outcomes/cohort_oracle.py: correlated subqueries
  per course, run for the groups and again for the whole cohort);
- `new`: kapcare.outcomes.cohorts.cohort_table (one set-based statement);
- `sql`: that statement alone (selectors.cohort_reference_sql: no intervals, no page);
- `page` / `old page`: the dashboard page itself, with each implementation.

and prints EXPLAIN (ANALYZE, BUFFERS) of both. Medians of a few runs, in milliseconds.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import statistics
import sys
import time
from pathlib import Path
from unittest import mock

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kapcare.settings_test")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test.utils import CaptureQueriesContext, setup_test_environment  # noqa: E402
from django.urls import reverse  # noqa: E402

from bench.run import staff_http  # noqa: E402
from kapcare.accounts.models import Clinic, Membership, Role, User  # noqa: E402
from kapcare.clients.models import CareTeamMember, Client  # noqa: E402
from kapcare.courses.models import TreatmentCourse  # noqa: E402
from kapcare.dosing.models import DosingSession  # noqa: E402
from kapcare.measures.models import InstrumentDefinition, Response  # noqa: E402
from kapcare.measures.services.instruments import ensure_shipped_instruments  # noqa: E402
from kapcare.outcomes import cohorts, selectors  # noqa: E402
from kapcare.outcomes.cohort_sql import cohort_query  # noqa: E402
from tests.outcomes.cohort_oracle import oracle_cohort_table  # noqa: E402

CLINIC = "Cohort bench clinic"
T0 = dt.datetime(2025, 1, 6, 17, tzinfo=dt.UTC)
CONDITIONS = ["depression", "anxiety", "ptsd", "ocd"]
TOPS = {"phq9": 27, "gad7": 21, "pcl5": 80, "ocir": 72}


def seed(courses: int) -> Clinic:
    clinic = Clinic.objects.filter(name=CLINIC).first()
    if clinic is not None:
        return clinic
    rng = random.Random(courses)
    clinic = Clinic.objects.create(name=CLINIC, time_zone="America/Los_Angeles")
    ensure_shipped_instruments(clinic=clinic)
    definitions = {d.code: d for d in InstrumentDefinition.objects.filter(clinic=clinic)}
    therapists = [
        User.objects.create_user(f"cohort-t{i}@bench.test", "x" * 16, full_name=f"Therapist {i}")
        for i in range(20)
    ]
    for user in therapists:
        Membership.objects.create(clinic=clinic, user=user, role=Role.THERAPIST)
    admin = User.objects.create_user("cohort-admin@bench.test", "x" * 16, full_name="Admin")
    Membership.objects.create(clinic=clinic, user=admin, role=Role.CLINIC_ADMIN)
    for start in range(0, courses, 5000):
        count = min(5000, courses - start)
        clients = Client.objects.bulk_create(
            Client(clinic=clinic, first_name="Bench", last_name=f"C{start + i}",
                   date_of_birth=dt.date(1980, 1, 1), status="active")
            for i in range(count)
        )  # fmt: skip
        CareTeamMember.objects.bulk_create(
            CareTeamMember(clinic=clinic, client=c, user=rng.choice(therapists), role="therapist")
            for c in clients
            if rng.random() < 0.9
        )
        made = TreatmentCourse.objects.bulk_create(
            TreatmentCourse(clinic=clinic, client=c, status="active",
                            condition=CONDITIONS[i % 4])
            for i, c in enumerate(clients)
        )  # fmt: skip
        sessions, responses = [], []
        for course in made:
            start_day = rng.randint(0, 700)
            first = T0 + dt.timedelta(days=start_day + 7)
            for number in range(1, rng.randint(1, 6) + 1):
                at = first + dt.timedelta(days=7 * (number - 1))
                sessions.append(
                    DosingSession(clinic=clinic, client=course.client, course=course,
                                  number=number, scheduled_for=at, status="discharged",
                                  dose_started_at=at, discharged_at=at + dt.timedelta(hours=2))
                )  # fmt: skip
            extra = {"ptsd": ["pcl5"], "ocd": ["ocir"]}.get(course.condition, [])
            codes = ["phq9", "gad7", *extra]
            for code in codes:
                for week in range(rng.randint(1, 8)):
                    at = T0 + dt.timedelta(days=start_day + 7 * week, hours=rng.random())
                    responses.append(
                        Response(clinic=clinic, client=course.client, course=course,
                                 instrument=definitions[code], instrument_code=code,
                                 timepoint="ad_hoc", answers={}, status="complete",
                                 total=rng.randint(0, TOPS[code]), completed_at=at, source="link")
                    )  # fmt: skip
        DosingSession.objects.bulk_create(sessions, batch_size=5000)
        Response.objects.bulk_create(responses, batch_size=5000)
        print(f"seeded {start + count} courses", flush=True)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return clinic


def median_ms(run, repeats: int) -> float:
    samples = []
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples)


def explain(sql: str, params=()) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {sql}", params)
        return "\n".join(row[0] for row in cursor.fetchall())


def time_grouping(http, clinic, config, group_by: str, repeats: int, old: bool) -> dict:
    kwargs = dict(clinic_id=clinic.pk, config=config, code="phq9", group_by=group_by)
    url = f"{reverse('outcomes:dashboard')}?instrument=phq9&group_by={group_by}"
    times = {}
    if old:
        assert cohorts.cohort_table(**kwargs) == oracle_cohort_table(**kwargs), group_by
        times["old"] = median_ms(lambda: oracle_cohort_table(**kwargs), repeats)
    times |= {
        "new": median_ms(lambda: cohorts.cohort_table(**kwargs), repeats),
        "sql": median_ms(
            lambda: selectors.cohort_reference_sql(clinic, group_by=group_by), repeats
        ),
        "page": median_ms(lambda: http.get(url), repeats),
    }
    if old:
        with mock.patch.object(cohorts, "cohort_table", oracle_cohort_table):
            times["old page"] = median_ms(lambda: http.get(url), repeats)
    return times


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--courses", type=int, default=20000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--explain", action="store_true")
    parser.add_argument("--skip-old", action="store_true", help="time the new table only")
    args = parser.parse_args()
    setup_test_environment()
    call_command("migrate", verbosity=0)
    clinic = seed(args.courses)
    admin = User.objects.get(email="cohort-admin@bench.test")
    http = staff_http(admin)
    config = selectors.current_config(clinic.pk)
    print(f"{Response.objects.filter(clinic=clinic).count()} responses, "
          f"{TreatmentCourse.objects.filter(clinic=clinic).count()} courses")  # fmt: skip
    for group_by in cohorts.GROUPINGS:
        times = time_grouping(http, clinic, config, group_by, args.repeats, not args.skip_old)
        print(group_by.ljust(10), "  ".join(f"{k} {v:8.0f} ms" for k, v in times.items()))
    if args.explain:
        kwargs = dict(clinic_id=clinic.pk, config=config, code="phq9", group_by="condition")
        print("--- new ---")
        print(explain(*cohort_query(**kwargs)))
        if args.skip_old:
            return
        with CaptureQueriesContext(connection) as old:
            oracle_cohort_table(**kwargs)
        for query in old.captured_queries:
            print("--- old ---")
            print(explain(query["sql"]))


if __name__ == "__main__":
    main()
