"""Organization: the clinic (kapcare.accounts.Clinic) a token works at, and no other."""

from __future__ import annotations

from django.db.models import QuerySet

from kapcare.accounts.api_tokens import ApiAccess
from kapcare.accounts.models import Clinic
from kapcare.fhir import search
from kapcare.fhir.registry import ResourceType, register

ORGANIZATION_TYPE = "http://terminology.hl7.org/CodeSystem/organization-type"


@register
class OrganizationType(ResourceType):
    name = "Organization"
    documentation = (
        "The clinic. A token sees only its own clinic (the one every Patient.managingOrganization "
        "names)."
    )
    params = (search.string("name", "The clinic's name (starts with).", ("name",)),)
    sorts = {"name": "name"}
    default_sort = ("name",)

    def visible(self, access: ApiAccess) -> QuerySet[Clinic]:
        return Clinic.objects.filter(pk=access.actor.clinic_id)

    def client_id(self, row: Clinic) -> None:
        return None

    def to_fhir(self, row: Clinic) -> dict:
        telecom = []
        if row.phone:
            telecom.append({"system": "phone", "value": row.phone, "use": "work"})
        if row.public_email:
            telecom.append({"system": "email", "value": row.public_email, "use": "work"})
        address = {
            "use": "work",
            "line": [line for line in (row.address_line1, row.address_line2) if line] or None,
            "city": row.city or None,
            "state": row.region or None,
            "postalCode": row.postal_code or None,
            "country": row.country or None,
        }
        resource = {
            "resourceType": "Organization",
            "id": str(row.pk),
            "active": True,
            "type": [
                {
                    "coding": [
                        {
                            "system": ORGANIZATION_TYPE,
                            "code": "prov",
                            "display": "Healthcare Provider",
                        }
                    ]
                }
            ],
            "name": row.name,
            "telecom": telecom or None,
            # Only the country is always known; an address of nothing but that says little.
            "address": [{k: v for k, v in address.items() if v}] if row.address_lines else None,
        }
        return {k: v for k, v in resource.items() if v is not None}
