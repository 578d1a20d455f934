"""Issuing, revoking and checking API tokens: the one way another system acts in kapcare.

The REST API (kapcare.api) and the FHIR server (kapcare.fhir) both turn a bearer token into an
`ApiAccess` here, so both apply the same rules: the token's user must still be active and still
hold a role at the token's clinic; the Actor carries that user's roles (so care-team access is
exactly the UI's) and the token's id (so every audit row names the token).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from kapcare.accounts.actor import Actor
from kapcare.accounts.models import ApiToken, Clinic, Membership, Role, User
from kapcare.accounts.scopes import INTEGRATION_READ, ScopeError, ScopeSet
from kapcare.audit.models import AuditAction
from kapcare.audit.services import record_event

TOKEN_PREFIX = "kc_"  # noqa: S105  (a visible marker, not a secret)
DEFAULT_EXPIRY_DAYS = 90
MAX_EXPIRY_DAYS = 365
# Like the session's activity stamp: written at most once a minute, not on every request.
LAST_USED_RESOLUTION = dt.timedelta(minutes=1)


def _hash(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


@dataclass(frozen=True)
class ApiAccess:
    """What a request with a valid token may do: act as `actor`, within `scopes`."""

    token: ApiToken
    actor: Actor
    scopes: ScopeSet

    def allows(self, resource: str, permission: str) -> bool:
        return self.scopes.allows(resource, permission)


class TokenRejected(Exception):
    """No usable token: missing, unknown, expired, revoked, or its user lost their access."""


def can_manage_tokens(actor: Actor) -> bool:
    return actor.has_role(Role.CLINIC_ADMIN)


@transaction.atomic
def issue_token(
    *,
    actor: Actor,
    user: User,
    scopes: str,
    label: str = "",
    expires_days: int | None = None,
) -> tuple[ApiToken, str]:
    """Create a token for `user` at the actor's clinic; returns it and the secret, which is
    never stored and cannot be shown again. `actor` is a clinic admin, or the system actor of
    the `issue_api_token` command (the server's operator)."""
    if actor.user is not None and not can_manage_tokens(actor):
        raise PermissionDenied(_("Only a clinic admin may issue API tokens."))
    try:
        scope_set = ScopeSet.parse(scopes)
    except ScopeError as error:
        raise ValidationError({"scopes": str(error)}) from None
    roles = set(
        Membership.objects.filter(clinic=actor.clinic, user=user).values_list("role", flat=True)
    )
    if not user.is_active or not roles:
        raise ValidationError({"user": _("%(u)s does not work at this clinic.") % {"u": user}})
    if scope_set.is_system and Role.CLINIC_ADMIN not in roles:
        raise ValidationError(
            {
                "scopes": _(
                    "system/ scopes read the whole clinic: only a clinic admin may hold them."
                )
            }
        )
    days = DEFAULT_EXPIRY_DAYS if expires_days is None else expires_days
    if not 1 <= days <= MAX_EXPIRY_DAYS:
        raise ValidationError(
            {"expires_days": _("A token lasts 1 to %(n)s days.") % {"n": MAX_EXPIRY_DAYS}}
        )
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    now = timezone.now()
    token = ApiToken.objects.create(
        clinic=actor.clinic,
        user=user,
        label=(label.strip() or _("API token"))[:100],
        scopes=str(scope_set),
        prefix=raw[: len(TOKEN_PREFIX) + 6],
        key_hash=_hash(raw),
        created_at=now,
        created_by=actor.user,
        expires_at=now + dt.timedelta(days=days),
    )
    record_event(
        actor=actor,
        action=AuditAction.CREATE,
        obj=token,
        object_type="api_token",
        summary=_("Issued API token %(t)s for %(u)s") % {"t": token, "u": user.email},
        details={
            "scopes": token.scopes,
            "user_id": user.pk,
            "expires_at": token.expires_at.isoformat(),
        },
    )
    return token, raw


@transaction.atomic
def revoke_token(*, actor: Actor, token: ApiToken) -> ApiToken:
    if actor.user is not None and not can_manage_tokens(actor):
        raise PermissionDenied(_("Only a clinic admin may revoke API tokens."))
    if token.clinic_id != actor.clinic_id:
        raise PermissionDenied(_("That token belongs to another clinic."))
    token = ApiToken.objects.select_for_update().get(pk=token.pk)
    if token.revoked_at is not None:
        return token
    token.revoked_at = timezone.now()
    token.revoked_by = actor.user
    token.save(update_fields=["revoked_at", "revoked_by"])
    record_event(
        actor=actor,
        action=AuditAction.UPDATE,
        obj=token,
        object_type="api_token",
        summary=_("Revoked API token %(t)s") % {"t": token},
    )
    return token


def clinic_tokens(clinic: Clinic) -> QuerySet[ApiToken]:
    return ApiToken.objects.filter(clinic=clinic).select_related("user")


def find_token(raw: str) -> ApiToken | None:
    """The token with this secret, whatever its state (for revoking by secret)."""
    if not raw.startswith(TOKEN_PREFIX):
        return None
    return ApiToken.objects.filter(key_hash=_hash(raw)).select_related("clinic", "user").first()


def access_for(raw: str, **request_meta) -> ApiAccess:
    """The access a bearer token gives, or TokenRejected with a reason safe to show."""
    token = find_token(raw.strip())
    if token is None:
        raise TokenRejected(_("The access token is not valid."))
    return token_access(token, **request_meta)


def token_access(token: ApiToken, *, touch: bool = True, **request_meta) -> ApiAccess:
    """The access `token` gives now, or TokenRejected: the same checks as a request's, also
    for work a token started that runs later (a Bulk Data export in a background task, which
    passes touch=False: the token was not used then, so its last-used time stays)."""
    now = timezone.now()
    if token.revoked_at is not None:
        raise TokenRejected(_("The access token has been revoked."))
    if token.expires_at <= now:
        raise TokenRejected(_("The access token has expired."))
    roles = set(
        Membership.objects.filter(clinic_id=token.clinic_id, user_id=token.user_id).values_list(
            "role", flat=True
        )
    )
    if not token.user.is_active or not roles:
        raise TokenRejected(_("The token's user no longer works at this clinic."))
    scopes = ScopeSet.parse(token.scopes)
    if scopes.is_system and Role.CLINIC_ADMIN in roles:
        roles.add(INTEGRATION_READ)
    if touch and (token.last_used_at is None or now - token.last_used_at >= LAST_USED_RESOLUTION):
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
    actor = Actor(
        user=token.user,
        clinic=token.clinic,
        roles=frozenset(roles),
        api_token_id=token.pk,
        **request_meta,
    )
    return ApiAccess(token=token, actor=actor, scopes=scopes)


def token_user(actor: Actor, email: str) -> User:
    """A member of staff at the actor's clinic by e-mail (for issuing), or ValidationError."""
    user = User.objects.filter(
        email__iexact=email.strip(), memberships__clinic=actor.clinic
    ).first()
    if user is None:
        raise ValidationError({"user": _("No member of staff with that e-mail at this clinic.")})
    return user
