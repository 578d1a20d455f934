"""Reads shared by the measures pages, the home page banner and (later) the API and portal."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Exists, OuterRef, QuerySet

from kapcare.accounts.actor import Actor
from kapcare.clients.models import Client
from kapcare.clients.permissions import ClientAction, clients_visible_to
from kapcare.measures.models import (
    AssignmentStatus,
    InstrumentDefinition,
    MeasureAssignment,
    Response,
    RiskAlert,
)
from kapcare.measures.permissions import open_alerts_visible_to


def active_definitions(clinic_id: int) -> list[InstrumentDefinition]:
    return list(
        InstrumentDefinition.objects.filter(clinic_id=clinic_id, is_active=True).order_by("code")
    )


def responses_for_client(client, code: str | None = None) -> QuerySet[Response]:
    """The client's responses, newest first, with what the list shows."""
    responses = Response.objects.filter(clinic_id=client.clinic_id, client=client)
    if code:
        responses = responses.filter(instrument_code=code)
    return responses.select_related("instrument", "entered_by", "assignment").order_by(
        "-completed_at", "-id"
    )


@dataclass(frozen=True)
class DueLists:
    overdue: list[MeasureAssignment]
    due: list[MeasureAssignment]
    upcoming: list[MeasureAssignment]


def _split(assignments, today: dt.date) -> DueLists:
    overdue, due, upcoming = [], [], []
    for a in assignments:
        if a.due_by < today:
            overdue.append(a)
        elif a.available_from <= today:
            due.append(a)
        else:
            upcoming.append(a)
    return DueLists(overdue, due, upcoming)


def assignments_for_client(client, today: dt.date, upcoming_days: int = 45) -> DueLists:
    pending = MeasureAssignment.objects.filter(
        clinic_id=client.clinic_id,
        client=client,
        status=AssignmentStatus.PENDING,
        available_from__lte=today + dt.timedelta(days=upcoming_days),
    ).order_by("due_by", "instrument_code", "id")
    return _split(pending, today)


@dataclass
class DueQueries:
    """The actor's open questionnaires, unevaluated: a page counts each and shows a slice."""

    overdue: QuerySet[MeasureAssignment]
    due: QuerySet[MeasureAssignment]


def due_for_actor(actor: Actor, today: dt.date) -> DueQueries:
    """Pending questionnaires already open (due or overdue) for clients whose clinical record the
    actor may see, soonest due first (the assignment_due index leads with clinic, status, due_by)."""
    pending = (
        MeasureAssignment.objects.filter(
            clinic=actor.clinic,
            status=AssignmentStatus.PENDING,
            available_from__lte=today,
            client__in=clients_visible_to(actor, ClientAction.VIEW_CLINICAL),
        )
        .select_related("client")
        .order_by("due_by", "client__last_name", "instrument_code", "id")
    )
    return DueQueries(
        overdue=pending.filter(due_by__lt=today), due=pending.filter(due_by__gte=today)
    )


def open_alerts_for_client(client) -> list[RiskAlert]:
    return list(
        RiskAlert.objects.filter(
            clinic_id=client.clinic_id, client=client, acknowledged_at__isnull=True
        )
        .select_related("response")
        .order_by("raised_at", "id")
    )


def alerts_for_client(client, limit: int = 20) -> list[RiskAlert]:
    return list(
        RiskAlert.objects.filter(clinic_id=client.clinic_id, client=client)
        .select_related("acknowledged_by")
        .order_by("-raised_at", "-id")[:limit]
    )


def open_alerts_for_actor(actor: Actor) -> list[RiskAlert]:
    """What the home-page banner lists for this actor (see permissions.open_alerts_visible_to)."""
    clinical = clients_visible_to(actor, ClientAction.VIEW_CLINICAL).filter(
        pk=OuterRef("client_id")
    )
    return list(
        open_alerts_visible_to(actor)
        .annotate(clinical=Exists(clinical))
        .select_related("client")
        .order_by("raised_at", "id")[:50]
    )


def client_assignment(client: Client, assignment_id: int) -> MeasureAssignment | None:
    """One questionnaire assigned to the client, with its course."""
    return (
        MeasureAssignment.objects.select_related("course")
        .filter(pk=assignment_id, client=client, clinic_id=client.clinic_id)
        .first()
    )


def client_response(client: Client, response_id: int) -> Response | None:
    """One of the client's responses with what its page shows beside the answers."""
    return (
        Response.objects.select_related("instrument", "entered_by", "assignment")
        .filter(pk=response_id, client=client, clinic_id=client.clinic_id)
        .first()
    )


def client_alert(client: Client, alert_id: int) -> RiskAlert | None:
    return RiskAlert.objects.filter(pk=alert_id, client=client, clinic_id=client.clinic_id).first()


def clinic_definitions(clinic_id: int) -> QuerySet[InstrumentDefinition]:
    """Every definition the clinic holds, each code's active version first, then the newest."""
    return InstrumentDefinition.objects.filter(clinic_id=clinic_id).order_by(
        "code", "-is_active", "-created_at"
    )


def clinic_definition(clinic_id: int, definition_id: int) -> InstrumentDefinition | None:
    return InstrumentDefinition.objects.filter(pk=definition_id, clinic_id=clinic_id).first()
