"""AdverseEvent: an adverse event recorded in a dosing session (kapcare.dosing AdverseEvent).

Visible for the clients the token's user may see clinically, like the session's own pages.
"""

from __future__ import annotations

from django.db.models import Prefetch, Q, QuerySet

from kapcare.accounts.api_tokens import ApiAccess
from kapcare.dosing.models import (
    Administration,
    AdministrationKind,
    AdverseEvent,
    AdverseEventKind,
    Outcome,
    Severity,
)
from kapcare.dosing.permissions import sessions_visible_to
from kapcare.fhir import search
from kapcare.fhir.errors import FhirError
from kapcare.fhir.registry import ResourceType, register
from kapcare.fhir.resources.encounter import dosing_reference, dosing_session_param

KIND_SYSTEM = "urn:kapcare:adverse-event-kind"
TERMINOLOGY = "http://terminology.hl7.org/CodeSystem"
SERIOUSNESS = f"{TERMINOLOGY}/adverse-event-seriousness"
SEVERITY = f"{TERMINOLOGY}/adverse-event-severity"
OUTCOME = f"{TERMINOLOGY}/adverse-event-outcome"

# The codes of the R4 / R4B code systems (version 4.0.1; later THO versions renamed them).
# kapcare counts severe and life-threatening events as serious (kapcare.dosing SERIOUS).
SERIOUS_CODES = {
    Severity.MILD: ("Non-serious", "Non-serious"),
    Severity.MODERATE: ("Non-serious", "Non-serious"),
    Severity.SEVERE: ("Serious", "Serious"),
    Severity.LIFE_THREATENING: ("SeriousIsLifeThreatening", "Is Life-threatening"),
}
# FHIR's severity scale stops at severe; life-threatening is carried by the seriousness.
SEVERITY_CODES = {
    Severity.MILD: ("mild", "Mild"),
    Severity.MODERATE: ("moderate", "Moderate"),
    Severity.SEVERE: ("severe", "Severe"),
    Severity.LIFE_THREATENING: ("severe", "Severe"),
}
# Transferred to emergency care: not over when the client left, its end unknown here.
OUTCOME_CODES = {
    Outcome.RESOLVED: ("resolved", "Resolved"),
    Outcome.IMPROVING: ("recovering", "Recovering"),
    Outcome.ONGOING: ("ongoing", "Ongoing"),
    Outcome.TRANSFERRED: ("ongoing", "Ongoing"),
}


def _concept(system: str, code: str, display: str, text: str = "") -> dict:
    concept: dict = {"coding": [{"system": system, "code": code, "display": display}]}
    if text:
        concept["text"] = text
    return concept


def _from(table: dict, system: str, parameter: str):
    """A token over one of the HL7 code systems above, matching kapcare's severities."""

    def match(code_system: str | None, code: str) -> Q:
        if code_system not in (None, system):
            return Q(pk__in=[])
        severities = [s for s, (c, _d) in table.items() if c == code]
        if not severities:
            known = ", ".join(sorted({c for c, _d in table.values()}))
            raise FhirError(
                400, f"{parameter}={code} is not one of: {known}.", expression=parameter
            )
        return Q(severity__in=severities)

    return match


def _event_code(system: str | None, code: str) -> Q:
    if system not in (None, KIND_SYSTEM) or code not in AdverseEventKind.values:
        return Q(pk__in=[])
    return Q(kind=code)


@register
class AdverseEventType(ResourceType):
    name = "AdverseEvent"
    documentation = (
        "An adverse event in a dosing session: what happened (kapcare's types, "
        f"{KIND_SYSTEM}), its seriousness, severity and outcome, and the dose suspected."
    )
    params = (
        *(
            search.reference(name, "The client (Patient/<id>).", "session__client_id", "Patient")
            for name in ("patient", "subject")
        ),
        search.date("date", "When it happened.", "occurred_at"),
        dosing_session_param(
            "encounter", "The dosing session (Encounter/dosing-<id>).", "session_id"
        ),
        search.token(
            "seriousness", f"{SERIOUSNESS} code.", _from(SERIOUS_CODES, SERIOUSNESS, "seriousness")
        ),
        search.token("severity", f"{SEVERITY} code.", _from(SEVERITY_CODES, SEVERITY, "severity")),
        search.token("event", f"What happened ({KIND_SYSTEM}|nausea).", _event_code),
        search.reference("recorder", "Who recorded it.", "recorded_by_id", "Practitioner"),
    )
    sorts = {"date": "occurred_at"}
    default_sort = ("-occurred_at",)

    def visible(self, access: ApiAccess) -> QuerySet[AdverseEvent]:
        doses = Administration.objects.filter(kind=AdministrationKind.DOSE)
        return (
            AdverseEvent.objects.filter(
                clinic=access.actor.clinic, session__in=sessions_visible_to(access.actor)
            )
            .select_related("session")
            .prefetch_related(Prefetch("session__administrations", doses, to_attr="doses"))
        )

    def client_id(self, event: AdverseEvent) -> int:
        return event.session.client_id

    def to_fhir(self, event: AdverseEvent) -> dict:
        serious, severity, outcome = (
            SERIOUS_CODES[event.severity],
            SEVERITY_CODES[event.severity],
            OUTCOME_CODES[event.outcome],
        )
        resource = {
            "resourceType": "AdverseEvent",
            "id": str(event.pk),
            "actuality": "actual",
            "event": _concept(
                KIND_SYSTEM, event.kind, str(event.get_kind_display()), event.description
            ),
            "subject": {"reference": f"Patient/{event.session.client_id}"},
            "encounter": dosing_reference(event.session_id),
            "date": event.occurred_at.isoformat(),
            "recordedDate": event.created_at.isoformat(),
            "seriousness": _concept(SERIOUSNESS, *serious),
            "severity": _concept(SEVERITY, *severity, str(event.get_severity_display())),
            "outcome": _concept(OUTCOME, *outcome, str(event.get_outcome_display())),
            "recorder": {"reference": f"Practitioner/{event.recorded_by_id}"},
        }
        # The dose given before the event is the suspected cause.
        given = [d for d in event.session.doses if d.started_at <= event.occurred_at]
        if given:
            resource["suspectEntity"] = [
                {"instance": {"reference": f"MedicationAdministration/{given[0].pk}"}}
            ]
        return resource
