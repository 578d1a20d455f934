"""Writes to dose orders: a prescriber signs one (within the protocol's limits, or with an
override reason) and may cancel it."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kapcare.accounts.actor import Actor, staff_user
from kapcare.accounts.signatures import typed_name_matches
from kapcare.audit.models import AuditAction
from kapcare.audit.services import record_event
from kapcare.core.decimals import column_problem
from kapcare.courses.models import TreatmentCourse
from kapcare.courses.states import CLOSED
from kapcare.dosing.models import PRODUCT_ROUTES, DoseOrder, Route
from kapcare.dosing.permissions import can_order
from kapcare.dosing.rules import ceiling_findings, limit_findings, override_reason_problem
from kapcare.dosing.services.common import require
from kapcare.dosing.services.protocol import ensure_dosing_protocol

MAX_SESSIONS = 52


@transaction.atomic
def sign_dose_order(
    *,
    actor: Actor,
    course: TreatmentCourse,
    product: str,
    route: str,
    sessions_authorised: int,
    valid_until: dt.date,
    signature_name: str,
    dose_mg: Decimal | None = None,
    dose_mg_per_kg: Decimal | None = None,
    infusion_minutes: int | None = None,
    instructions: str = "",
    override_reason: str = "",
) -> DoseOrder:
    """A signed order for the course's next sessions. The dose is checked against the current
    protocol's per-route limits (FACTS.md §4.1); outside them the order exists only with the
    prescriber's override reason (a real sentence), kept with the order and in the audit log.
    Above the route's hard ceiling it is refused whatever the reason, and a dose the order's
    column cannot hold is refused before anything is saved. Per-kg orders
    become mg at each session with the weight measured at its pre-dose check."""
    require(can_order(actor, course.client), _("Only a prescriber on the care team orders doses."))
    course = TreatmentCourse.objects.select_for_update().get(pk=course.pk)
    if course.status in CLOSED:
        raise ValidationError(_("The course is closed."))
    errors: dict[str, str] = {}
    if route not in PRODUCT_ROUTES.get(product, ()):
        errors["route"] = _("This product is not given by this route.")
    dose = dose_mg if dose_mg is not None else dose_mg_per_kg
    if (dose_mg is None) == (dose_mg_per_kg is None):
        errors["dose"] = _("Give the dose in mg or in mg/kg.")
    elif dose is not None and dose <= 0:
        errors["dose"] = _("The dose must be more than zero.")
    else:
        column = "dose_mg" if dose_mg is not None else "dose_mg_per_kg"
        problem = column_problem(
            DoseOrder, column, dose_mg if dose_mg is not None else dose_mg_per_kg
        )
        if problem:
            errors["dose"] = problem
    if route == Route.IV and not (infusion_minutes and infusion_minutes > 0):
        errors["infusion_minutes"] = _("Give the infusion duration for an IV dose.")
    if route != Route.IV:
        infusion_minutes = None
    if not 1 <= sessions_authorised <= MAX_SESSIONS:
        errors["sessions_authorised"] = _("Between 1 and %(n)s sessions.") % {"n": MAX_SESSIONS}
    if valid_until < course.clinic.today():
        errors["valid_until"] = _("The expiry date has passed.")
    if not typed_name_matches(signature_name, staff_user(actor).full_name):
        errors["signature_name"] = _("Type your full name exactly as on your account (%(n)s).") % {
            "n": staff_user(actor).full_name
        }
    if errors:
        raise ValidationError(errors)
    protocol = ensure_dosing_protocol(clinic=course.clinic)
    limits = protocol.limits_for(route)
    ceilings = ceiling_findings(limits=limits, dose_mg=dose_mg, mg_per_kg=dose_mg_per_kg)
    if ceilings:
        raise ValidationError(
            {
                "dose": _(
                    "Refused: %(f)s (protocol v%(v)s). No override allows a dose above the ceiling."
                )
                % {"f": "; ".join(ceilings), "v": protocol.version}
            }
        )
    findings = limit_findings(
        route=route,
        limits=limits,
        dose_mg=dose_mg,
        mg_per_kg=dose_mg_per_kg,
        infusion_minutes=infusion_minutes,
        min_infusion_minutes=protocol.iv_min_infusion_minutes,
    )
    if findings and not override_reason.strip():
        raise ValidationError(
            {
                "override_reason": _(
                    "Outside protocol v%(v)s limits: %(f)s. Give your reason to override, or "
                    "change the dose."
                )
                % {"v": protocol.version, "f": "; ".join(findings)}
            }
        )
    if findings and (problem := override_reason_problem(override_reason)):
        raise ValidationError(
            {
                "override_reason": _("Outside protocol v%(v)s limits: %(f)s. %(p)s")
                % {"v": protocol.version, "f": "; ".join(findings), "p": problem}
            }
        )
    order = DoseOrder.objects.create(
        clinic=course.clinic,
        client=course.client,
        course=course,
        product=product,
        route=route,
        dose_mg=dose_mg,
        dose_mg_per_kg=dose_mg_per_kg,
        infusion_minutes=infusion_minutes,
        sessions_authorised=sessions_authorised,
        valid_until=valid_until,
        instructions=instructions.strip(),
        protocol=protocol,
        limit_findings=findings,
        outside_limits=bool(findings),
        override_reason=override_reason.strip() if findings else "",
        signed_by=staff_user(actor),
        signature_name=signature_name.strip(),
        signed_at=timezone.now(),
    )
    record_event(
        actor=actor,
        action=AuditAction.CREATE,
        client=course.client,
        obj=order,
        summary=_("Signed a dose order: %(o)s") % {"o": order},
        details={
            "protocol_version": protocol.version,
            "limit_findings": findings,
            "override": bool(findings),
        },
    )
    return order


@transaction.atomic
def cancel_dose_order(*, actor: Actor, order: DoseOrder, reason: str) -> DoseOrder:
    """Stop an order being used for further sessions; sessions already given keep it."""
    require(can_order(actor, order.client), _("Only a prescriber on the care team cancels orders."))
    order = DoseOrder.objects.select_for_update().get(pk=order.pk)
    if order.cancelled_at is not None:
        raise ValidationError(_("This order is already cancelled."))
    if not reason.strip():
        raise ValidationError({"reason": _("Give a reason.")})
    order.cancelled_at = timezone.now()
    order.cancelled_by = actor.user
    order.cancel_reason = reason.strip()
    order.save(update_fields=["cancelled_at", "cancelled_by", "cancel_reason"])
    record_event(
        actor=actor,
        action=AuditAction.UPDATE,
        client=order.client,
        obj=order,
        summary=_("Cancelled a dose order"),
        details={"reason": order.cancel_reason},
    )
    return order
