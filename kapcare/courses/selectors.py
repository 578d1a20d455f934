"""Reads for treatment courses: protocol settings, preparation status, notes, queues."""

from __future__ import annotations

import datetime as dt

from django.db.models import QuerySet

from kapcare.core.versioning import current
from kapcare.courses.dosing_sessions import sessions_by_id
from kapcare.courses.models import (
    CareProtocol,
    ClinicalNote,
    CourseStatus,
    NoteKind,
    NoteStatus,
    TreatmentCourse,
)
from kapcare.courses.rules import preparation_shortfall
from kapcare.courses.states import CLOSED


def current_care_protocol(clinic_id: int) -> CareProtocol:
    """The clinic's latest pathway settings; the built-in defaults when it has published none."""
    return current(CareProtocol, clinic_id)


def preparation_missing(course: TreatmentCourse, at: dt.datetime) -> list[str]:
    protocol = current_care_protocol(course.clinic_id)
    contents = ClinicalNote.objects.filter(
        course=course, kind=NoteKind.PREPARATION, status=NoteStatus.SIGNED, signed_at__lte=at
    ).values_list("content", flat=True)
    return preparation_shortfall(
        contents,
        min_sessions=protocol.min_preparation_sessions,
        required=protocol.required_preparation_elements,
    )


def paused_from(course: TreatmentCourse) -> str | None:
    """The phase a paused course was paused from: the only one it may resume in."""
    paused = course.history.filter(to_status=CourseStatus.PAUSED)
    change = paused.order_by("-changed_at", "-id").first()
    return change.from_status if change else None


def current_course(client) -> TreatmentCourse | None:
    """The client's open course, or their most recent one."""
    courses = list(client.courses.order_by("-opened_at", "-id")[:5])
    open_courses = [c for c in courses if c.status not in CLOSED]
    return (open_courses or courses or [None])[0]


def notes_for_course(course: TreatmentCourse, viewer) -> list[ClinicalNote]:
    """The course's notes the viewer may read: process notes only for their author and the
    people they are shared with. Addenda and co-signatures come in two more queries."""
    notes = (
        ClinicalNote.objects.filter(course=course)
        .select_related("author", "signed_by")
        .prefetch_related("addenda__author", "cosignatures__cosigned_by")
        .order_by("-session_date", "-id")
    )
    return with_followed_sessions(
        [
            note
            for note in notes
            if note.kind != NoteKind.PROCESS
            or note.author_id == viewer.pk
            or viewer.pk in note.shared_with
        ]
    )


def with_followed_sessions(notes: list[ClinicalNote]) -> list[ClinicalNote]:
    """Each note with `followed_session`: the dosing session an integration note follows (a
    SessionRef, from the dosing app's directory in one query), or None."""
    found = sessions_by_id(note.dosing_session_id for note in notes)
    for note in notes:
        session_id = note.dosing_session_id
        note.followed_session = found[session_id] if session_id else None  # type: ignore[attr-defined]
    return notes


def client_note(*, clinic_id: int, client_id: int, note_id: int) -> ClinicalNote | None:
    """One note of the client with who wrote and signed it; the caller checks who may read it."""
    return (
        ClinicalNote.objects.select_related("client", "course", "author", "signed_by")
        .filter(pk=note_id, client_id=client_id, clinic_id=clinic_id)
        .first()
    )


def care_protocol_versions(clinic_id: int) -> QuerySet[CareProtocol]:
    """Every published version of the clinic's care protocol, with who published it."""
    return CareProtocol.objects.filter(clinic_id=clinic_id).select_related("published_by")
