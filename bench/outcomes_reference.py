"""The outcomes dashboard against a hand-written, set-based SQL over the same rows.

The reference computes what the dashboard's default table shows for the selected instrument
(per condition and for all courses: courses with a baseline, with a follow-up, the sums of the
scores and changes, response and remission counts) in one PostgreSQL statement: window-free
DISTINCT ON for the baseline and last scores, GROUPING SETS for the groups and the total. It
leaves out the NHS Talking Therapies columns. Its whole-cohort numbers are checked against
kapcare.outcomes.cohorts, so the two are known to read the same rows the same way.
"""

from __future__ import annotations

import statistics
import time

from django.db import connection

from bench.measure import percentile
from kapcare.courses.models import TreatmentCourse
from kapcare.dosing.models import DosingSession
from kapcare.measures.models import Response, ResponseStatus
from kapcare.outcomes import cohorts, selectors
from kapcare.outcomes.cohort_sql import x100
from kapcare.outcomes.forms import DashboardForm

REPEATS = 20


def _reference_sql(baseline_rule: str) -> str:
    response = Response._meta.db_table
    session = DosingSession._meta.db_table
    course = TreatmentCourse._meta.db_table
    if baseline_rule == "intake":
        base_filter, base_order = "TRUE", "sc.completed_at, sc.id"
    else:
        base_filter = "sc.completed_at < COALESCE(fd.first_dose, 'infinity'::timestamptz)"
        base_order = "sc.completed_at DESC, sc.id DESC"
    follow = "l IS NOT NULL"
    # Table names come from the models; every value is a parameter.
    return f"""
    WITH fd AS (
        SELECT course_id, MIN(dose_started_at) AS first_dose FROM {session}
        WHERE dose_started_at IS NOT NULL AND clinic_id = %(clinic)s GROUP BY course_id
    ), sc AS (
        SELECT course_id, completed_at, id, total FROM {response}
        WHERE clinic_id = %(clinic)s AND instrument_code = %(code)s AND status = %(complete)s
          AND total IS NOT NULL AND course_id IS NOT NULL
    ), base AS (
        SELECT DISTINCT ON (sc.course_id) sc.course_id, sc.completed_at AS at, sc.total AS b
        FROM sc LEFT JOIN fd ON fd.course_id = sc.course_id WHERE {base_filter}
        ORDER BY sc.course_id, {base_order}
    ), last AS (
        SELECT DISTINCT ON (sc.course_id) sc.course_id, sc.total AS l
        FROM sc JOIN base ON base.course_id = sc.course_id WHERE sc.completed_at > base.at
        ORDER BY sc.course_id, sc.completed_at DESC, sc.id DESC
    )
    SELECT c.condition, GROUPING(c.condition), COUNT(*),
      SUM(CASE WHEN {follow} THEN 1 ELSE 0 END),
      SUM(CASE WHEN {follow} THEN b ELSE 0 END), SUM(CASE WHEN {follow} THEN l ELSE 0 END),
      SUM(CASE WHEN {follow} THEN l - b ELSE 0 END),
      SUM(CASE WHEN {follow} THEN (l - b) * (l - b) ELSE 0 END),
      SUM(CASE WHEN {follow} AND (%(points)s = 1 OR b > 0) THEN 1 ELSE 0 END),
      SUM(CASE WHEN {follow} AND ((%(points)s = 1 AND (b - l) * 100 >= %(threshold)s) OR
          (%(points)s = 0 AND b > 0 AND (b - l) * 10000 >= %(threshold)s * b)) THEN 1 ELSE 0 END),
      SUM(CASE WHEN {follow} AND b * 100 >= %(below)s THEN 1 ELSE 0 END),
      SUM(CASE WHEN {follow} AND b * 100 >= %(below)s AND l * 100 < %(below)s THEN 1 ELSE 0 END)
    FROM {course} c JOIN base ON base.course_id = c.id LEFT JOIN last ON last.course_id = c.id
    WHERE c.clinic_id = %(clinic)s
    GROUP BY GROUPING SETS ((c.condition), ())
    """  # noqa: S608


def _timed(run) -> tuple[list[float], object]:
    samples, result = [], None
    for _ in range(REPEATS):
        start = time.perf_counter()
        result = run()
        samples.append(time.perf_counter() - start)
    return samples, result


def compare(clinic_id: int) -> dict:
    """Time the dashboard's own cohort queries and the reference, in-process, same database."""
    config = selectors.current_config(clinic_id)
    titles = selectors.instrument_titles(clinic_id, list(config.instruments))
    code = DashboardForm(None, instruments=titles).values()["instrument"]
    instrument = config.instruments[code]
    params = {
        "clinic": clinic_id,
        "code": code,
        "complete": ResponseStatus.COMPLETE.value,
        "points": 1 if instrument.response.kind == "points" else 0,
        "threshold": x100(instrument.response.threshold),
        "below": x100(instrument.remission_below),
    }
    sql = _reference_sql(config.baseline_rule)

    def reference():
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchall()

    def dashboard():
        return cohorts.cohort_table(
            clinic_id=clinic_id, config=config, code=code, group_by="condition"
        )

    ref_samples, ref_rows = _timed(reference)
    orm_samples, (_, total) = _timed(dashboard)
    ref_total = next((row for row in ref_rows if row[1] == 1), None)
    ours = [int(v or 0) for v in ref_total[2:]] if ref_total else [0] * 10
    theirs = [total.n, total.n_follow_up, total.sum_baseline, total.sum_last, total.sum_change]
    theirs += [total.sum_change_sq, total.response_n, total.response_k]
    theirs += [total.remission_n, total.remission_k]
    ms = lambda samples: round(statistics.median(samples) * 1000, 2)  # noqa: E731
    p95 = lambda samples: round(percentile(samples, 0.95) * 1000, 2)  # noqa: E731
    return {
        "instrument": code,
        "courses_with_baseline": total.n,
        "same_numbers": ours == theirs,
        "reference_p50_ms": ms(ref_samples),
        "reference_p95_ms": p95(ref_samples),
        "dashboard_queries_p50_ms": ms(orm_samples),
        "dashboard_queries_p95_ms": p95(orm_samples),
    }
