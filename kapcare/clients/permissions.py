"""The one answer to "may this person see or do this to this client?".

Every view, and later every API endpoint, asks here; lists and detail pages share the rule, so a
client that is not in someone's list cannot be opened by guessing its id either.

The policy is a table: each role has a scope (the whole clinic, or only clients whose care team
the user is on) and the actions it allows within that scope. A user's permissions are the union
over the roles they hold at the actor's clinic.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from django.core.exceptions import PermissionDenied
from django.db.models import Exists, OuterRef, QuerySet
from django.http import Http404

from kapcare.accounts.actor import Actor
from kapcare.accounts.models import Role
from kapcare.accounts.scopes import INTEGRATION_READ
from kapcare.clients.models import CareTeamMember, Client


class ClientAction(StrEnum):
    VIEW = "view"  # demographics, contacts, care team; appearing in the client list
    EDIT = "edit"  # demographics and contacts
    VIEW_CLINICAL = "view_clinical"  # screening, course, notes, measures, dosing
    INTAKE = "intake"  # enter and read the intake form (front desk does data entry)
    MANAGE_CARE_TEAM = "manage_care_team"
    VIEW_ACCESS_LOG = "view_access_log"


class Scope(StrEnum):
    CLINIC = "clinic"
    CARE_TEAM = "care_team"


@dataclass(frozen=True)
class Grant:
    scope: Scope
    actions: frozenset[ClientAction]


A = ClientAction
CLINICIAN = Grant(Scope.CARE_TEAM, frozenset({A.VIEW, A.EDIT, A.VIEW_CLINICAL, A.INTAKE}))

POLICY: dict[str, Grant] = {
    # Front desk books, registers and contacts clients: demographics clinic-wide, nothing clinical.
    # Intake is data entry the front desk often does with the client.
    Role.FRONT_DESK: Grant(Scope.CLINIC, frozenset({A.VIEW, A.EDIT, A.INTAKE})),
    # Admins run the clinic: who is on which team and who looked at what; clinical records only
    # if they are on the client's care team as a clinician too.
    Role.CLINIC_ADMIN: Grant(
        Scope.CLINIC, frozenset({A.VIEW, A.EDIT, A.MANAGE_CARE_TEAM, A.VIEW_ACCESS_LOG})
    ),
    Role.THERAPIST: CLINICIAN,
    Role.PRESCRIBER: CLINICIAN,
    Role.NURSE: CLINICIAN,
    # A clinic admin's integration token with system/ scopes (kapcare.accounts.scopes): it
    # reads the whole clinic's records for a registry or warehouse, and changes nothing.
    INTEGRATION_READ: Grant(Scope.CLINIC, frozenset({A.VIEW, A.VIEW_CLINICAL})),
}


def _scopes_allowing(actor: Actor, action: ClientAction) -> set[Scope]:
    return {
        POLICY[role].scope
        for role in actor.roles
        if role in POLICY and action in POLICY[role].actions
    }


def can_create_client(actor: Actor) -> bool:
    return actor.has_role(Role.FRONT_DESK, Role.CLINIC_ADMIN)


def can(actor: Actor, action: ClientAction, client: Client) -> bool:
    if actor.user is None or client.clinic_id != actor.clinic_id:
        return False
    scopes = _scopes_allowing(actor, action)
    if Scope.CLINIC in scopes:
        return True
    if Scope.CARE_TEAM in scopes:
        return CareTeamMember.objects.filter(client=client, user=actor.user).exists()
    return False


def clients_visible_to(actor: Actor, action: ClientAction = A.VIEW) -> QuerySet[Client]:
    """The clients `actor` may perform `action` on, at the actor's clinic only."""
    clients = Client.objects.filter(clinic=actor.clinic)
    scopes = _scopes_allowing(actor, action) if actor.user else set()
    if Scope.CLINIC in scopes:
        return clients
    if Scope.CARE_TEAM in scopes:
        on_team = CareTeamMember.objects.filter(client=OuterRef("pk"), user=actor.user)
        return clients.filter(Exists(on_team))
    return clients.none()


def get_client_for_actor_or_404(
    actor: Actor, client_id: int, action: ClientAction = A.VIEW
) -> Client:
    """404 when the client is not visible to the actor at all (no hint that it exists);
    403 when they may see the client but not do `action`."""
    try:
        client = clients_visible_to(actor, A.VIEW).select_related("clinic").get(pk=client_id)
    except (Client.DoesNotExist, ValueError, TypeError):
        raise Http404("No such client.") from None
    if action != A.VIEW and not can(actor, action, client):
        raise PermissionDenied("Your role does not allow this for this client.")
    return client


def allowed_actions(actor: Actor, client: Client) -> frozenset[ClientAction]:
    """Every action `actor` may take on `client`, with at most one query (for tabs and buttons)."""
    if actor.user is None or client.clinic_id != actor.clinic_id:
        return frozenset()
    granted: set[ClientAction] = set()
    team_actions: set[ClientAction] = set()
    for role in actor.roles:
        grant = POLICY.get(role)
        if grant is None:
            continue
        (granted if grant.scope == Scope.CLINIC else team_actions).update(grant.actions)
    if (
        team_actions - granted
        and CareTeamMember.objects.filter(client=client, user=actor.user).exists()
    ):
        granted |= team_actions
    return frozenset(granted)
