"""Reads for outcomes: the settings in force, one course's outcomes, one client's trajectory.

Outcomes use complete, scored responses only (Response.status "complete" with a total); an
incomplete response is never given a total here either. The cohort dashboard's SQL lives in
kapcare.outcomes.cohorts (cohort_reference_sql below runs it alone, for benchmarks).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import cast

from kapcare.core.versioning import latest
from kapcare.courses.models import TreatmentCourse
from kapcare.dosing.models import DosingSession
from kapcare.measures.models import InstrumentCode, InstrumentDefinition, Response, ResponseStatus
from kapcare.outcomes import cohorts, rules
from kapcare.outcomes.charts import Band, Trajectory
from kapcare.outcomes.config import (
    DEPRESSION_MEASURE,
    OUTCOME_INSTRUMENTS,
    InstrumentConfig,
    OutcomeConfig,
    default_config,
    instrument_config,
)
from kapcare.outcomes.models import OutcomeSettings

CONFIG_FIELDS = (
    "response_kind",
    "response_threshold",
    "remission_below",
    "nhs_caseness",
    "nhs_reliable_change",
    "jt_sd_pre",
    "jt_reliability",
    "jt_clinical_mean",
    "jt_clinical_sd",
    "jt_normal_mean",
    "jt_normal_sd",
    "jt_criterion",
    "jt_source",
)


def config_from_settings(settings: OutcomeSettings) -> OutcomeConfig:
    """The plain-values view of a published settings version (its rows prefetched or not)."""
    return OutcomeConfig(
        version=settings.version,
        baseline_rule=settings.baseline_rule,
        instruments={
            row.instrument_code: instrument_config(
                row.instrument_code, {name: getattr(row, name) for name in CONFIG_FIELDS}
            )
            for row in settings.instruments.all()
        },
        anxiety_by_condition=dict(settings.anxiety_measure_by_condition),
    )


def current_settings(clinic_id: int) -> OutcomeSettings | None:
    """The latest published version; None before the first (see kapcare.core.versioning)."""
    return latest(
        OutcomeSettings,
        clinic_id,
        queryset=OutcomeSettings.objects.select_related("published_by").prefetch_related(
            "instruments"
        ),
    )


def current_config(clinic_id: int) -> OutcomeConfig:
    """The clinic's latest published outcome settings; kapcare's FACTS.md defaults before any."""
    settings = current_settings(clinic_id)
    return config_from_settings(settings) if settings else default_config()


def settings_versions(clinic_id: int):
    return OutcomeSettings.objects.filter(clinic_id=clinic_id).order_by("-version")


def active_definitions(clinic_id: int, codes) -> dict[str, InstrumentDefinition]:
    return {
        d.code: d
        for d in InstrumentDefinition.objects.filter(
            clinic_id=clinic_id, code__in=list(codes), is_active=True
        )
    }


def instrument_titles(clinic_id: int, codes=OUTCOME_INSTRUMENTS) -> dict[str, str]:
    """Short titles ("PHQ-9") for codes, from the clinic's definitions, else kapcare's names."""
    definitions = active_definitions(clinic_id, codes)
    shipped = dict(InstrumentCode.choices)
    return {
        code: definitions[code].short_title if code in definitions else shipped.get(code, code)
        for code in codes
    }


def cohort_reference_sql(clinic, *, code: str = "phq9", group_by: str = "condition") -> list:
    """The outcomes dashboard's set-based statement for `clinic` (a Clinic or its id) under its
    settings in force, run alone: no page, no audit row, no intervals. The dashboard's table is
    this very SQL (kapcare.outcomes.cohort_sql), so a benchmark timing it against the page
    measures what rendering and the rest of the page add. Raw rows, as cohorts.cohort_rows."""
    clinic_id = getattr(clinic, "pk", clinic)
    return cohorts.cohort_rows(
        clinic_id=clinic_id, config=current_config(clinic_id), code=code, group_by=group_by
    )


# --- one course ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class ScorePoint:
    at: dt.datetime
    total: int | Decimal
    response_id: int
    timepoint: str


@dataclass
class InstrumentOutcome:
    code: str
    title: str
    config: InstrumentConfig
    points: list[ScorePoint]
    baseline: ScorePoint | None = None
    last: ScorePoint | None = None  # None with a baseline: the follow-up is missing
    change: float | None = None
    percent: float | None = None
    response: bool | None = None
    remission: bool | None = None
    rci: float | None = None
    jt_category: rules.JTCategory | None = None
    minimum_reliable_change: float | None = None

    @property
    def missing_follow_up(self) -> bool:
        return self.baseline is not None and self.last is None


@dataclass
class CourseOutcomes:
    course: TreatmentCourse
    config: OutcomeConfig
    first_dose_at: dt.datetime | None
    instruments: list[InstrumentOutcome] = field(default_factory=list)
    anxiety_code: str = ""
    nhs: rules.NhsOutcome | None = None

    def for_code(self, code: str) -> InstrumentOutcome | None:
        return next((o for o in self.instruments if o.code == code), None)


def first_dose_at(course: TreatmentCourse) -> dt.datetime | None:
    """When the course's first dose was given (sessions where dosing started), if any."""
    return (
        DosingSession.objects.filter(course=course, dose_started_at__isnull=False)
        .order_by("dose_started_at")
        .values_list("dose_started_at", flat=True)
        .first()
    )


