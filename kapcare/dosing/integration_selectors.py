"""Dosing sessions waiting for their integration session: a read across dosing (the session,
its discharge) and courses (the integration note, the clinic's integration window)."""

from __future__ import annotations

import datetime as dt

from django.db.models import Exists, OuterRef

from kapcare.clients.models import CareTeamMember
from kapcare.courses.models import ClinicalNote, NoteKind
from kapcare.courses.rules import integration_due_by
from kapcare.courses.selectors import current_care_protocol
from kapcare.dosing.models import DosingSession, DosingStatus


def integration_overdue(*, clinic_id: int, at: dt.datetime, member=None):
    """Dosing sessions whose integration session is past its window with no integration note
    (only for clients on `member`'s care team, when given).

    One query: the window is the clinic's current setting, so the cut-off is a single time."""
    window = current_care_protocol(clinic_id).integration_window_hours
    cutoff = at - dt.timedelta(hours=window)
    has_note = ClinicalNote.objects.filter(
        dosing_session_id=OuterRef("pk"), kind=NoteKind.INTEGRATION
    )
    sessions = (
        DosingSession.objects.filter(
            clinic_id=clinic_id, status=DosingStatus.DISCHARGED, discharged_at__lt=cutoff
        )
        .exclude(course__status__in=["completed", "discontinued"])
        .filter(~Exists(has_note))
        .select_related("client", "course")
        .order_by("discharged_at")
    )
    if member is not None:
        on_team = CareTeamMember.objects.filter(client=OuterRef("client"), user=member)
        sessions = sessions.filter(Exists(on_team))
    overdue = list(sessions)
    for session in overdue:
        session.integration_due_by = integration_due_by(session.discharged_at, window)
    return overdue
