"""The safety gates in front of every dose: `dosing_gates(course, at)` lists each one with
whether it passes at that moment and why not. Nothing is administered unless all pass.

This module is the gate registry. Each app registers its gates in its `AppConfig.ready`:
screening (eligibility), consent (consent), courses (preparation, course state) and dosing
(pre-dose checks, dose order, stock). A gate is a function of an explicit `GateContext`: the
course, the moment it is judged at and, at the chair, the attempt (the dosing app's own
description of the dose about to be given; opaque here).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from kapcare.courses.models import CourseStatus, TreatmentCourse
from kapcare.courses.selectors import preparation_missing
from kapcare.courses.states import REASON_REQUIRED


@dataclass(frozen=True)
class Gate:
    key: str
    label: str
    passed: bool
    reason: str = ""


@dataclass(frozen=True)
class GateContext:
    """What a gate judges: the course, at a moment, and at the chair the attempt being made.

    `attempt` belongs to the app that makes it (dosing passes its `Attempt`: the session, lot and
    location chosen); gates that do not know it ignore it.
    """

    course: TreatmentCourse
    at: dt.datetime
    attempt: Any = None
    # What the gates of one evaluation read and share (the session, its checks, the order are the
    # same for each of them at that moment). It belongs to this context: a later evaluation, even
    # at the same moment after a write, builds a new context and reads afresh.
    reads: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)


GateCheck = Callable[[GateContext], Gate]


@dataclass(frozen=True)
class RegisteredGate:
    key: str
    check: GateCheck
    order: int
    # A pathway gate says whether the course has reached dosing at all; the others are judged
    # at each dose (pre-dose checks, the order, stock).
    pathway: bool


_GATES: dict[str, RegisteredGate] = {}


def register_gate(key: str, check: GateCheck, *, order: int, pathway: bool = False) -> None:
    """Add a gate under `key`; gates are listed by `order` (pathway gates first by convention:
    eligibility 10, consent 20, preparation 30, course state 40; per-dose gates from 100)."""
    _GATES[key] = RegisteredGate(key=key, check=check, order=order, pathway=pathway)


def _registered(*, pathway_only: bool = False) -> list[RegisteredGate]:
    gates = sorted(_GATES.values(), key=lambda g: g.order)
    return [g for g in gates if g.pathway or not pathway_only]


def pathway_gate_keys() -> frozenset[str]:
    return frozenset(g.key for g in _registered(pathway_only=True))


def judge(keys: Iterable[str], context: GateContext) -> list[Gate]:
    """The named gates judged in `context`, in registry order (a course's phase preconditions)."""
    wanted = set(keys)
    missing = wanted - _GATES.keys()
    if missing:
        raise LookupError(f"No gate registered under {sorted(missing)}")
    return [g.check(context) for g in _registered() if g.key in wanted]


def preparation_gate(context: GateContext) -> Gate:
    missing = preparation_missing(context.course, context.at)
    reason = (
        (_("Preparation incomplete: %(what)s.") % {"what": "; ".join(missing)}) if missing else ""
    )
    return Gate("preparation", _("Preparation complete"), not missing, reason)


def course_state_gate(context: GateContext) -> Gate:
    course = context.course
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


def register() -> None:
    """The courses app's own pathway gates (called from CoursesConfig.ready)."""
    register_gate("preparation", preparation_gate, order=30, pathway=True)
    register_gate("course_active", course_state_gate, order=40, pathway=True)


def dosing_gates(
    course: TreatmentCourse, at: dt.datetime | None = None, *, attempt: Any = None
) -> list[Gate]:
    context = GateContext(course=course, at=at or timezone.now(), attempt=attempt)
    return [g.check(context) for g in _registered()]


def ready_for_dosing(course: TreatmentCourse, at: dt.datetime | None = None) -> bool:
    return all(gate.passed for gate in dosing_gates(course, at))


def pathway_gates(course: TreatmentCourse, at: dt.datetime | None = None) -> list[Gate]:
    """Only the pathway's gates: eligible, consented, prepared, course active."""
    context = GateContext(course=course, at=at or timezone.now())
    return [g.check(context) for g in _registered(pathway_only=True)]


def pathway_complete(course: TreatmentCourse, at: dt.datetime | None = None) -> bool:
    """The course has reached dosing: a session may be booked. Each dose still needs every
    gate in `dosing_gates` at the chair."""
    return all(gate.passed for gate in pathway_gates(course, at))
