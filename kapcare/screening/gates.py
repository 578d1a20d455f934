"""Screening's gate in front of every dose: eligible under the current protocol version.
Registered with the gate registry in kapcare.courses.gates from ScreeningConfig.ready."""

from __future__ import annotations

from django.utils.translation import gettext as _

from kapcare.courses.gates import Gate, GateContext, register_gate
from kapcare.screening.models import Decision
from kapcare.screening.selectors import current_protocol, latest_decision


def eligibility_gate(context: GateContext) -> Gate:
    """Eligible under the clinic's current screening protocol, decided by the moment judged."""
    course, at = context.course, context.at
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


def register() -> None:
    register_gate("eligibility", eligibility_gate, order=10, pathway=True)
