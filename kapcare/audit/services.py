"""Writing audit events. Called inside the transaction of the change it records; every event
is appended to its clinic's hash chain (kapcare.audit.chain)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db import models
from django.http import HttpRequest

from kapcare.audit.chain import append
from kapcare.audit.models import AuditAction, AuditEvent
from kapcare.audit.request_meta import client_ip, user_agent

if TYPE_CHECKING:
    from kapcare.accounts.actor import Actor
    from kapcare.accounts.models import User
    from kapcare.clients.models import Client


def record_event(
    *,
    actor: Actor,
    action: AuditAction,
    client: Client | None = None,
    client_id: int | None = None,
    obj: models.Model | None = None,
    object_type: str = "",
    object_id: str | int = "",
    summary: str = "",
    details: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append one AuditEvent for `actor`; the clinic, address and request id come from it.
    `client_id` names the client when only the id is at hand (an API page of rows)."""
    if obj is not None:
        object_type = object_type or obj._meta.model_name or ""
        object_id = object_id or obj.pk
    details = details or {}
    if actor.api_token_id is not None:
        details = {**details, "api_token_id": actor.api_token_id}
    return append(
        AuditEvent(
            clinic=actor.clinic,
            actor=actor.user,
            actor_label=actor.user.email if actor.user else "kapcare",
            client_id=client.pk if client is not None else client_id,
            action=action,
            object_type=object_type,
            object_id=str(object_id),
            summary=summary[:300],
            details=details,
            ip_address=actor.ip_address,
            user_agent=actor.user_agent,
            request_id=actor.request_id,
        )
    )


def record_security_event(
    *,
    request: HttpRequest,
    action: AuditAction,
    user: User | None = None,
    label: str = "",
    summary: str = "",
) -> AuditEvent:
    """Sign-in, sign-out, lockout and MFA events: they happen before a clinic is chosen."""
    return append(
        AuditEvent(
            actor=user,
            actor_label=(user.email if user else label)[:254],
            action=action,
            object_type="session",
            summary=summary[:300],
            ip_address=client_ip(request),
            user_agent=user_agent(request),
            request_id=getattr(request, "request_id", ""),
        )
    )
