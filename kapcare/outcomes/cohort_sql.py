"""The outcomes dashboard's one query: set-based, portable, parameterised SQL.

The cohort is read in one pass over the clinic's scored responses, whatever their number:

- `cc`: the clinic's courses, with their first dose (MIN over the dosing sessions, grouped
  once) under the pre-dose baseline rule.
- `ranked`: every complete, scored response on the instruments the table needs, numbered per
  (course, instrument) newest first by one window (completed_at DESC, id DESC). The index
  measures.response_course_code_time holds exactly that order, so the database can read it
  instead of sorting (PostgreSQL may as well walk the course index and sort each course's
  few rows: the costs are alike). In that order the last score is row 1; the intake baseline is the final
  row (no LEAD); the pre-dose baseline is the first row before the first dose (the row where
  "before the dose" turns true, by LAG). Ties in time are broken by id, like
  kapcare.outcomes.rules.pick_baseline / pick_last and the per-course page.
- `facts`: one row per course, grouped as the ranked rows stream by: baseline and last
  (time and total) of the chosen measure, and for NHS Talking Therapies of the PHQ-9, GAD-7
  and the condition's anxiety-disorder-specific measure.
- `pc` / `oc`: the courses in the cohort (a baseline on the chosen measure, in the date
  range) with each pair (a last score counts when it is after the baseline), and the paired
  anxiety measure (the ADSM when it has both scores, else GAD-7, FACTS.md §2.3) with its
  thresholds.
- The groups and the whole cohort are two SELECTs over `oc` joined by UNION ALL: one
  statement, one pass. The whole cohort is not a sum of the groups: by therapist a course
  counts under each therapist on the team, and a course with none is in no group.

Only window functions, CASE, SUM and COUNT: SQLite (3.25+) and PostgreSQL give the same
numbers. Thresholds travel as integers ×100, so "a 50% drop" is compared exactly, as the
Python rules do. The period key is the backend's own quarter truncation (what TruncQuarter
compiles to), in the clinic's time zone.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection
from django.utils import timezone

from kapcare.clients.models import CareTeamMember
from kapcare.courses.models import TreatmentCourse
from kapcare.dosing.models import DoseOrder, DosingSession
from kapcare.measures.models import Response
from kapcare.outcomes.config import DEFAULT_ANXIETY_MEASURE, DEPRESSION_MEASURE, OutcomeConfig

# SQL text here is fixed: written in this module, or table names from the models' meta. Every
# value (clinic, codes, thresholds, dates, time zone) travels as a query parameter.
Fragment = tuple[str, list]


def x100(value) -> int | None:
    return None if value is None else int((Decimal(str(value)) * 100).to_integral_value())


def nhs_measure(config: OutcomeConfig, code: str):
    instrument = config.instruments.get(code)
    return instrument.nhs if instrument else None


def _table(model) -> str:
    return model._meta.db_table


def _courses(clinic_id: int, baseline_rule: str) -> Fragment:
    if baseline_rule == "intake":  # the first dose plays no part
        return (
            "SELECT c.id AS course_id, c.condition AS condition, c.client_id AS client_id "  # noqa: S608
            f"FROM {_table(TreatmentCourse)} c WHERE c.clinic_id = %s",
            [clinic_id],
        )
    return (
        "SELECT c.id AS course_id, c.condition AS condition, c.client_id AS client_id, "  # noqa: S608
        "d.first_dose AS first_dose "
        f"FROM {_table(TreatmentCourse)} c LEFT JOIN (SELECT course_id, "
        f"MIN(dose_started_at) AS first_dose FROM {_table(DosingSession)} "
        "WHERE dose_started_at IS NOT NULL GROUP BY course_id) d ON d.course_id = c.id "
        "WHERE c.clinic_id = %s",
        [clinic_id],
    )


def _adsm_code(config: OutcomeConfig) -> Fragment:
    """The condition's anxiety-disorder-specific measure (GAD-7 when it has none)."""
    adsm = {c: m for c, m in config.anxiety_by_condition.items() if nhs_measure(config, m)}
    if not adsm:
        return "%s", [DEFAULT_ANXIETY_MEASURE]
    whens = " ".join("WHEN %s THEN %s" for _ in adsm)
    return (
        f"CASE cc.condition {whens} ELSE %s END",
        [v for pair in adsm.items() for v in pair] + [DEFAULT_ANXIETY_MEASURE],
    )