def instrument_outcome(
    code: str,
    title: str,
    config: InstrumentConfig,
    points: list[ScorePoint],
    *,
    first_dose: dt.datetime | None,
    baseline_rule: str,
) -> InstrumentOutcome:
    pairs = [(p.at, p.total) for p in points]
    b = rules.pick_baseline(pairs, first_dose_at=first_dose, rule=baseline_rule)
    n = rules.pick_last(pairs, b)
    outcome = InstrumentOutcome(code=code, title=title, config=config, points=points)
    outcome.baseline = points[b] if b is not None else None
    outcome.last = points[n] if n is not None else None
    base = outcome.baseline.total if outcome.baseline else None
    last = outcome.last.total if outcome.last else None
    outcome.change = rules.change_from_baseline(base, last)
    outcome.percent = rules.percent_change(base, last)
    outcome.response = rules.is_response(base, last, config.response)
    outcome.remission = rules.is_remission(base, last, config.remission_below)
    if config.reliability is not None:
        outcome.minimum_reliable_change = rules.minimum_reliable_change(config.reliability)
        outcome.rci = rules.reliable_change_index(base, last, config.reliability)
        outcome.jt_category = rules.jt_category(base, last, config.reliability, config.cutoff)
    return outcome


def course_outcomes(course: TreatmentCourse, *, config: OutcomeConfig | None = None):
    """Every outcome for one course: per instrument, then the NHS Talking Therapies pair.
    Four queries (settings, first dose, responses, instrument titles), however long the course."""
    config = config or current_config(course.clinic_id)
    first_dose = first_dose_at(course)
    responses = (
        Response.objects.filter(
            course=course,
            status=ResponseStatus.COMPLETE,
            total__isnull=False,
            instrument_code__in=list(config.instruments),
        )
        .order_by("completed_at", "id")
        .values_list("instrument_code", "completed_at", "total", "id", "timepoint")
    )
    by_code: dict[str, list[ScorePoint]] = {}
    for code, at, total, pk, timepoint in responses:
        assert total is not None  # filtered on total__isnull=False
        by_code.setdefault(code, []).append(ScorePoint(at, total, pk, timepoint))
    titles = instrument_titles(course.clinic_id, list(config.instruments))
    result = CourseOutcomes(course=course, config=config, first_dose_at=first_dose)
    for code, instrument in config.instruments.items():
        if code not in by_code:
            continue
        result.instruments.append(
            instrument_outcome(
                code,
                titles[code],
                instrument,
                by_code[code],
                first_dose=first_dose,
                baseline_rule=config.baseline_rule,
            )
        )
    _add_nhs(result)
    return result


def _pair(outcome: InstrumentOutcome | None) -> tuple:
    if outcome is None:
        return (None, None)
    return (
        outcome.baseline.total if outcome.baseline else None,
        outcome.last.total if outcome.last else None,
    )


