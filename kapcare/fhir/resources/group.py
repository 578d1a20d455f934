"""Group: a clinician's caseload, the clients whose care team includes that member of staff.

Bulk Data exports a group (`/fhir/Group/{id}/$export`), so a registry or a clinician's own
measurement app can take one caseload. The id is the clinician's user id. The resource states
the caseload's size (`quantity`) but does not list its members: a caseload can hold thousands
of clients, and a search page of groups must stay a bounded number of rows. The members are
what `Group/{id}/$export` exports (its Patient file), and `Patient` searches return them too.
"""

from __future__ import annotations

from django.db.models import Count, Exists, IntegerField, OuterRef, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce

from kapcare.accounts.actor import Actor
from kapcare.accounts.api_tokens import ApiAccess
from kapcare.accounts.models import Membership, User
from kapcare.clients.models import CARE_TEAM_ROLES, CareTeamMember
from kapcare.clients.permissions import POLICY, ClientAction, Scope
from kapcare.fhir import search
from kapcare.fhir.registry import ResourceType, register


def sees_whole_clinic(actor: Actor) -> bool:
    """True when one of the actor's roles lists every client of the clinic (front desk,
    admin, a system/ token), and so every care team; a clinician sees only their own."""
    return any(
        POLICY[role].scope == Scope.CLINIC and ClientAction.VIEW in POLICY[role].actions
        for role in actor.roles
        if role in POLICY
    )


def caseload(clinic_id: int, user_id: int) -> QuerySet:
    """The ids of the clients on `user_id`'s care teams at the clinic (a subquery)."""
    return CareTeamMember.objects.filter(clinic_id=clinic_id, user_id=user_id).values("client_id")


@register
class GroupType(ResourceType):
    name = "Group"
    documentation = (
        "A clinician's caseload: the clients whose care team includes them; the id is the "
        "clinician's user id. Members are not listed (quantity gives their number): export "
        "them with Group/{id}/$export. A clinician's token sees its own caseload only."
    )
    params = (search.string("name", "The clinician's name (starts with).", ("full_name",)),)
    sorts = {"name": "full_name"}
    default_sort = ("full_name",)
    # A caseload is about many clients, not one: only a system-level export holds groups.
    patient_field = None

    def visible(self, access: ApiAccess) -> QuerySet[User]:
        actor = access.actor
        clinician = Membership.objects.filter(
            clinic=actor.clinic, user=OuterRef("pk"), role__in=CARE_TEAM_ROLES
        )
        size = (
            CareTeamMember.objects.filter(clinic=actor.clinic, user=OuterRef("pk"))
            .order_by()
            .values("user")
            .annotate(n=Count("client", distinct=True))
            .values("n")
        )
        users = User.objects.filter(Exists(clinician)).annotate(
            caseload_size=Coalesce(Subquery(size, output_field=IntegerField()), Value(0))
        )
        if actor.user is None:
            return users.none()
        return users if sees_whole_clinic(actor) else users.filter(pk=actor.user.pk)

    def client_id(self, row: User) -> None:
        return None

    def to_fhir(self, row: User) -> dict:
        return {
            "resourceType": "Group",
            "id": str(row.pk),
            "active": row.is_active,
            "type": "person",
            "actual": True,
            "code": {"text": "Caseload"},
            "name": f"Caseload of {row.full_name}",
            "quantity": row.caseload_size,
            "managingEntity": {"display": row.full_name},
        }
