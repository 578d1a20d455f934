"""Consent's gate in front of every dose: informed consent signed and current.
Registered with the gate registry in kapcare.courses.gates from ConsentConfig.ready."""

from __future__ import annotations

from django.utils.translation import gettext as _

from kapcare.consent.selectors import consent_problem
from kapcare.courses.gates import Gate, GateContext, register_gate


def consent_gate(context: GateContext) -> Gate:
    """Consent signed under the current document and not withdrawn at the moment judged."""
    problem = consent_problem(context.course.client, context.at)
    return Gate("consent", _("Informed consent signed and current"), problem is None, problem or "")


def register() -> None:
    register_gate("consent", consent_gate, order=20, pathway=True)
