"""The audit trail's hash chains: one per clinic, and one for events without a clinic.

Every AuditEvent is appended here (kapcare.audit.services calls `append`). The event is built
first; only then is the chain head locked, the event numbered, linked to the previous event's
hash, sealed with its own and inserted, and the head moved on. Page views append in their own
short transaction (after the response, kapcare.audit.shown), so the head is locked for the
INSERT alone; a service's change appends inside the service's transaction, at its end.

`verify_audit_chain` (manage.py verify_audit) recomputes a chain and names the first bad event:
an altered, forged, replaced or removed row is found even by someone who could lift the
append-only triggers (the table's owner).
"""

from __future__ import annotations

import contextlib
import ipaddress
import json
from dataclasses import dataclass

from django.db import transaction

from kapcare.audit.hashchain import GENESIS_HASH, content_hash, locked_head, verify_rows
from kapcare.audit.models import NO_CLINIC, AuditChain, AuditEvent

# Every recorded field of an event, in the order they are hashed (JSON keys are sorted anyway).
# All but the row id and the hash itself.
HASHED_FIELDS: tuple[str, ...] = (
    "clinic_id",
    "sequence",
    "actor_id",
    "actor_label",
    "client_id",
    "action",
    "object_type",
    "object_id",
    "summary",
    "details",
    "occurred_at",
    "ip_address",
    "user_agent",
    "request_id",
    "prev_hash",
)

_DETAILS_ENCODER = AuditEvent._meta.get_field("details").encoder


def scope_of(clinic_id: int | None) -> int:
    return clinic_id if clinic_id is not None else NO_CLINIC


def hashed_values(event: AuditEvent) -> dict:
    return {name: getattr(event, name) for name in HASHED_FIELDS}


def _as_stored(event: AuditEvent) -> None:
    """Put each field in the form the database hands back, so the hash matches the row read
    back: details through JSON (tuples become lists, keys strings), the address in its
    canonical spelling (PostgreSQL's inet lower-cases and compresses IPv6)."""
    event.details = json.loads(json.dumps(event.details or {}, cls=_DETAILS_ENCODER))
    if event.ip_address:
        with contextlib.suppress(ValueError):
            event.ip_address = str(ipaddress.ip_address(event.ip_address))


def append(event: AuditEvent) -> AuditEvent:
    """Number, link, seal and insert `event` (all its fields set) at the end of its chain."""
    _as_stored(event)
    # savepoint=False: inside a service's transaction this adds no SAVEPOINT round trips (an
    # error fails the service, as it must); outside one it is a transaction of its own.
    with transaction.atomic(savepoint=False):
        head = locked_head(AuditChain, scope=scope_of(event.clinic_id))
        event.sequence = head.last_sequence + 1
        event.prev_hash = head.last_hash
        event.entry_hash = content_hash(hashed_values(event))
        event.save(force_insert=True)
        head.last_sequence, head.last_hash = event.sequence, event.entry_hash
        head.save(update_fields=["last_sequence", "last_hash"])
    return event


@dataclass(frozen=True)
class AuditVerification:
    scope: int
    checked: int
    head_sequence: int
    problem: str = ""
    bad_event_id: int | None = None

    @property
    def ok(self) -> bool:
        return not self.problem


def verify_audit_chain(clinic_id: int | None, *, chunk_size: int = 5000) -> AuditVerification:
    """Recompute one chain (a clinic's, or with None the no-clinic chain) from its first
    event; stop at the first bad one (kapcare.audit.hashchain.verify_rows says what is
    checked). A row kapcare did not write (sequence 0) is reported as forged."""
    scope = scope_of(clinic_id)
    head = AuditChain.objects.filter(scope=scope).first()
    head_sequence = head.last_sequence if head else 0
    rows = (
        AuditEvent.objects.filter(clinic_id=clinic_id)
        .order_by("sequence", "id")
        .values_list("id", "entry_hash", *HASHED_FIELDS)
        .iterator(chunk_size=chunk_size)
    )
    result = verify_rows(
        ((row[0], row[1], dict(zip(HASHED_FIELDS, row[2:], strict=True))) for row in rows),
        head_sequence=head_sequence,
        head_hash=head.last_hash if head else GENESIS_HASH,
        noun="event",
        plural="events",
    )
    return AuditVerification(scope, result.checked, head_sequence, result.problem, result.bad_id)
