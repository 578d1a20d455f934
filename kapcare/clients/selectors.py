"""Reads of client records shared by pages, exports and (later) the API."""

import re

from django.db.models import Prefetch, Q, QuerySet

from kapcare.accounts.actor import Actor
from kapcare.accounts.models import User
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


def care_team_places(clinic_id: int, member: User) -> list[CareTeamMember]:
    """The care teams a member of staff is on, by client name."""
    return list(
        CareTeamMember.objects.filter(clinic_id=clinic_id, user=member)
        .select_related("client")
        .order_by("client__last_name", "client__first_name", "role")
    )


def care_team_place(clinic_id: int, member: User, place_id: int) -> CareTeamMember | None:
    return (
        CareTeamMember.objects.filter(clinic_id=clinic_id, user=member, pk=place_id)
        .select_related("user", "client")
        .first()
    )


# "123", "#123" or a picker's own label "Jane Ashby (#123)": the client's record number.
_RECORD_NUMBER = re.compile(r"(?:^|#)(\d{1,12})\)?\s*$")


def record_number(text: str) -> int | None:
    match = _RECORD_NUMBER.search(text.strip())
    return int(match.group(1)) if match else None


def matching_clients(clients: QuerySet[Client], text: str) -> QuerySet[Client]:
    """`clients` matching what someone typed into a client picker: a record number, or words of
    the name (each word in the first, last or preferred name; the trigram indexes serve these),
    in list order."""
    number = record_number(text)
    if number is not None:
        return clients.filter(pk=number)
    words = text.split()[:5]
    if not words:
        return clients.none()
    for word in words:
        clients = clients.filter(
            Q(first_name__icontains=word)
            | Q(last_name__icontains=word)
            | Q(preferred_name__icontains=word)
        )
    return clients.order_by("last_name", "first_name", "id")
