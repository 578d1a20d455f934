"""Reads of the audit trail for the admin pages and exports."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from django.db.models import QuerySet
from django.utils import timezone

from kapcare.audit.models import AuditEvent

if TYPE_CHECKING:
    from kapcare.accounts.actor import Actor


def events_for_client(client) -> QuerySet[AuditEvent]:
    return AuditEvent.objects.filter(clinic_id=client.clinic_id, client=client).select_related(
        "actor"
    )


def audit_events(
    *,
    actor: Actor,
    client_id: int | None = None,
    user_id: int | None = None,
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
    action: str = "",
) -> QuerySet[AuditEvent]:
    """The clinic's events, newest first; dates are whole days in the clinic's time zone."""
    events = AuditEvent.objects.filter(clinic=actor.clinic).select_related("actor", "client")
    if client_id:
        events = events.filter(client_id=client_id)
    if user_id:
        events = events.filter(actor_id=user_id)
    if action:
        events = events.filter(action=action)
    zone = timezone.get_current_timezone()
    if date_from:
        start = dt.datetime.combine(date_from, dt.time.min, tzinfo=zone)
        events = events.filter(occurred_at__gte=start)
    if date_to:
        end = dt.datetime.combine(date_to + dt.timedelta(days=1), dt.time.min, tzinfo=zone)
        events = events.filter(occurred_at__lt=end)
    return events
