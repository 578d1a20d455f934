"""Patient: a client of the clinic (kapcare.clients.Client)."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from kapcare.accounts.api_tokens import ApiAccess
from kapcare.clients.models import Client
from kapcare.clients.permissions import clients_visible_to
from kapcare.fhir import search
from kapcare.fhir.registry import ResourceType, register

# The client's record number, as staff see it ("#123"), as a Patient identifier.
RECORD_NUMBER_SYSTEM = "urn:kapcare:client-record-number"


def _identifier(system: str | None, code: str) -> Q:
    if system not in (None, RECORD_NUMBER_SYSTEM) or not code.isdigit() or len(code) > 18:
        return Q(pk__in=[])
    return Q(pk=int(code))


@register
class PatientType(ResourceType):
    name = "Patient"
    documentation = "A client of the clinic. Visible to a token as to its user in the UI."
    params = (
        search.string(
            "name",
            "Any part of the first, last or preferred name (starts with).",
            ("first_name", "last_name", "preferred_name"),
        ),
        search.string("family", "Last name (starts with).", ("last_name",)),
        search.string(
            "given", "First or preferred name (starts with).", ("first_name", "preferred_name")
        ),
        search.date("birthdate", "Date of birth.", "date_of_birth", is_date=True),
        search.token("identifier", f"Record number ({RECORD_NUMBER_SYSTEM}|123).", _identifier),
        search.token("email", "E-mail address.", lambda system, code: Q(email__iexact=code)),
    )
    sorts = {
        "family": "last_name",
        "given": "first_name",
        "birthdate": "date_of_birth",
        "_lastUpdated": "updated_at",
    }
    default_sort = ("last_name", "first_name")
    patient_field = "pk"  # a Patient row is the client itself (Bulk Data Group exports)

    def visible(self, access: ApiAccess) -> QuerySet[Client]:
        return clients_visible_to(access.actor)

    def client_id(self, row: Client) -> int:
        return row.pk

    def to_fhir(self, row: Client) -> dict:
        name = {"use": "official", "family": row.last_name, "given": [row.first_name]}
        names = [name]
        if row.preferred_name:
            names.append({"use": "usual", "given": [row.preferred_name], "family": row.last_name})
        telecom = []
        if row.email:
            telecom.append({"system": "email", "value": row.email})
        if row.phone:
            telecom.append({"system": "phone", "value": row.phone})
        resource = {
            "resourceType": "Patient",
            "id": str(row.pk),
            "meta": {"lastUpdated": row.updated_at.isoformat()},
            "identifier": [{"system": RECORD_NUMBER_SYSTEM, "value": str(row.pk)}],
            "active": True,
            "name": names,
            "birthDate": row.date_of_birth.isoformat(),
            "telecom": telecom or None,
            "managingOrganization": {"reference": f"Organization/{row.clinic_id}"},
        }
        if row.address:
            resource["address"] = [{"text": row.address}]
        if row.emergency_contact_name:
            contact = {
                "name": {"text": row.emergency_contact_name},
                "relationship": [
                    {"text": row.emergency_contact_relationship or "Emergency contact"}
                ],
            }
            if row.emergency_contact_phone:
                contact["telecom"] = [{"system": "phone", "value": row.emergency_contact_phone}]
            resource["contact"] = [contact]
        return {k: v for k, v in resource.items() if v is not None}
