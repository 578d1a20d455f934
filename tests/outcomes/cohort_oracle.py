"""THE REFERENCE ORACLE: the dashboard's previous implementation, kept verbatim for the tests.

The dashboard now runs kapcare.outcomes.cohort_sql (one set-based statement). This module is
the computation it replaced (correlated subqueries per course, run once for the groups and
once for the whole cohort), kept only so tests can assert the new table gives the very same
numbers on the same rows. Not used by kapcare.

Its original description follows.

Cohort outcomes for the clinic dashboard, computed in the database.

Two queries per table (the groups, then the whole cohort), whatever the number of responses:

1. An ORM query over the clinic's courses picks, per course and instrument, the baseline and
   the last score with correlated subqueries (the same rules as kapcare.outcomes.rules
   pick_baseline / pick_last: ties broken by id), plus the key of the group the course is in.
2. Plain, portable SQL around it (CASE, SUM, COUNT: nothing vendor-specific, so SQLite and
   PostgreSQL give the same numbers) turns those per-course rows into counts and sums per
   group. Thresholds travel as integers ×100, so "a 50% drop" is compared exactly, like the
   Python rules do.

The confidence intervals are then worked out from the sums in Python (kapcare.outcomes.stats).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db import connection
from django.db.models import (
    Case,
    CharField,
    DateField,
    DateTimeField,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce, TruncQuarter

from kapcare.courses.models import TreatmentCourse
from kapcare.dosing.models import DosingSession
from kapcare.measures.models import Response, ResponseStatus
from kapcare.outcomes.cohorts import NHS_KEYS, GroupRow
from kapcare.outcomes.config import DEFAULT_ANXIETY_MEASURE, DEPRESSION_MEASURE, OutcomeConfig

FAR_FUTURE = dt.datetime(9999, 1, 1, tzinfo=dt.UTC)
GROUPINGS = ("condition", "route", "therapist", "period")


def _x100(value) -> int | None:
    return None if value is None else int((Decimal(str(value)) * 100).to_integral_value())


def _scores(code) -> QuerySet:
    return Response.objects.filter(
        course=OuterRef("pk"),
        instrument_code=code,
        status=ResponseStatus.COMPLETE,
        total__isnull=False,
    )


def _with_scores(courses: QuerySet, prefix: str, code, baseline_rule: str) -> QuerySet:
    """Annotate <prefix>_at, <prefix>_b (baseline total) and <prefix>_l (last total after it)."""
    if baseline_rule == "intake":
        base = _scores(code).order_by("completed_at", "id")
    else:
        before = Coalesce(OuterRef("first_dose"), Value(FAR_FUTURE, output_field=DateTimeField()))
        base = _scores(code).filter(completed_at__lt=before).order_by("-completed_at", "-id")
    courses = courses.annotate(
        **{
            f"{prefix}_at": Subquery(base.values("completed_at")[:1]),
            f"{prefix}_b": Subquery(base.values("total")[:1]),
        }
    )
    last = (
        _scores(code)
        .filter(completed_at__gt=OuterRef(f"{prefix}_at"))
        .order_by("-completed_at", "-id")
    )
    return courses.annotate(**{f"{prefix}_l": Subquery(last.values("total")[:1])})


def _course_rows(
    *,
    clinic_id: int,
    config: OutcomeConfig,
    code: str,
    group_by: str,
    date_from: dt.datetime | None,
    date_to: dt.datetime | None,
    tz,
) -> QuerySet:
    first_dose = (
        DosingSession.objects.filter(course=OuterRef("pk"), dose_started_at__isnull=False)
        .order_by("dose_started_at")
        .values("dose_started_at")[:1]
    )
    courses = TreatmentCourse.objects.filter(clinic_id=clinic_id).annotate(
        first_dose=Subquery(first_dose)
    )
    courses = _with_scores(courses, "sel", code, config.baseline_rule)
    if date_from is not None:
        courses = courses.filter(sel_at__gte=date_from)
    if date_to is not None:
        courses = courses.filter(sel_at__lt=date_to)
    if config.nhs_ready:
        courses = _with_scores(courses, "dep", DEPRESSION_MEASURE, config.baseline_rule)
        courses = _with_scores(courses, "gad", DEFAULT_ANXIETY_MEASURE, config.baseline_rule)
        adsm = {c: m for c, m in config.anxiety_by_condition.items() if _nhs(config, m)}
        courses = courses.annotate(
            adsm_code=Case(
                *[When(Q(condition=c), then=Value(m)) for c, m in adsm.items()],
                default=Value(DEFAULT_ANXIETY_MEASURE),
                output_field=CharField(),
            )
        )
        courses = _with_scores(courses, "adsm", OuterRef("adsm_code"), config.baseline_rule)
    if group_by == "therapist":
        # Filter first: the annotations below then reuse this join to the care team, one row
        # per (course, therapist), instead of joining the care team a second time.
        courses = courses.filter(client__care_team__role="therapist").annotate(
            grp_label=F("client__care_team__user__full_name")
        )
    else:
        courses = courses.annotate(grp_label=Value("", output_field=CharField()))
    courses = courses.annotate(grp=_group_key(group_by, tz))
    columns = ["grp", "grp_label", "sel_b", "sel_l"]
    if config.nhs_ready:
        columns += ["dep_b", "dep_l", "gad_b", "gad_l", "adsm_code", "adsm_b", "adsm_l"]
    return courses.values(*columns)


def _group_key(group_by: str, tz):
    if group_by == "condition":
        return F("condition")
    if group_by == "therapist":
        return F("client__care_team__user_id")
    if group_by == "route":
        route = (
            DosingSession.objects.filter(course=OuterRef("pk"), dose_order__isnull=False)
            .order_by("number")
            .values("dose_order__route")[:1]
        )
        return Coalesce(Subquery(route), Value(""), output_field=CharField())
    if group_by == "period":
        return TruncQuarter("sel_at", tzinfo=tz, output_field=DateField())
    return Value("all", output_field=CharField())  # the whole cohort


def _nhs(config: OutcomeConfig, code: str):
    instrument = config.instruments.get(code)
    return instrument.nhs if instrument else None


def _aggregate_sql(inner: str, *, nhs: bool, grouped: bool) -> str:
    """The portable outer SQL. Placeholders, in order: response kind is points (0/1), response
    threshold ×100, remission threshold ×100 (NULL: none), and for NHS TT the PHQ-9 caseness
    and reliable change ×100 then the (code, caseness ×100, reliable change ×100) triples
    expanded by `_anxiety_case_sql`."""
    follow = "sel_b IS NOT NULL AND sel_l IS NOT NULL"
    select = [
        "COUNT(*)",
        f"SUM(CASE WHEN {follow} THEN 1 ELSE 0 END)",
        f"SUM(CASE WHEN {follow} THEN sel_b ELSE 0 END)",
        f"SUM(CASE WHEN {follow} THEN sel_l ELSE 0 END)",
        f"SUM(CASE WHEN {follow} THEN sel_l - sel_b ELSE 0 END)",
        f"SUM(CASE WHEN {follow} THEN (sel_l - sel_b) * (sel_l - sel_b) ELSE 0 END)",
        # Response: a points rule always has a denominator; a percentage needs baseline > 0.
        f"SUM(CASE WHEN {follow} AND (%s = 1 OR sel_b > 0) THEN 1 ELSE 0 END)",
        f"SUM(CASE WHEN {follow} AND ((%s = 1 AND (sel_b - sel_l) * 100 >= %s) OR "
        f"(%s = 0 AND sel_b > 0 AND (sel_b - sel_l) * 10000 >= %s * sel_b)) THEN 1 ELSE 0 END)",
        # Remission: only for courses that started at or above the threshold.
        f"SUM(CASE WHEN {follow} AND sel_b * 100 >= %s THEN 1 ELSE 0 END)",
        f"SUM(CASE WHEN {follow} AND sel_b * 100 >= %s AND sel_l * 100 < %s THEN 1 ELSE 0 END)",
    ]
    if nhs:
        pair = "dep_b IS NOT NULL AND dep_l IS NOT NULL AND anx_b IS NOT NULL AND anx_l IS NOT NULL"
        case = "(dep_b * 100 >= dep_case OR anx_b * 100 >= anx_case)"
        recovered = f"{case} AND dep_l * 100 < dep_case AND anx_l * 100 < anx_case"
        better = "((dep_b - dep_l) * 100 >= dep_rc OR (anx_b - anx_l) * 100 >= anx_rc)"
        worse = "((dep_l - dep_b) * 100 >= dep_rc OR (anx_l - anx_b) * 100 >= anx_rc)"
        improvement = f"{better} AND NOT {worse}"
        deterioration = f"{worse} AND NOT {better}"
        for condition in (
            "1 = 1",
            case,
            recovered,
            improvement,
            deterioration,
            f"{recovered} AND {improvement}",
        ):
            select.append(f"SUM(CASE WHEN {pair} AND {condition} THEN 1 ELSE 0 END)")
    key = "grp, MAX(grp_label)" if grouped else "'all', ''"
    group = " GROUP BY grp" if grouped else ""
    # Fixed text around ORM-compiled SQL; every value travels as a query parameter.
    return f"SELECT {key}, {', '.join(select)} FROM ({inner}) oc WHERE sel_b IS NOT NULL{group}"


def _anxiety_sql(inner: str, codes: list[str]) -> str:
    """Wrap the per-course rows with the paired anxiety measure chosen per course (FACTS.md
    §2.3: the condition's ADSM when it has baseline and follow-up, else GAD-7) and its
    thresholds. Its placeholders: (code, caseness ×100) per ADSM, GAD-7 caseness, (code,
    reliable change ×100) per ADSM, GAD-7 reliable change, PHQ-9 caseness and reliable change."""
    adsm_ok = "adsm_code <> 'gad7' AND adsm_b IS NOT NULL AND adsm_l IS NOT NULL"
    by_code = "CASE adsm_code " + " ".join("WHEN %s THEN %s" for _ in codes) + " END"
    if not codes:
        adsm_ok, by_code = "1 = 0", "NULL"
    # Fixed text around ORM-compiled SQL; every value travels as a query parameter.
    return (
        "SELECT ic.*, "
        f"CASE WHEN {adsm_ok} THEN adsm_b ELSE gad_b END AS anx_b, "
        f"CASE WHEN {adsm_ok} THEN adsm_l ELSE gad_l END AS anx_l, "
        f"CASE WHEN {adsm_ok} THEN {by_code} ELSE %s END AS anx_case, "
        f"CASE WHEN {adsm_ok} THEN {by_code} ELSE %s END AS anx_rc, "
        "%s AS dep_case, %s AS dep_rc "
        f"FROM ({inner}) ic"
    )


def oracle_cohort_table(
    *,
    clinic_id: int,
    config: OutcomeConfig,
    code: str,
    group_by: str,
    date_from: dt.datetime | None = None,
    date_to: dt.datetime | None = None,
    tz=None,
) -> tuple[list[GroupRow], GroupRow]:
    """Outcome counts and sums per group and for the whole cohort (two queries)."""
    instrument = config.instruments[code]
    points = 1 if instrument.response.kind == "points" else 0
    threshold = _x100(instrument.response.threshold)
    below = _x100(instrument.remission_below)
    outer_params = [points, points, threshold, points, threshold, below, below, below]
    results = []
    # The whole cohort is its own query, not a sum of the groups: by therapist a course counts
    # under each therapist on the team, and a course with none is in no group.
    for key in (group_by, "all"):
        rows = _course_rows(
            clinic_id=clinic_id,
            config=config,
            code=code,
            group_by=key,
            date_from=date_from,
            date_to=date_to,
            tz=tz,
        )
        sql, params = _with_anxiety(rows, config)
        sql = _aggregate_sql(sql, nhs=config.nhs_ready, grouped=key != "all")
        with connection.cursor() as cursor:
            cursor.execute(sql, [*outer_params, *params])
            results.append(cursor.fetchall())
    groups = [_group_row(row, config.nhs_ready) for row in results[0]]
    total = _group_row(results[1][0], config.nhs_ready) if results[1] else GroupRow("all")
    return groups, total


def _with_anxiety(rows: QuerySet, config: OutcomeConfig) -> tuple[str, list]:
    """The per-course SQL, wrapped with the paired anxiety measure when NHS TT applies; the
    parameters in the order their placeholders appear (the wrapper's, then the ORM's)."""
    inner, inner_params = rows.query.sql_with_params()
    if not config.nhs_ready:
        return inner, list(inner_params)
    codes = sorted({m for m in config.anxiety_by_condition.values() if _nhs(config, m)})
    gad = _nhs(config, DEFAULT_ANXIETY_MEASURE)
    dep = _nhs(config, DEPRESSION_MEASURE)
    case_whens = [v for c in codes for v in (c, _x100(_nhs(config, c).caseness))]
    rc_whens = [v for c in codes for v in (c, _x100(_nhs(config, c).reliable_change))]
    params = [*case_whens, _x100(gad.caseness), *rc_whens, _x100(gad.reliable_change)]
    params += [_x100(dep.caseness), _x100(dep.reliable_change), *inner_params]
    return _anxiety_sql(inner, codes), params


def _group_row(row, nhs: bool) -> GroupRow:
    key, label, *values = row
    values = [int(v or 0) for v in values]
    result = GroupRow(key, label or "", *values[:10])
    if nhs:
        result.nhs = dict(zip(NHS_KEYS, values[10:16], strict=True))
    return result
