"""The dosing app's gates, registered with kapcare.courses.gates so that `dosing_gates(course,
at)` lists them with the pathway gates: pre-dose checks within thresholds, a signed dose order
that covers today's dose, and stock that covers it.

A gate is asked about a course in a `GateContext`. At the chair, `administer_dose` names the
exact attempt (the session, the lot and location chosen) in that context, so the same gates judge
the very dose about to be given; elsewhere (the course tab) they judge the course's checked-in
session, or say that none is.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django.utils import timezone
from django.utils.translation import gettext as _

from kapcare.courses.gates import Gate, GateContext, register_gate
from kapcare.courses.models import TreatmentCourse
from kapcare.dosing import selectors
from kapcare.dosing.models import PRODUCT_ROUTES, DoseOrder, DosingSession, Product
from kapcare.dosing.rules import check_blocks, order_problems, remainder_mg, session_dose_mg
from kapcare.ledger.selectors import available_lots, stock_problem
from kapcare.measures.pre_dose import higher_item9, pre_dose_measures


@dataclass(frozen=True)
class Attempt:
    """The administration being attempted: which session, from which lot and location."""

    session: DosingSession
    lot: object
    location: object


def _attempt(context: GateContext) -> Attempt | None:
    """The attempt at the chair, if this context is one for this course."""
    attempt = context.attempt
    if isinstance(attempt, Attempt) and attempt.session.course_id == context.course.pk:
        return attempt
    return None


def _shared(context: GateContext, name: str, read: Callable[[], Any]) -> Any:
    """What this app's gates read once per evaluation, kept on the evaluation's context."""
    if name not in context.reads:
        context.reads[name] = read()
    return context.reads[name]


def _target(context: GateContext) -> DosingSession | None:
    attempt = _attempt(context)
    if attempt is not None:
        return attempt.session
    return _shared(context, "session", lambda: selectors.awaiting_session(context.course))


def _check(context: GateContext):
    """The target session's latest checks at the context's moment."""

    def read():
        session = _target(context)
        if session is None:
            return None
        return (
            session.pre_dose_checks.filter(recorded_at__lte=context.at)
            .order_by("-recorded_at", "-id")
            .first()
        )

    return _shared(context, "check", read)


def _order(context: GateContext) -> DoseOrder | None:
    return _shared(context, "order", lambda: selectors.current_order(context.course))


def _today(course: TreatmentCourse, at: dt.datetime) -> dt.date:
    return timezone.localdate(at, timezone=ZoneInfo(course.clinic.time_zone))


def measure_blocks(session: DosingSession, check, at: dt.datetime) -> list[str]:
    """What Measures holds against the dose at `at`: each questionnaire the clinic's schedule
    asks for before this session with no complete response (FACTS.md §4.3 interval history; the
    protocol's "required before each session": a ticked box is not a response), and a PHQ-9
    item 9 answered after the checks that they did not take in (FACTS.md §8)."""
    protocol = session.protocol
    measures = pre_dose_measures(session, at)
    out = []
    missing = [m.title for m in measures if not m.done]
    if missing and (protocol is None or protocol.require_pre_session_measures):
        out.append(
            _("Not in Measures yet: %(what)s (before this session).") % {"what": ", ".join(missing)}
        )
    found = higher_item9(None, measures)
    if (
        check is not None
        and protocol is not None
        and found is not None
        and found >= protocol.phq9_item9_review
        and higher_item9(check.phq9_item9, measures) != check.phq9_item9
    ):
        out.append(
            _(
                "PHQ-9 item 9 is %(v)s in Measures, after these checks: record the checks "
                "again so a prescriber reviews suicide risk before dosing."
            )
            % {"v": found}
        )
    return out


def pre_dose_gate(context: GateContext) -> Gate:
    """FACTS.md §4.3: the latest checks of the session, judged under its protocol version, and
    the pre-dose questionnaires its schedule asks for, present as responses in Measures."""
    at = context.at
    label = _("Pre-dose checks complete and within thresholds")
    session = _target(context)
    if session is None:
        return Gate("pre_dose", label, False, _("No session is checked in for a dose."))
    check = _check(context)
    measures = measure_blocks(session, check, at)
    if check is None:
        reason = _("Session %(n)s: the pre-dose checks are not recorded.") % {"n": session.number}
        return Gate("pre_dose", label, False, " ".join([reason, *measures]))
    blocks = check_blocks(check.problems, cleared=check.cleared_at is not None) + measures
    return Gate("pre_dose", label, not blocks, " ".join(blocks))


def order_facts(order: DoseOrder) -> dict:
    return {
        "cancelled": order.cancelled_at is not None,
        "cancel_reason": order.cancel_reason,
        "valid_until": order.valid_until,
        "sessions_authorised": order.sessions_authorised,
        "route": order.route,
        "dose_mg": order.dose_mg,
        "dose_mg_per_kg": order.dose_mg_per_kg,
        "infusion_minutes": order.infusion_minutes,
        "override_reason": order.override_reason,
    }


def order_gate(context: GateContext) -> Gate:
    """A signed order, not cancelled or expired, with sessions left, whose dose today is within
    the session's protocol limits (FACTS.md §4.1) or carries the prescriber's override."""
    course, at = context.course, context.at
    label = _("A signed dose order covers today's dose")
    order = _order(context)
    if order is None or order.signed_at > at:
        return Gate("dose_order", label, False, _("There is no signed dose order."))
    session = _target(context)
    check = _check(context)
    protocol = (session.protocol if session else None) or order.protocol
    problems = order_problems(
        order=order_facts(order),
        today=_today(course, at),
        sessions_used=selectors.sessions_used(order),
        weight_kg=check.weight_kg if check else None,
        limits=protocol.limits_for(order.route),
        min_infusion_minutes=protocol.iv_min_infusion_minutes,
        allowed_routes=PRODUCT_ROUTES[order.product],
        weight_required=session is not None,
    )
    return Gate("dose_order", label, not problems, " ".join(problems))


def stock_needed(order: DoseOrder, dose_mg: Decimal, mg_per_unit: Decimal) -> Decimal:
    """What leaves the shelf for a dose: the dose plus the rest of the units opened for it."""
    return dose_mg + remainder_mg(dose_mg, mg_per_unit)


def product_matches(order: DoseOrder, product) -> bool:
    return product.is_esketamine == (order.product == Product.ESKETAMINE) and (
        order.route in (product.routes or [])
    )


def stock_gate(context: GateContext) -> Gate:
    """Enough of a usable lot (not expired, location not blocked by a count discrepancy) for
    the dose and the rest of the units it opens; at the chair, the lot actually chosen."""
    course = context.course
    label = _("Stock on hand covers the dose")
    order = _order(context)
    if order is None:
        return Gate("stock", label, False, _("There is no dose order to check stock against."))
    check = _check(context)
    dose = session_dose_mg(
        dose_mg=order.dose_mg,
        dose_mg_per_kg=order.dose_mg_per_kg,
        weight_kg=check.weight_kg if check else None,
    )
    if dose is None:
        return Gate("stock", label, False, _("The dose is known once the client is weighed."))
    attempt = _attempt(context)
    if attempt is not None:
        product = attempt.lot.product
        if not product_matches(order, product):
            return Gate(
                "stock",
                label,
                False,
                _("Lot %(lot)s is %(p)s, which the order does not cover.")
                % {"lot": attempt.lot.lot_number, "p": product.name},
            )
        problem = stock_problem(
            clinic_id=course.clinic_id,
            lot=attempt.lot,
            location=attempt.location,
            quantity_mg=stock_needed(order, dose, product.mg_per_unit),
        )
        return Gate("stock", label, problem is None, problem or "")
    # Away from the chair: any usable lot will do (available_lots has already left out expired
    # lots and blocked locations).
    for option in available_lots(clinic_id=course.clinic_id):
        product = option.lot.product
        if product_matches(order, product) and option.balance_mg >= stock_needed(
            order, dose, product.mg_per_unit
        ):
            return Gate("stock", label, True)
    return Gate(
        "stock",
        label,
        False,
        _("No usable lot holds %(mg)s mg of %(p)s.")
        % {"mg": format(dose.normalize(), "f"), "p": Product(order.product).label.lower()},
    )


def register() -> None:
    """The dosing app's per-dose gates (called from DosingConfig.ready)."""
    register_gate("pre_dose", pre_dose_gate, order=100)
    register_gate("dose_order", order_gate, order=110)
    register_gate("stock", stock_gate, order=120)
