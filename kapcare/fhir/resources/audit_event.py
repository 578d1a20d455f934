"""AuditEvent: the clinic's audit trail (kapcare.audit.AuditEvent), for clinic admins only, as
the audit log page (kapcare.home.audit_views: staff_required(Role.CLINIC_ADMIN)).

The trail is the largest table kapcare has, so every search runs on the clinic's newest-first
index (audit_clinic_time, or audit_client_time / audit_actor_time when narrowed to a client or a
member of staff) and is not counted: Bundle.total is left out and the next link is there when a
further page exists (ResourceType.counts_total).
"""

from __future__ import annotations

from django.db.models import Q, QuerySet

from kapcare.accounts.api_tokens import ApiAccess
from kapcare.accounts.models import Role
from kapcare.audit.models import AuditAction
from kapcare.audit.models import AuditEvent as AuditRow
from kapcare.audit.selectors import audit_events
from kapcare.fhir import search
from kapcare.fhir.errors import FhirError
from kapcare.fhir.registry import ResourceType, register

DCM = "http://dicom.nema.org/resources/ontology/DCM"
EVENT_TYPE = "http://terminology.hl7.org/CodeSystem/audit-event-type"
INTERACTION = "http://hl7.org/fhir/restful-interaction"
SOURCE_TYPE = "http://terminology.hl7.org/CodeSystem/security-source-type"
ENTITY_TYPE = "http://terminology.hl7.org/CodeSystem/audit-entity-type"
OBJECT_ROLE = "http://terminology.hl7.org/CodeSystem/object-role"
NETWORK_IP = "2"  # AuditEvent.agent.network.type: IP address

A = AuditAction
# FHIR AuditEvent.action: Create, Read, Update, Delete, Execute (a search or a function such
# as signing in). An export reads the records it writes out, as DICOM's Export event says.
FHIR_ACTION: dict[str, str] = {
    A.CREATE: "C",
    A.VIEW: "R",
    A.EXPORT: "R",
    A.UPDATE: "U",
    A.DELETE: "D",
    A.LIST: "E",
    A.LOGIN: "E",
    A.LOGIN_FAILED: "E",
    A.LOGOUT: "E",
    A.LOCKED_OUT: "E",
    A.MFA_ENROLLED: "E",
    A.MFA_VERIFIED: "E",
    A.MFA_FAILED: "E",
}
SIGN_IN = {A.LOGIN, A.LOGIN_FAILED, A.LOCKED_OUT, A.MFA_ENROLLED, A.MFA_VERIFIED, A.MFA_FAILED}
FAILED = {A.LOGIN_FAILED, A.LOCKED_OUT, A.MFA_FAILED}
REST_INTERACTION = {A.VIEW: "read", A.LIST: "search-type", A.CREATE: "create", A.EXPORT: "read"}


def _dcm(code: str, display: str) -> dict:
    return {"system": DCM, "code": code, "display": display}


def event_type(row: AuditRow) -> tuple[dict, list[dict]]:
    """The event's type and subtypes, from what was done and to what."""
    if row.action in SIGN_IN:
        return _dcm("110114", "User Authentication"), [_dcm("110122", "Login")]
    if row.action == A.LOGOUT:
        return _dcm("110114", "User Authentication"), [_dcm("110123", "Logout")]
    if row.object_type.startswith("fhir."):
        rest = {"system": EVENT_TYPE, "code": "rest", "display": "RESTful Operation"}
        interaction = REST_INTERACTION.get(row.action)
        return rest, [{"system": INTERACTION, "code": interaction}] if interaction else []
    if row.object_type == "audit.log":
        return _dcm("110101", "Audit Log Used"), []
    if row.action == A.EXPORT:
        return _dcm("110106", "Export"), []
    if row.client_id is not None:
        return _dcm("110110", "Patient Record"), []
    return _dcm("110100", "Application Activity"), []


def _action(system: str | None, code: str) -> Q:
    if code not in ("C", "R", "U", "D", "E"):
        raise FhirError(400, f"action={code} is not one of: C, R, U, D, E.", expression="action")
    return Q(action__in=[action for action, letter in FHIR_ACTION.items() if letter == code])


@register
class AuditEventType(ResourceType):
    name = "AuditEvent"
    documentation = (
        "The clinic's audit trail, newest first, for clinic admins (as the audit log page). "
        "Searches are not counted (no Bundle.total): follow the next link."
    )
    # Who looked at a record is the clinic's trail, not the patient's data: only a
    # system-level export (a clinic admin's system/ token) holds it.
    patient_field = None
    params = (
        search.date("date", "When it happened.", "occurred_at"),
        search.reference(
            "patient", "The client whose information it concerned.", "client_id", "Patient"
        ),
        search.reference("agent", "The member of staff who acted.", "actor_id", "Practitioner"),
        search.token("action", "C, R, U, D or E.", _action),
    )
    sorts = {"date": "occurred_at"}
    default_sort = ("-occurred_at",)
    counts_total = False

    def visible(self, access: ApiAccess) -> QuerySet[AuditRow]:
        if not access.actor.has_role(Role.CLINIC_ADMIN):
            raise FhirError(403, "The audit trail is for clinic admins, as the audit log page.")
        # The mapping needs only the ids and the actor's label the row keeps: no joins.
        return audit_events(actor=access.actor).select_related(None)

    def client_id(self, row: AuditRow) -> None:
        # Reading the trail is auditing, not looking at a client's record: like the audit log
        # page, a search or read of it is recorded without naming the clients in it.
        return None

    def to_fhir(self, row: AuditRow) -> dict:
        kind, subtypes = event_type(row)
        if row.actor_id is not None:
            who = {"reference": f"Practitioner/{row.actor_id}", "display": row.actor_label or None}
        else:
            who = {"display": row.actor_label or "kapcare"}
        agent: dict = {"who": {k: v for k, v in who.items() if v}, "requestor": True}
        if row.ip_address:
            agent["network"] = {"address": row.ip_address, "type": NETWORK_IP}
        entities = []
        if row.client_id is not None:
            entities.append(
                {
                    "what": {"reference": f"Patient/{row.client_id}"},
                    "type": {"system": ENTITY_TYPE, "code": "1", "display": "Person"},
                    "role": {"system": OBJECT_ROLE, "code": "1", "display": "Patient"},
                }
            )
        if row.object_type:
            entities.append(
                {
                    "what": {"display": f"{row.object_type} {row.object_id}".strip()},
                    "type": {"system": ENTITY_TYPE, "code": "2", "display": "System Object"},
                }
            )
        if row.summary and entities:
            entities[-1]["description"] = row.summary
        resource = {
            "resourceType": "AuditEvent",
            "id": str(row.pk),
            "type": kind,
            "subtype": subtypes or None,
            "action": FHIR_ACTION.get(row.action),
            "recorded": row.occurred_at.isoformat(),
            # 0 success; 4 a minor failure: a refused sign-in, which the trail records.
            "outcome": "4" if row.action in FAILED else "0",
            "agent": [agent],
            "source": {
                "observer": {"reference": f"Organization/{row.clinic_id}"},
                "type": [{"system": SOURCE_TYPE, "code": "4", "display": "Application Server"}],
            },
            "entity": entities or None,
        }
        return {k: v for k, v in resource.items() if v is not None}
