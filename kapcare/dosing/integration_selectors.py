"""Dosing sessions waiting for their integration session: a read across dosing (the session,
its discharge) and courses (the integration note, the clinic's integration window)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.db.models import Exists, OuterRef, QuerySet

from kapcare.clients.models import CareTeamMember
from kapcare.courses.models import ClinicalNote, NoteKind
from kapcare.courses.rules import integration_due_by
from kapcare.courses.selectors import current_care_protocol
from kapcare.courses.states import OPEN
from kapcare.dosing.models import DosingSession, DosingStatus


def overdue_integration(
    *, clinic_id: int, at: dt.datetime, member=None
) -> tuple[QuerySet[DosingSession], int]:
    """The unevaluated, ordered queryset of dosing sessions whose integration session is past its
    window with no integration note (only for clients on `member`'s care team, when given), and
    the window in hours. Unevaluated so a page can count it and show one slice of it.

    The window is the clinic's current setting, so the cut-off is a single time."""
    window = current_care_protocol(clinic_id).integration_window_hours
    cutoff = at - dt.timedelta(hours=window)
    has_note = ClinicalNote.objects.filter(
        dosing_session_id=OuterRef("pk"), kind=NoteKind.INTEGRATION
    )
    sessions = (
        DosingSession.objects.filter(
            clinic_id=clinic_id, status=DosingStatus.DISCHARGED, discharged_at__lt=cutoff
        )
        # The open courses of this clinic by their (clinic, status) index, not "every course
        # that is not closed", which PostgreSQL answered with a scan of all courses.
        .filter(course__clinic_id=clinic_id, course__status__in=OPEN)
        .filter(~Exists(has_note))
        .select_related("client", "course")
        .order_by("discharged_at", "id")
    )
    if member is not None:
        on_team = CareTeamMember.objects.filter(client=OuterRef("client"), user=member)
        sessions = sessions.filter(Exists(on_team))
    return sessions, window


def with_due_by(sessions: Iterable[DosingSession], window_hours: int) -> list[DosingSession]:
    """The sessions, each with `integration_due_by` set for the page."""
    shown = list(sessions)
    for session in shown:
        session.integration_due_by = integration_due_by(session.discharged_at, window_hours)
    return shown


def integration_overdue(*, clinic_id: int, at: dt.datetime, member=None) -> list[DosingSession]:
    """Every overdue session (see `overdue_integration`), each with its due time. Two queries."""
    sessions, window = overdue_integration(clinic_id=clinic_id, at=at, member=member)
    return with_due_by(sessions, window)
