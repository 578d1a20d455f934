"""Who may do what with measures. Clinical work needs clinical access to the client (care team,
kapcare.clients.permissions); instrument definitions and settings are the clinic admin's."""

from django.db.models import Q, QuerySet

from kapcare.accounts.actor import Actor
from kapcare.accounts.models import Role
from kapcare.clients.models import Client
from kapcare.clients.permissions import ClientAction, can, clients_visible_to
from kapcare.measures.models import RiskAlert


def can_view_measures(actor: Actor, client: Client) -> bool:
    return can(actor, ClientAction.VIEW_CLINICAL, client)


def can_enter_measures(actor: Actor, client: Client) -> bool:
    """Clinicians on the care team enter responses and send questionnaire links."""
    return can(actor, ClientAction.VIEW_CLINICAL, client)


def can_acknowledge_alert(actor: Actor, alert: RiskAlert) -> bool:
    """A clinician who can see the client's clinical record reviews the risk and says what was
    done; the clinic admin is told about escalations but does not close them."""
    return can(actor, ClientAction.VIEW_CLINICAL, alert.client)


def can_manage_instruments(actor: Actor) -> bool:
    return actor.user is not None and actor.has_role(Role.CLINIC_ADMIN)


def open_alerts_visible_to(actor: Actor) -> QuerySet[RiskAlert]:
    """Open alerts this actor must see: every open alert for clients whose clinical record they
    may see, and, for clinic admins, every open alert that has been escalated."""
    alerts = RiskAlert.objects.filter(clinic=actor.clinic, acknowledged_at__isnull=True)
    clinical = Q(client__in=clients_visible_to(actor, ClientAction.VIEW_CLINICAL))
    if actor.has_role(Role.CLINIC_ADMIN):
        return alerts.filter(clinical | Q(escalated_at__isnull=False))
    return alerts.filter(clinical)
