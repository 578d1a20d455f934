"""Practitioner (a member of staff) and PractitionerRole (one role they hold at the clinic).

Staff lists are clinic-level, like the clinic's staff page: any token of the clinic with the
scope reads them; no client's information is in them.
"""

from __future__ import annotations

import re

from django.db.models import Q, QuerySet

from kapcare.accounts.api_tokens import ApiAccess
from kapcare.accounts.models import Membership, Role, User
from kapcare.accounts.staff_selectors import staff_of_clinic
from kapcare.fhir import search
from kapcare.fhir.errors import FhirError
from kapcare.fhir.registry import Include, ResourceType, register
from kapcare.fhir.resources.tokens import boolean_token

# kapcare's staff roles (kapcare.accounts.models.Role) as a local code system.
ROLE_SYSTEM = "urn:kapcare:role"


def role_coding(role: str) -> dict:
    return {"system": ROLE_SYSTEM, "code": role, "display": str(Role(role).label)}


def role_token(name: str, field: str) -> search.SearchParam:
    def match(system: str | None, code: str) -> Q:
        if system not in (None, "", ROLE_SYSTEM):
            return Q(pk__in=[])
        if code not in Role.values:
            known = ", ".join(Role.values)
            raise FhirError(400, f"{name}={code} is not one of: {known}.", expression=name)
        return Q(**{field: code})

    return search.token(name, f"The role ({ROLE_SYSTEM}|therapist, or a bare code).", match)


def name_param(field: str) -> search.SearchParam:
    """Any word of the full name, from its start: `name=lov` finds "Ada Lovelace"."""

    def one(value: str) -> Q:
        return Q(**{f"{field}__istartswith": value}) | Q(**{f"{field}__icontains": f" {value}"})

    def to_q(values: list[str]) -> Q:
        match = Q()
        for value in values:
            match |= one(value)
        return match

    return search.SearchParam("name", "string", "Any word of the full name (starts with).", to_q)


def practitioner_reference(user: User) -> dict:
    return {"reference": f"Practitioner/{user.pk}", "display": user.full_name}


@register
class PractitionerType(ResourceType):
    name = "Practitioner"
    documentation = "A member of the clinic's staff (anyone holding a role there, active or not)."
    params = (
        name_param("full_name"),
        search.token("email", "Work e-mail address.", lambda system, code: Q(email__iexact=code)),
        boolean_token("active", "Whether the account may sign in (true or false).", "is_active"),
    )
    sorts = {"name": "full_name"}
    default_sort = ("full_name",)

    def visible(self, access: ApiAccess) -> QuerySet[User]:
        return staff_of_clinic(access.actor.clinic_id)

    def client_id(self, row: User) -> None:
        return None

    def to_fhir(self, row: User) -> dict:
        # Credentials are typed as a list ("LCSW, MD"): each one is a qualification.
        words = [word.strip() for word in re.split(r"[,;/]+", row.credentials)]
        qualifications = [{"code": {"text": word}} for word in words if word]
        resource = {
            "resourceType": "Practitioner",
            "id": str(row.pk),
            "active": row.is_active,
            # One full name as typed: kapcare does not split names it cannot split reliably.
            "name": [{"use": "official", "text": row.full_name}],
            "telecom": [{"system": "email", "value": row.email, "use": "work"}],
            "qualification": qualifications or None,
        }
        return {k: v for k, v in resource.items() if v is not None}


@register
class PractitionerRoleType(ResourceType):
    name = "PractitionerRole"
    documentation = "One role a member of staff holds at the clinic (a Membership)."
    params = (
        search.reference("practitioner", "The member of staff.", "user_id", "Practitioner"),
        role_token("role", "role"),
        search.reference("organization", "The clinic.", "clinic_id", "Organization"),
        boolean_token(
            "active", "Whether the member of staff's account is active.", "user__is_active"
        ),
    )
    sorts = {"role": "role", "practitioner": "user__full_name", "date": "created_at"}
    default_sort = ("user__full_name", "role")
    includes = (
        Include("practitioner", "Practitioner", lambda rows: [row.user for row in rows]),
        Include("organization", "Organization", lambda rows: [row.clinic for row in rows]),
    )

    def visible(self, access: ApiAccess) -> QuerySet[Membership]:
        return Membership.objects.filter(clinic_id=access.actor.clinic_id).select_related(
            "user", "clinic"
        )

    def client_id(self, row: Membership) -> None:
        return None

    def to_fhir(self, row: Membership) -> dict:
        return {
            "resourceType": "PractitionerRole",
            "id": str(row.pk),
            "active": row.user.is_active,
            "period": {"start": row.created_at.isoformat()},
            "practitioner": practitioner_reference(row.user),
            "organization": {
                "reference": f"Organization/{row.clinic_id}",
                "display": row.clinic.name,
            },
            "code": [{"coding": [role_coding(row.role)], "text": str(Role(row.role).label)}],
            "telecom": [{"system": "email", "value": row.user.email, "use": "work"}],
        }