def _ranked(config: OutcomeConfig, codes: list[str]) -> Fragment:
    if config.baseline_rule == "intake":
        # Newest first, the course's first score is the one with nothing after it.
        is_base = "CASE WHEN LEAD(r.id) OVER w IS NULL THEN 1 ELSE 0 END"
    else:
        # Scores before the first dose all come after the later ones, newest first: the
        # baseline is the first of them (before any dose, every score is a pre-dose score).
        pre = "CASE WHEN cc.first_dose IS NULL OR r.completed_at < cc.first_dose THEN 1 ELSE 0 END"
        is_base = f"CASE WHEN {pre} = 1 AND COALESCE(LAG({pre}) OVER w, 0) = 0 THEN 1 ELSE 0 END"
    adsm, adsm_params = _adsm_code(config) if config.nhs_ready else ("NULL", [])
    marks = ", ".join(["%s"] * len(codes))
    return (
        "SELECT r.course_id AS course_id, cc.condition AS condition, "  # noqa: S608
        f"cc.client_id AS client_id, {adsm} AS adsm_code, r.instrument_code AS code, "
        "r.total AS total, r.completed_at AS completed_at, "
        f"ROW_NUMBER() OVER w AS rn, {is_base} AS is_base "
        f"FROM {_table(Response)} r JOIN cc ON cc.course_id = r.course_id "
        f"WHERE r.status = 'complete' AND r.total IS NOT NULL AND r.instrument_code IN ({marks}) "
        "WINDOW w AS (PARTITION BY r.course_id, r.instrument_code "
        "ORDER BY r.completed_at DESC, r.id DESC)",
        [*adsm_params, *codes],
    )


def _picks(prefix: str, code: str) -> str:
    """Baseline and last (time and total) of one instrument, `code` being SQL (a placeholder
    or a column), as aggregates over a course's rows: four placeholders when it is one."""
    pick = "MAX(CASE WHEN code = {code} AND {mark} THEN {column} END) AS {prefix}_{name}"
    return ", ".join(
        pick.format(code=code, mark=mark, column=column, prefix=prefix, name=name)
        for mark, column, name in (
            ("is_base = 1", "completed_at", "b_at"),
            ("is_base = 1", "total", "b"),
            ("rn = 1", "completed_at", "l_at"),
            ("rn = 1", "total", "l"),
        )
    )


def _facts(config: OutcomeConfig, code: str) -> Fragment:
    """One row per course. Its rows come from the window in course order, so the database
    groups them as they stream: no hash, no sort, no join per instrument."""
    columns = "course_id, MAX(condition) AS condition, MAX(client_id) AS client_id, "
    columns += _picks("sel", "%s")
    params = [code] * 4
    if config.nhs_ready:
        columns += f", MAX(adsm_code) AS adsm_code, {_picks('dep', '%s')}, "
        columns += f"{_picks('gad', '%s')}, {_picks('adsm', 'adsm_code')}"
        params += [DEPRESSION_MEASURE] * 4 + [DEFAULT_ANXIETY_MEASURE] * 4
    return (
        f"SELECT {columns} FROM ranked WHERE rn = 1 OR is_base = 1 GROUP BY course_id",  # noqa: S608
        params,
    )


def _pair(prefix: str) -> str:
    """<prefix>_b and <prefix>_l: the last score counts only when it is after the baseline."""
    return f"{prefix}_b, CASE WHEN {prefix}_l_at > {prefix}_b_at THEN {prefix}_l END AS {prefix}_l"


def _per_course(config: OutcomeConfig, date_from, date_to) -> Fragment:
    columns = "course_id, condition, client_id, sel_b_at AS sel_at, " + _pair("sel")
    if config.nhs_ready:
        columns += f", {_pair('dep')}, {_pair('gad')}, adsm_code, {_pair('adsm')}"
    where = "sel_b IS NOT NULL"
    params = []
    for value, op in ((date_from, ">="), (date_to, "<")):
        if value is not None:
            where += f" AND sel_b_at {op} %s"
            params.append(connection.ops.adapt_datetimefield_value(value))
    return f"SELECT {columns} FROM facts WHERE {where}", params  # noqa: S608


def _anxiety(config: OutcomeConfig) -> Fragment:
    """The paired anxiety measure chosen per course and the NHS TT thresholds, as columns."""
    if not config.nhs_ready:
        return "pc.*", []
    codes = sorted({m for m in config.anxiety_by_condition.values() if nhs_measure(config, m)})
    adsm_ok = "adsm_code <> 'gad7' AND adsm_b IS NOT NULL AND adsm_l IS NOT NULL"
    by_code = "CASE adsm_code " + " ".join("WHEN %s THEN %s" for _ in codes) + " END"
    if not codes:
        adsm_ok, by_code = "1 = 0", "NULL"
    gad = nhs_measure(config, DEFAULT_ANXIETY_MEASURE)
    dep = nhs_measure(config, DEPRESSION_MEASURE)
    case_whens = [v for c in codes for v in (c, x100(nhs_measure(config, c).caseness))]
    rc_whens = [v for c in codes for v in (c, x100(nhs_measure(config, c).reliable_change))]
    return (
        "pc.*, "
        f"CASE WHEN {adsm_ok} THEN adsm_b ELSE gad_b END AS anx_b, "
        f"CASE WHEN {adsm_ok} THEN adsm_l ELSE gad_l END AS anx_l, "
        f"CASE WHEN {adsm_ok} THEN {by_code} ELSE %s END AS anx_case, "
        f"CASE WHEN {adsm_ok} THEN {by_code} ELSE %s END AS anx_rc, "
        "%s AS dep_case, %s AS dep_rc",
        [
            *case_whens,
            x100(gad.caseness),
            *rc_whens,
            x100(gad.reliable_change),
            x100(dep.caseness),
            x100(dep.reliable_change),
        ],
    )


