"""Who may act on a client's course. Everything here first needs clinical access to the client
(kapcare.clients.permissions: care team), then a role that does the work."""

from __future__ import annotations

from typing import TYPE_CHECKING

from kapcare.accounts.actor import Actor
from kapcare.accounts.models import Role
from kapcare.clients.permissions import ClientAction, can

if TYPE_CHECKING:
    from kapcare.clients.models import Client
    from kapcare.courses.models import ClinicalNote


def can_view_course(actor: Actor, client: Client) -> bool:
    return can(actor, ClientAction.VIEW_CLINICAL, client)


def can_open_course(actor: Actor, client: Client) -> bool:
    return (
        actor.has_role(Role.FRONT_DESK, Role.CLINIC_ADMIN) and can(actor, ClientAction.EDIT, client)
    ) or (
        actor.has_role(Role.THERAPIST, Role.PRESCRIBER)
        and can(actor, ClientAction.VIEW_CLINICAL, client)
    )


def can_change_course_status(actor: Actor, client: Client) -> bool:
    return actor.has_role(Role.THERAPIST, Role.PRESCRIBER) and can(
        actor, ClientAction.VIEW_CLINICAL, client
    )


def can_write_session_note(actor: Actor, client: Client) -> bool:
    return actor.has_role(Role.THERAPIST) and can(actor, ClientAction.VIEW_CLINICAL, client)


def can_cosign_note(actor: Actor, note: ClinicalNote) -> bool:
    assert actor.user is not None  # notes are co-signed by a person, never by the system actor
    return (
        note.author_id != actor.user.pk
        and actor.has_role(Role.THERAPIST, Role.PRESCRIBER)
        and can(actor, ClientAction.VIEW_CLINICAL, note.client)
    )


def can_read_note(actor: Actor, note: ClinicalNote) -> bool:
    if not can(actor, ClientAction.VIEW_CLINICAL, note.client):
        return False
    if note.kind == "process":
        assert actor.user is not None  # the system actor has no clinical view (no roles)
        return note.author_id == actor.user.pk or actor.user.pk in note.shared_with
    return True
