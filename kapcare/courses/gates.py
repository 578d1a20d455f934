"""The safety gates in front of every dose: `dosing_gates(course, at)` lists each one with
whether it passes at that moment and why not. Nothing is administered unless all pass.

This module holds the pathway gates (eligibility, consent, preparation, course state). The
dosing app registers its own (pre-dose checks, dose order, stock) with `register_gate`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from django.utils import timezone
from django.utils.translation import gettext as _

from kapcare.consent.selectors import consent_problem
from kapcare.courses.models import CourseStatus, TreatmentCourse
from kapcare.courses.selectors import preparation_missing
from kapcare.courses.states import REASON_REQUIRED
from kapcare.screening.models import Decision
from kapcare.screening.selectors import current_protocol, latest_decision


@dataclass(frozen=True)
class Gate:
    key: str
    label: str
    passed: bool
    reason: str = ""


GateCheck = Callable[[TreatmentCourse, dt.datetime], Gate]


def eligibility_gate(course: TreatmentCourse, at: dt.datetime) -> Gate:
    label = _("Eligible under the current screening protocol")
    decision = latest_decision(course)
    protocol = current_protocol(course.clinic_id)
    if decision is None or decision.decided_at > at:
        return Gate("eligibility", label, False, _("No eligibility decision yet."))
    if decision.decision != Decision.ELIGIBLE:
        return Gate(
            "eligibility",
            label,
            False,
            _("Latest decision: not eligible (%(basis)s).")
            % {"basis": decision.get_basis_display()},
        )
    if protocol is None or decision.protocol_id != protocol.pk:
        return Gate(
            "eligibility",
            label,
            False,
            _("Decided under protocol v%(old)s; the clinic now uses v%(new)s. Screen again.")
            % {"old": decision.protocol.version, "new": protocol.version if protocol else "—"},
        )
    return Gate("eligibility", label, True)


def consent_gate(course: TreatmentCourse, at: dt.datetime) -> Gate:
    problem = consent_problem(course.client, at)
    return Gate("consent", _("Informed consent signed and current"), problem is None, problem or "")


def preparation_gate(course: TreatmentCourse, at: dt.datetime) -> Gate:
    missing = preparation_missing(course, at)
    reason = (
        (_("Preparation incomplete: %(what)s.") % {"what": "; ".join(missing)}) if missing else ""
    )
    return Gate("preparation", _("Preparation complete"), not missing, reason)


def course_state_gate(course: TreatmentCourse, at: dt.datetime) -> Gate:
    label = _("Course active and not paused")
    if course.status == CourseStatus.ACTIVE:
        return Gate("course_active", label, True)
    why = ""
    if course.status in REASON_REQUIRED:
        # Only a pause or discontinuation has a reason worth repeating here; the forward moves
        # record "requirements met", which would explain nothing.
        last = course.history.order_by("-changed_at", "-id").first()
        if last and last.reason and last.to_status == course.status:
            why = " — " + last.reason.rstrip(". ")
    return Gate(
        "course_active",
        label,
        False,
        _("Course status: %(status)s%(why)s.")
        % {"status": course.get_status_display(), "why": why},
    )


# The pathway's own gates: whether the course has reached dosing at all. Other apps add gates
# judged at each dose (pre-dose checks, the order, stock); those follow these in the list.
PATHWAY_CHECKS: tuple[GateCheck, ...] = (
    eligibility_gate,
    consent_gate,
    preparation_gate,
    course_state_gate,
)
PATHWAY_GATE_KEYS = frozenset({"eligibility", "consent", "preparation", "course_active"})
GATE_CHECKS: list[GateCheck] = list(PATHWAY_CHECKS)


def register_gate(check: GateCheck) -> None:
    """Add a gate (the dosing app adds pre-dose checks, order validity and stock)."""
    if check not in GATE_CHECKS:
        GATE_CHECKS.append(check)


def dosing_gates(course: TreatmentCourse, at: dt.datetime | None = None) -> list[Gate]:
    at = at or timezone.now()
    return [check(course, at) for check in GATE_CHECKS]


def ready_for_dosing(course: TreatmentCourse, at: dt.datetime | None = None) -> bool:
    return all(gate.passed for gate in dosing_gates(course, at))


def pathway_gates(course: TreatmentCourse, at: dt.datetime | None = None) -> list[Gate]:
    """Only the pathway's gates: eligible, consented, prepared, course active."""
    at = at or timezone.now()
    return [check(course, at) for check in PATHWAY_CHECKS]


def pathway_complete(course: TreatmentCourse, at: dt.datetime | None = None) -> bool:
    """The course has reached dosing: a session may be booked. Each dose still needs every
    gate in `dosing_gates` at the chair."""
    return all(gate.passed for gate in pathway_gates(course, at))
