"""Dosing's answer to measures' question "which doses is this course planned around?"
(registered with kapcare.measures.dose_plans from DosingConfig.ready)."""

from __future__ import annotations

from collections.abc import Sequence

from kapcare.courses.models import TreatmentCourse
from kapcare.dosing.models import DosingSession, DosingStatus
from kapcare.measures.dose_plans import PlannedDose, register_dose_source


def planned_doses(courses: Sequence[TreatmentCourse]) -> list[PlannedDose]:
    """One query for every course given."""
    return [
        PlannedDose(
            session_id=s.pk,
            course_id=s.course_id,
            number=s.number,
            scheduled_for=s.scheduled_for,
            aborted=s.status == DosingStatus.ABORTED,
            dose_started_at=s.dose_started_at,
        )
        for s in DosingSession.objects.filter(course__in=courses).only(
            "id", "course_id", "number", "scheduled_for", "status", "dose_started_at"
        )
    ]


def register() -> None:
    register_dose_source(planned_doses)
