"""The dosing sessions a course's measure schedule is planned around, supplied by the dosing app.

Measures sits below dosing, so it cannot read dosing sessions itself: dosing registers a source
here in `AppConfig.ready` (as it registers its gates with courses). A source answers for many
courses in one query, so `sync_schedules` keeps its fixed number of queries.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from kapcare.courses.models import TreatmentCourse


@dataclass(frozen=True)
class PlannedDose:
    """A dosing session as the schedule sees it: an opaque id, its number, when, aborted or not,
    and when its dose started (a response given before then answered this session)."""

    session_id: int
    course_id: int
    number: int
    scheduled_for: dt.datetime | None
    aborted: bool
    dose_started_at: dt.datetime | None = None


DoseSource = Callable[[Sequence[TreatmentCourse]], Iterable[PlannedDose]]
_SOURCES: list[DoseSource] = []


def register_dose_source(source: DoseSource) -> None:
    if source not in _SOURCES:
        _SOURCES.append(source)


def planned_doses(courses: Sequence[TreatmentCourse]) -> dict[int, list[PlannedDose]]:
    """Each course's planned doses (by course id), from every registered source."""
    by_course: dict[int, list[PlannedDose]] = defaultdict(list)
    for source in _SOURCES:
        for dose in source(courses):
            by_course[dose.course_id].append(dose)
    return by_course
