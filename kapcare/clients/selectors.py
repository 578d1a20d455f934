"""Reads of client records shared by pages, exports and (later) the API."""

from django.db.models import Prefetch, Q, QuerySet

from kapcare.accounts.actor import Actor
from kapcare.clients.models import CareTeamMember, Client
from kapcare.clients.permissions import clients_visible_to


def client_list(*, actor: Actor, search: str = "", status: str = "") -> QuerySet[Client]:
    """The clients `actor` may see, filtered, with their care teams in one extra query."""
    clients = clients_visible_to(actor)
    for term in search.split()[:5]:
        clients = clients.filter(
            Q(first_name__icontains=term)
            | Q(last_name__icontains=term)
            | Q(preferred_name__icontains=term)
            | Q(email__icontains=term)
            | Q(phone__icontains=term)
        )
    if status:
        clients = clients.filter(status=status)
    team = CareTeamMember.objects.select_related("user").order_by("role", "user__full_name")
    return clients.prefetch_related(Prefetch("care_team", queryset=team))


def care_team(client: Client) -> list[CareTeamMember]:
    return list(client.care_team.select_related("user").order_by("role", "user__full_name"))