def _add_nhs(result: CourseOutcomes) -> None:
    """FACTS.md §2.3: PHQ-9 with the condition's anxiety measure, falling back to GAD-7 when the
    anxiety-disorder-specific measure has no baseline and follow-up."""
    config = result.config
    if not config.nhs_ready:
        return
    anxiety = config.anxiety_measure_for(result.course.condition)
    pair = _pair(result.for_code(anxiety))
    if (
        None in pair
        or config.instruments.get(anxiety) is None
        or not config.instruments[anxiety].nhs
    ):
        anxiety = "gad7"
        pair = _pair(result.for_code(anxiety))
    result.anxiety_code = anxiety
    depression_measure = config.instruments[DEPRESSION_MEASURE].nhs
    anxiety_measure = config.instruments[anxiety].nhs
    # nhs_ready: the PHQ-9 and GAD-7 (the fallback above) both carry NHS thresholds.
    assert depression_measure is not None and anxiety_measure is not None
    result.nhs = rules.nhs_tt_outcome(
        depression=_pair(result.for_code(DEPRESSION_MEASURE)),
        anxiety=pair,
        depression_measure=depression_measure,
        anxiety_measure=anxiety_measure,
    )


# --- one client's trajectories (the charts) ----------------------------------------------------


@dataclass
class TrajectoryData:
    code: str
    title: str
    points: list[ScorePoint]
    dosing: list[tuple[int, dt.datetime]]  # (session number, dose started)
    definition: InstrumentDefinition | None

    @property
    def bands(self) -> list[Band]:
        return bands_of(self.definition)

    def band_label(self, total) -> str:
        return next((b.label for b in self.bands if b.low <= total <= b.high), "")

    @property
    def rows(self) -> list[dict]:
        """The chart's data as table rows, oldest first: scores and doses interleaved by time."""
        rows = [
            {
                "at": p.at,
                "score": p.total,
                "band": self.band_label(p.total),
                "kind": "score",
                "timepoint": p.timepoint,
            }
            for p in self.points
        ]
        rows += [{"at": at, "session": number, "kind": "dose"} for number, at in self.dosing]
        return sorted(rows, key=lambda row: row["at"])


def bands_of(definition: InstrumentDefinition | None) -> list[Band]:
    if definition is None:
        return []
    return [
        Band(band["min"], band["max"], band["label"])
        for band in definition.definition.get("scoring", {}).get("bands", [])
    ]


def client_trajectories(client, code: str | None = None) -> list[TrajectoryData]:
    """A client's complete scores per instrument (every course and ad hoc, oldest first), with
    the dosing sessions where a dose was given. Three queries for any number of instruments."""
    responses = Response.objects.filter(
        client=client, status=ResponseStatus.COMPLETE, total__isnull=False
    )
    if code is not None:
        responses = responses.filter(instrument_code=code)
    by_code: dict[str, list[ScorePoint]] = {}
    for instrument, at, total, pk, timepoint in responses.order_by(
        "completed_at", "id"
    ).values_list("instrument_code", "completed_at", "total", "id", "timepoint"):
        assert total is not None  # filtered on total__isnull=False
        by_code.setdefault(instrument, []).append(ScorePoint(at, total, pk, timepoint))
    if code is not None:
        by_code.setdefault(code, [])
    if not by_code:
        return []
    # Filtered on dose_started_at__isnull=False: every started-at is a datetime.
    dosing = cast(
        "list[tuple[int, dt.datetime]]",
        list(
            DosingSession.objects.filter(client=client, dose_started_at__isnull=False)
            .order_by("dose_started_at")
            .values_list("number", "dose_started_at")
        ),
    )
    definitions = active_definitions(client.clinic_id, by_code)
    known = [c for c in OUTCOME_INSTRUMENTS if c in by_code]
    order = known + sorted(set(by_code) - set(known))
    return [
        TrajectoryData(
            c,
            definitions[c].short_title if c in definitions else c,
            by_code[c],
            dosing,
            definitions.get(c),
        )
        for c in order
    ]


def trajectory_chart(data: TrajectoryData, *, tz, labels: dict[str, str]) -> Trajectory:
    """The chart spec for charts.trajectory_svg from a client's trajectory."""
    low, high = 0, max([float(p.total) for p in data.points] or [1])
    if data.definition is not None:
        total = data.definition.definition.get("scoring", {}).get("total") or {}
        low, high = total.get("range", [low, high])
    return Trajectory(
        title=data.title,
        y_label=labels["y"],
        y_min=low,
        y_max=high,
        points=[(p.at, p.total) for p in data.points],
        dosing=[at for _, at in data.dosing],
        bands=data.bands,
        dosing_label=labels["dosing"],
        empty_label=labels["empty"],
        tz=tz,
    )
