"""What a staff member's home page shows: their own clients first."""

from dataclasses import dataclass

from django.db.models import Count

from kapcare.accounts.actor import Actor
from kapcare.accounts.models import Role
from kapcare.clients.models import CareTeamMember, Client, ClientStatus
from kapcare.clients.permissions import clients_visible_to

RECENT = 8


@dataclass
class HomeSummary:
    my_clients: list[Client]
    my_client_count: int
    status_counts: list[tuple[str, int]]
    clinic_wide: bool


def home_summary(*, actor: Actor) -> HomeSummary:
    """Three queries whatever the clinic's size: my clients, their count, counts by status."""
    visible = clients_visible_to(actor)
    clinic_wide = actor.has_role(Role.FRONT_DESK, Role.CLINIC_ADMIN)
    mine = visible.filter(
        pk__in=CareTeamMember.objects.filter(user=actor.user).values("client_id")
    ) if actor.has_role(Role.THERAPIST, Role.PRESCRIBER, Role.NURSE) else visible
    counts = dict(
        visible.order_by().values_list("status").annotate(n=Count("id")).values_list("status", "n")
    )
    return HomeSummary(
        my_clients=list(mine.order_by("-updated_at")[:RECENT]),
        my_client_count=mine.count(),
        status_counts=[(label, counts.get(value, 0)) for value, label in ClientStatus.choices],
        clinic_wide=clinic_wide,
    )
