"""Every write to a client record: one transaction, one audit row inside it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from kapcare.accounts.actor import Actor
from kapcare.accounts.models import Membership, Role, User
from kapcare.audit.models import AuditAction
from kapcare.audit.services import record_event
from kapcare.clients.models import CARE_TEAM_ROLES, CareTeamMember, Client
from kapcare.clients.permissions import ClientAction, can, can_create_client
from kapcare.core.concurrency import check_unchanged, model_fields, state_token

# The fields staff may set on a client record; anything else in `data` is refused.
CLIENT_FIELDS = (
    "first_name",
    "last_name",
    "preferred_name",
    "date_of_birth",
    "pronouns",
    "email",
    "phone",
    "address",
    "emergency_contact_name",
    "emergency_contact_relationship",
    "emergency_contact_phone",
    "status",
)


def _apply(client: Client, data: dict[str, Any]) -> list[str]:
    unknown = set(data) - set(CLIENT_FIELDS)
    if unknown:
        raise ValueError(f"not client fields: {sorted(unknown)}")
    changed = [name for name, value in data.items() if getattr(client, name) != value]
    for name in changed:
        setattr(client, name, data[name])
    client.full_clean(exclude=["clinic"])
    return changed


@transaction.atomic
def create_client(*, actor: Actor, data: dict[str, Any]) -> Client:
    """Register a client at the actor's clinic."""
    if not can_create_client(actor):
        raise PermissionDenied(_("Only front desk and clinic admins register clients."))
    client = Client(clinic=actor.clinic)
    _apply(client, data)
    client.save()
    record_event(
        actor=actor,
        action=AuditAction.CREATE,
        client=client,
        obj=client,
        summary=_("Registered client"),
    )
    return client


def client_version(client: Client) -> str:
    """The version token of the client's editable details (demographics, contacts, emergency
    contact) for the edit form's hidden field (kapcare.core.concurrency)."""
    return state_token({name: getattr(client, name) for name in CLIENT_FIELDS})


@transaction.atomic
def update_client(
    *, actor: Actor, client: Client, data: dict[str, Any], expected_version: str | None = None
) -> list[str]:
    """Change demographics or contacts; returns the names of the fields that changed.

    With `expected_version` (the edit form's client_version), raises ConcurrentChange when
    someone else saved the client since: nothing is written over their change.
    The audit row lists which fields changed, never their values: the audit log is read more
    widely than the record itself.
    """
    if not can(actor, ClientAction.EDIT, client):
        raise PermissionDenied(_("You may not change this client's details."))
    locked = Client.objects.select_for_update().get(pk=client.pk)
    check_unchanged(
        expected=expected_version,
        current={name: getattr(locked, name) for name in data},
        yours=data,
        token=client_version(locked),
        **model_fields(Client, data),
    )
    changed = _apply(locked, data)
    if changed:
        locked.save()
        record_event(
            actor=actor,
            action=AuditAction.UPDATE,
            client=locked,
            obj=locked,
            summary=_("Changed client details"),
            details={"fields": changed},
        )
    for name in CLIENT_FIELDS:
        setattr(client, name, getattr(locked, name))
    return changed


def _team(client: Client) -> list[CareTeamMember]:
    return list(
        CareTeamMember.objects.filter(client_id=client.pk)
        .select_related("user")
        .order_by("user_id", "role")
    )


def care_team_version(client: Client, team: list[CareTeamMember] | None = None) -> str:
    """The version token of the client's care team, for the care-team page's forms."""
    members = team if team is not None else _team(client)
    return state_token({"care_team": [[m.user_id, m.role] for m in members]})


def _describe_team(pairs: list[tuple[User, str]]) -> str:
    labels = dict(Role.choices)
    return ", ".join(
        f"{user.full_name} ({labels.get(role, role)})"
        for user, role in sorted(pairs, key=lambda p: (p[0].full_name, p[1]))
    )


def _check_team(
    client: Client,
    expected: str | None,
    yours: Callable[[list[tuple[User, str]]], list[tuple[User, str]]],
) -> None:
    """Under the client's row lock: refuse a team change based on a team that has changed
    (`yours` turns the team as it is now into the team this change would leave)."""
    Client.objects.select_for_update().filter(pk=client.pk).first()
    team = _team(client)
    theirs = [(m.user, m.role) for m in team]
    check_unchanged(
        expected=expected,
        token=care_team_version(client, team),
        current={"care_team": _describe_team(theirs)},
        yours={"care_team": _describe_team(yours(theirs))},
        labels={"care_team": _("Care team")},
    )


@transaction.atomic
def add_care_team_member(
    *,
    actor: Actor,
    client: Client,
    user: User,
    role: str,
    expected_version: str | None = None,
) -> CareTeamMember:
    """Put a clinician on a client's care team; they must hold that role at the client's clinic.
    With `expected_version` (care_team_version when the page was shown), raises
    ConcurrentChange if the team changed since."""
    if not can(actor, ClientAction.MANAGE_CARE_TEAM, client):
        raise PermissionDenied(_("Only clinic admins manage care teams."))
    _check_team(client, expected_version, lambda theirs: [*theirs, (user, role)])
    if role not in CARE_TEAM_ROLES:
        raise ValidationError({"role": _("A care team has therapists, prescribers and nurses.")})
    if not Membership.objects.filter(clinic_id=client.clinic_id, user=user, role=role).exists():
        raise ValidationError(
            {
                "user": _("%(name)s is not a %(role)s at this clinic.")
                % {"name": user.full_name, "role": role.replace("_", " ")}
            }
        )
    member, created = CareTeamMember.objects.get_or_create(
        clinic_id=client.clinic_id, client=client, user=user, role=role
    )
    if created:
        record_event(
            actor=actor,
            action=AuditAction.CREATE,
            client=client,
            obj=member,
            summary=_("Added %(name)s to the care team") % {"name": user.full_name},
            details={"user_id": user.pk, "role": role},
        )
    return member


@transaction.atomic
def remove_care_team_member(
    *, actor: Actor, member: CareTeamMember, expected_version: str | None = None
) -> None:
    """Take a clinician off the care team; with `expected_version`, raises ConcurrentChange if
    the team changed since the page was shown."""
    if not can(actor, ClientAction.MANAGE_CARE_TEAM, member.client):
        raise PermissionDenied(_("Only clinic admins manage care teams."))
    _check_team(
        member.client,
        expected_version,
        lambda theirs: [(u, r) for u, r in theirs if (u.pk, r) != (member.user_id, member.role)],
    )
    record_event(
        actor=actor,
        action=AuditAction.DELETE,
        client=member.client,
        obj=member,
        summary=_("Removed %(name)s from the care team") % {"name": member.user.full_name},
        details={"user_id": member.user_id, "role": member.role},
    )
    member.delete()