def _aggregates(config: OutcomeConfig, code: str) -> Fragment:
    """Counts and sums over course rows; the response kind is points (1) or percent (0)."""
    instrument = config.instruments[code]
    points = 1 if instrument.response.kind == "points" else 0
    threshold = x100(instrument.response.threshold)
    below = x100(instrument.remission_below)
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
    params = [points, points, threshold, points, threshold, below, below, below]
    if config.nhs_ready:
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
    return ", ".join(select), params


def _tzname(tz) -> str | None:
    # What TruncQuarter(tzinfo=tz) passes the backend: the zone's name, when USE_TZ.
    if not settings.USE_TZ:
        return None
    if tz is None:
        tz = timezone.get_current_timezone()
    return tz.tzname(None) or str(tz)


def _grouping(group_by: str, tz) -> tuple[Fragment, str, str]:
    """(key SQL, its params), the label SQL and the joins that put each course in its groups."""
    if group_by == "therapist":
        joins = (
            f"JOIN {_table(CareTeamMember)} t ON t.client_id = oc.client_id "
            f"AND t.role = 'therapist' JOIN {_table(get_user_model())} u ON u.id = t.user_id"
        )
        return ("t.user_id", []), "u.full_name", joins
    if group_by == "route":
        return (
            ("COALESCE(fr.route, '')", []),
            "''",
            ("LEFT JOIN first_route fr ON fr.course_id = oc.course_id AND fr.rn = 1"),
        )
    if group_by == "period":
        sql, params = connection.ops.date_trunc_sql("quarter", "oc.sel_at", (), _tzname(tz))
        return (sql, list(params)), "''", ""
    return ("oc.condition", []), "''", ""


FIRST_ROUTE = (
    "SELECT s.course_id AS course_id, o.route AS route, "  # noqa: S608
    "ROW_NUMBER() OVER (PARTITION BY s.course_id ORDER BY s.number) AS rn "
    f"FROM {_table(DosingSession)} s JOIN {_table(DoseOrder)} o ON o.id = s.dose_order_id "
    "JOIN cc ON cc.course_id = s.course_id"
)


def cohort_query(
    *,
    clinic_id: int,
    config: OutcomeConfig,
    code: str,
    group_by: str,
    date_from: dt.datetime | None = None,
    date_to: dt.datetime | None = None,
    tz=None,
) -> Fragment:
    """The whole dashboard table as one statement. Rows: (0, group key, group label, *sums)
    per group in key order, then (1, NULL, '', *sums) for the whole cohort; the sums in GroupRow order,
    then the NHS TT counts in NHS_KEYS order when NHS TT applies."""
    codes = {code}
    if config.nhs_ready:
        codes |= {DEPRESSION_MEASURE, DEFAULT_ANXIETY_MEASURE}
        codes |= {m for m in config.anxiety_by_condition.values() if nhs_measure(config, m)}
    parts: list[Fragment] = [
        ("WITH cc AS (", []),
        _courses(clinic_id, config.baseline_rule),
        ("), ranked AS (", []),
        _ranked(config, sorted(codes)),
        ("), facts AS (", []),
        _facts(config, code),
        ("), pc AS (", []),
        _per_course(config, date_from, date_to),
        ("), oc AS (SELECT ", []),
        _anxiety(config),
        (" FROM pc)", []),
    ]
    if group_by == "route":
        parts.append((f", first_route AS ({FIRST_ROUTE})", []))
    (key, key_params), label, joins = _grouping(group_by, tz)
    sums, sum_params = _aggregates(config, code)
    parts += [
        (f" SELECT 0, grp, MAX(grp_label), {sums} FROM (SELECT oc.*, ", sum_params),  # noqa: S608
        (f"{key} AS grp, {label} AS grp_label FROM oc {joins}) g GROUP BY grp", key_params),
        # NULL, not a text key: UNION ALL takes the column's type from the groups' key.
        (f" UNION ALL SELECT 1, NULL, '', {sums} FROM oc", sum_params),  # noqa: S608
        # The groups in key order (a quarter's comes before the next), the whole cohort last.
        (" ORDER BY 1, 2", []),
    ]
    return "".join(text for text, _ in parts), [p for _, params in parts for p in params]
