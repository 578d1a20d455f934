"""CareTeam: one per client, made of the client's CareTeamMember rows (id = the client's id)."""

from __future__ import annotations

from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet

from kapcare.accounts.api_tokens import ApiAccess
from kapcare.clients.models import CareTeamMember, Client
from kapcare.clients.permissions import clients_visible_to
from kapcare.fhir import search
from kapcare.fhir.registry import Include, ResourceType, register
from kapcare.fhir.resources.staff import practitioner_reference, role_coding
from kapcare.fhir.resources.tokens import status_token


def _participant(values: list[str]) -> Q:
    match = Q()
    for value in values:
        pk = search.reference_id(value, "Practitioner", "participant")
        if pk is None:
            continue
        # A subquery rather than a join: a member holding two roles on a team is one team.
        match |= Q(Exists(CareTeamMember.objects.filter(client=OuterRef("pk"), user_id=pk)))
    return match or Q(pk__in=[])


@register
class CareTeamType(ResourceType):
    name = "CareTeam"
    documentation = (
        "The clinicians on one client's care team (the CareTeam's id is the client's id). "
        "Visible for the clients the token's user may see."
    )
    params = (
        search.reference("patient", "The client whose team it is.", "pk", "Patient"),
        search.reference("subject", "The client whose team it is.", "pk", "Patient"),
        search.SearchParam("participant", "reference", "A clinician on the team.", _participant),
        status_token(
            "Always active: a client's team is the one caring for them now.",
            {"active": Q()},
            unused=("proposed", "suspended", "inactive", "entered-in-error"),
        ),
    )
    default_sort = ("last_name", "first_name")
    includes = (
        Include("patient", "Patient", lambda rows: rows),
        Include(
            "participant",
            "Practitioner",
            lambda rows: [member.user for row in rows for member in row.care_team.all()],
        ),
    )

    def visible(self, access: ApiAccess) -> QuerySet[Client]:
        members = CareTeamMember.objects.select_related("user").order_by("role", "user__full_name")
        return clients_visible_to(access.actor).prefetch_related(
            Prefetch("care_team", queryset=members)
        )

    def client_id(self, row: Client) -> int:
        return row.pk

    def to_fhir(self, row: Client) -> dict:
        participants = [
            {
                "role": [{"coding": [role_coding(member.role)]}],
                "member": practitioner_reference(member.user),
                "period": {"start": member.added_at.isoformat()},
            }
            for member in row.care_team.all()
        ]
        resource = {
            "resourceType": "CareTeam",
            "id": str(row.pk),
            "status": "active",
            "subject": {"reference": f"Patient/{row.pk}"},
            "participant": participants or None,
            "managingOrganization": [{"reference": f"Organization/{row.clinic_id}"}],
        }
        return {k: v for k, v in resource.items() if v is not None}
