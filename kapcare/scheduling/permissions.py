"""Who may do what on the calendar. The front desk books for every client; a clinician books
for the clients on their care teams; a clinic admin sets up types, resources and hours."""

from kapcare.accounts.actor import Actor
from kapcare.accounts.models import Role
from kapcare.clients.models import Client
from kapcare.clients.permissions import ClientAction, can

BOOKING_ROLES = (Role.FRONT_DESK, Role.THERAPIST, Role.PRESCRIBER, Role.NURSE, Role.CLINIC_ADMIN)
SETUP_ROLES = (Role.CLINIC_ADMIN,)


def can_book(actor: Actor, client: Client) -> bool:
    """Book, move, cancel or mark an appointment of `client`."""
    return actor.has_role(*BOOKING_ROLES) and can(actor, ClientAction.VIEW, client)


def can_view_calendar(actor: Actor) -> bool:
    return actor.user is not None and actor.has_role(*BOOKING_ROLES)


def can_set_up(actor: Actor) -> bool:
    """Appointment types, resources, working hours, exceptions, closures, settings."""
    return actor.has_role(*SETUP_ROLES)


def can_edit_hours_of(actor: Actor, user_id: int) -> bool:
    """A clinic admin edits anyone's hours; a clinician their own."""
    return can_set_up(actor) or (actor.user is not None and actor.user.pk == user_id)
