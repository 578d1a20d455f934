"""A clinic with a calendar: the shipped appointment types, two rooms, two recliners, and
every member of staff working 07:00–20:00 every day (so tests pick any future time)."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from kapcare.accounts.models import Role
from kapcare.core import versioning
from kapcare.dosing.models import DosingProtocol
from kapcare.scheduling.defaults import install_shipped_types
from kapcare.scheduling.models import AppointmentType, Resource, ResourceKind, WeeklyHours
from kapcare.scheduling.services import BookingRequest

DAY_STARTS, DAY_ENDS = dt.time(7), dt.time(20)


def set_up_calendar(clinic, staff_users, *, rooms=2, recliners=2):
    """Types by code, resources by kind; weekly hours for each of `staff_users`."""
    protocol = versioning.current(DosingProtocol, clinic.pk)
    install_shipped_types(clinic, protocol)
    resources = {
        ResourceKind.ROOM: [
            Resource.objects.create(clinic=clinic, kind=ResourceKind.ROOM, name=f"Room {i + 1}")
            for i in range(rooms)
        ],
        ResourceKind.RECLINER: [
            Resource.objects.create(
                clinic=clinic, kind=ResourceKind.RECLINER, name=f"Recliner {i + 1}"
            )
            for i in range(recliners)
        ],
    }
    for user in staff_users:
        works_every_day(clinic, user)
    types = {t.code: t for t in AppointmentType.objects.filter(clinic=clinic)}
    return types, resources


def works_every_day(clinic, user) -> None:
    WeeklyHours.objects.bulk_create(
        WeeklyHours(clinic=clinic, user=user, weekday=d, starts=DAY_STARTS, ends=DAY_ENDS)
        for d in range(7)
    )


def tomorrow_at(clinic, hour: int, minute: int = 0) -> dt.datetime:
    day = timezone.localdate(timezone=clinic.zone) + dt.timedelta(days=1)
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=clinic.zone)


def dosing_request(types, resources, staff, client, course, starts_at, *, route="iv", recliner=0):
    return BookingRequest(
        appointment_type=types[f"dosing-{route}"],
        client=client,
        starts_at=starts_at,
        staff=(
            (Role.PRESCRIBER, staff[Role.PRESCRIBER]),
            (Role.THERAPIST, staff[Role.THERAPIST]),
            (Role.NURSE, staff[Role.NURSE]),
        ),
        resources=(resources[ResourceKind.ROOM][0], resources[ResourceKind.RECLINER][recliner]),
        course=course,
    )
