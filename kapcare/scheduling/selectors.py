"""Reads of the calendar."""

from __future__ import annotations

import datetime as dt

from django.db.models import Prefetch, QuerySet

from kapcare.accounts.models import Clinic
from kapcare.core import versioning
from kapcare.scheduling.models import Appointment, Hold, SchedulingSettings


def scheduling_settings(clinic: Clinic) -> SchedulingSettings:
    """The clinic's calendar settings in force (the shipped defaults until it publishes)."""
    return versioning.current(SchedulingSettings, clinic.pk)


def appointments_between(
    clinic: Clinic,
    start: dt.datetime,
    end: dt.datetime,
    *,
    user_id: int | None = None,
    resource_id: int | None = None,
) -> QuerySet[Appointment]:
    """The clinic's appointments overlapping [start, end), optionally only those holding one
    member of staff or one resource, with their type, client, dosing session and active holds
    (people and resources) fetched: a constant number of queries however many there are."""
    rows = Appointment.objects.filter(clinic=clinic, starts_at__lt=end, ends_at__gt=start)
    if user_id is not None:
        rows = rows.filter(holds__user_id=user_id, holds__active=True)
    if resource_id is not None:
        rows = rows.filter(holds__resource_id=resource_id, holds__active=True)
    return (
        rows.select_related("appointment_type", "client", "dosing_session")
        .prefetch_related(
            Prefetch(
                "holds",
                queryset=Hold.objects.filter(client__isnull=True).select_related(
                    "user", "resource"
                ),
            )
        )
        .order_by("starts_at", "id")
        .distinct()
    )
