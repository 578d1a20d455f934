"""Dosing's answer to courses' question "which dosing sessions has this course, and what is each
called?" (registered with kapcare.courses.dosing_sessions from DosingConfig.ready). Courses, the
ledger and measures keep a session as an opaque id and show it through this."""

from __future__ import annotations

from collections.abc import Collection

from kapcare.courses.dosing_sessions import SessionRef, register_directory
from kapcare.dosing.models import DosingSession


def _refs(sessions) -> list[SessionRef]:
    return [
        SessionRef(id=s.pk, course_id=s.course_id, number=s.number, scheduled_for=s.scheduled_for)
        for s in sessions.only("id", "course_id", "number", "scheduled_for")
    ]


def of_courses(course_ids: Collection[int]) -> list[SessionRef]:
    """One query for every course given."""
    return _refs(DosingSession.objects.filter(course_id__in=course_ids))


def by_ids(ids: Collection[int]) -> list[SessionRef]:
    """One query for every id given."""
    return _refs(DosingSession.objects.filter(pk__in=ids))


def register() -> None:
    register_directory(of_courses=of_courses, by_ids=by_ids)
