"""The appointment types kapcare ships. A clinic edits them (kapcare.scheduling setup pages);
these are where a new clinic starts.

A dosing appointment lasts the check-in and pre-dose checks, then the route's minimum
observation time counted from the dose (the dosing protocol, FACTS.md §4.4), then discharge:
FACTS.md §6.1 gives sessions of about 2–3 hours.
"""

from __future__ import annotations

from dataclasses import dataclass

from kapcare.accounts.models import Clinic, Role
from kapcare.dosing.models import DosingProtocol, Route
from kapcare.scheduling.models import AppointmentKind, AppointmentType, ResourceKind

PRE_DOSE_MINUTES = 30  # arrival, check-in, the pre-dose checklist (FACTS.md §4.3)
DISCHARGE_MINUTES = 15  # discharge checks and aftercare (FACTS.md §4.5)
TURNOVER_MINUTES = 15  # the recliner and room made ready for the next client

K, R = AppointmentKind, ResourceKind
ROOM = [R.ROOM.value]
CHAIR = [R.ROOM.value, R.RECLINER.value]
DOSING_TEAM = [Role.PRESCRIBER.value, Role.THERAPIST.value, Role.NURSE.value]


@dataclass(frozen=True)
class TypeDefault:
    code: str
    name: str
    kind: str
    minutes: int
    roles: list[str]
    resources: list[str]
    counts: bool = False
    telehealth: bool = False
    route: str = ""


def _talking(code, name, kind, minutes, role, counts=False) -> list[TypeDefault]:
    """An in-person type and its telehealth variant (no room)."""
    return [
        TypeDefault(code, name, kind, minutes, [role], ROOM, counts),
        TypeDefault(
            f"{code}-telehealth", f"{name} (telehealth)", kind, minutes, [role], [], counts, True
        ),
    ]


def dosing_minutes(protocol: DosingProtocol, route: str) -> int:
    return PRE_DOSE_MINUTES + protocol.min_observation_for(route) + DISCHARGE_MINUTES


def shipped_types(protocol: DosingProtocol) -> list[TypeDefault]:
    dosing = [
        TypeDefault(
            f"dosing-{route}",
            f"Dosing: {label}",
            K.DOSING,
            dosing_minutes(protocol, route),
            DOSING_TEAM,
            CHAIR,
            counts=True,
            route=route,
        )
        for route, label in Route.choices
    ]
    return [
        *_talking("consultation", "Consultation", K.CONSULTATION, 30, Role.THERAPIST),
        *_talking(
            "prescriber-evaluation",
            "Prescriber evaluation",
            K.PRESCRIBER_EVALUATION,
            60,
            Role.PRESCRIBER,
        ),
        *_talking("preparation", "Preparation session", K.PREPARATION, 60, Role.THERAPIST, True),
        *dosing,
        *_talking("integration", "Integration session", K.INTEGRATION, 60, Role.THERAPIST, True),
        *_talking("follow-up", "Follow-up", K.FOLLOW_UP, 30, Role.PRESCRIBER),
    ]


def install_shipped_types(clinic: Clinic, protocol: DosingProtocol) -> list[AppointmentType]:
    """The shipped types the clinic does not have yet (by code), created; existing ones kept."""
    have = set(AppointmentType.objects.filter(clinic=clinic).values_list("code", flat=True))
    rows = [
        AppointmentType(
            clinic=clinic,
            code=d.code,
            name=d.name,
            kind=d.kind,
            route=d.route,
            telehealth=d.telehealth,
            duration_minutes=d.minutes,
            buffer_before_minutes=TURNOVER_MINUTES if d.kind == K.DOSING else 0,
            buffer_after_minutes=TURNOVER_MINUTES if d.kind == K.DOSING else 0,
            required_roles=[str(r) for r in d.roles],
            required_resources=list(d.resources),
            counts_toward_plan=d.counts,
        )
        for d in shipped_types(protocol)
        if d.code not in have
    ]
    return AppointmentType.objects.bulk_create(rows)
