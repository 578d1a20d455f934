"""Who may do what in dosing. Everything first needs clinical access to the client (care team,
kapcare.clients.permissions), then a role that does the work (DESIGN.md "Who uses it"):
prescribers order and clear; nurses (and prescribers) check, give, monitor and discharge;
therapists keep the session note and rate dissociation alongside the nurse."""

from django.db.models import QuerySet

from kapcare.accounts.actor import Actor
from kapcare.accounts.models import Role
from kapcare.clients.models import Client
from kapcare.clients.permissions import ClientAction, can, clients_visible_to
from kapcare.dosing.models import DosingSession

CHAIR_ROLES = (Role.NURSE, Role.PRESCRIBER)
SESSION_ROLES = (Role.NURSE, Role.PRESCRIBER, Role.THERAPIST)


def _clinical(actor: Actor, client: Client) -> bool:
    return can(actor, ClientAction.VIEW_CLINICAL, client)


def can_view_dosing(actor: Actor, client: Client) -> bool:
    return _clinical(actor, client)


def can_order(actor: Actor, client: Client) -> bool:
    return actor.has_role(Role.PRESCRIBER) and _clinical(actor, client)


def can_schedule(actor: Actor, client: Client) -> bool:
    """Clinicians on the care team, and the front desk, who books every appointment (the date
    of a session is not a clinical record)."""
    if actor.has_role(Role.FRONT_DESK) and can(actor, ClientAction.VIEW, client):
        return True
    return actor.has_role(*SESSION_ROLES) and _clinical(actor, client)


def can_work_the_chair(actor: Actor, client: Client) -> bool:
    """Check in, pre-dose checks, administration, vitals, alerts, adverse events, discharge."""
    return actor.has_role(*CHAIR_ROLES) and _clinical(actor, client)


def can_clear_check(actor: Actor, client: Client) -> bool:
    return actor.has_role(Role.PRESCRIBER) and _clinical(actor, client)


def can_rate_dissociation(actor: Actor, client: Client) -> bool:
    return actor.has_role(*SESSION_ROLES) and _clinical(actor, client)


def live_page_permissions(actor: Actor, client: Client) -> dict[str, bool]:
    """`can_work_the_chair`, `can_clear_check` and `can_rate_dissociation` together, for the
    live page that shows all three: the care team is read once rather than once each."""
    clinical = _clinical(actor, client)
    return {
        "chair": clinical and actor.has_role(*CHAIR_ROLES),
        "clear": clinical and actor.has_role(Role.PRESCRIBER),
        "rate": clinical and actor.has_role(*SESSION_ROLES),
    }


def sees_todays_sessions(actor: Actor) -> bool:
    return actor.has_role(*SESSION_ROLES)


def sessions_visible_to(actor: Actor) -> QuerySet:
    """Dosing sessions at the actor's clinic whose clients the actor may see clinically."""

    visible = clients_visible_to(actor, ClientAction.VIEW_CLINICAL)
    return DosingSession.objects.filter(clinic=actor.clinic, client__in=visible)
