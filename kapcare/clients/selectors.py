"""Reads of client records shared by pages, exports and (later) the API."""

import re

from django.db.models import Prefetch, Q, QuerySet

from kapcare.accounts.actor import Actor
from kapcare.accounts.models import User
from kapcare.clients.models import CareTeamMember, Client
from kapcare.clients.permissions import clients_visible_to

NAME_FIELDS = ("first_name", "last_name", "preferred_name")
# At most this many words of a search count: each is one more filter on the query.
SEARCH_WORDS = 5


def with_every_word(clients: QuerySet[Client], text: str, fields) -> QuerySet[Client]:
    """`clients` where each word of `text` is in one of `fields` (case-insensitive; the trigram
    indexes on these columns serve it)."""
    for word in text.split()[:SEARCH_WORDS]:
        match = Q()
        for name in fields:
            match |= Q(**{f"{name}__icontains": word})
        clients = clients.filter(match)
    return clients


def client_list(*, actor: Actor, search: str = "", status: str = "") -> QuerySet[Client]:
    """The clients `actor` may see, filtered, with their care teams in one extra query."""
    clients = with_every_word(clients_visible_to(actor), search, (*NAME_FIELDS, "email", "phone"))
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
    if not text.split():
        return clients.none()
    return with_every_word(clients, text, NAME_FIELDS).order_by("last_name", "first_name", "id")
