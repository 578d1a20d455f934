"""The audit trail of a generated clinic: one event per change the services would have
audited, in time order, sealed onto the clinic's hash chain with the chain's own functions
(kapcare.audit.chain / hashchain), so `manage.py verify_audit` passes."""

from __future__ import annotations

import datetime as dt

from kapcare.audit.hashchain import content_hash
from kapcare.audit.models import AuditAction, AuditChain, AuditEvent
from kapcare.home.synthetic.sink import Sink

_EMPTY: dict = {}


class AuditTrail:
    """Collects one clinic's events (cheap tuples), then numbers, links and writes them."""

    def __init__(self, clinic_id: int, labels: dict[int, str]):
        self.clinic_id = clinic_id
        self.labels = labels  # user id → e-mail, the actor_label snapshot
        self.events: list[tuple] = []

    def add(
        self,
        at: dt.datetime,
        actor_id: int | None,
        action: str,
        object_type: str,
        object_id: int,
        summary: str,
        client_id: int | None = None,
        details: dict | None = None,
    ) -> None:
        self.events.append(
            (
                at,
                len(self.events),
                actor_id,
                client_id,
                action,
                object_type,
                object_id,
                summary,
                details or _EMPTY,
            )
        )

    def created(self, at, actor_id, object_type, object_id, summary, client_id=None, details=None):
        self.add(
            at, actor_id, AuditAction.CREATE, object_type, object_id, summary, client_id, details
        )

    def write(self, sink: Sink, *, head: tuple[int, str], progress=None) -> int:
        """Seal every event after `head` (sequence, hash) in time order; move the chain head."""
        sequence, prev_hash = head
        table = sink.table(AuditEvent)
        self.events.sort(key=lambda e: (e[0], e[1]))
        clinic_id, labels = self.clinic_id, self.labels
        for index, (at, _n, actor_id, client_id, action, otype, oid, summary, details) in enumerate(
            self.events, start=1
        ):
            sequence += 1
            values = {
                "clinic_id": clinic_id,
                "sequence": sequence,
                "actor_id": actor_id,
                "actor_label": labels[actor_id] if actor_id else "kapcare",
                "client_id": client_id,
                "action": action,
                "object_type": otype,
                "object_id": str(oid),
                "summary": summary[:300],
                "details": details,
                "occurred_at": at,
                "ip_address": None,
                "user_agent": "",
                "request_id": "",
                "prev_hash": prev_hash,
            }
            values["entry_hash"] = prev_hash = content_hash(values)
            table.add(**values)
            if index % 20000 == 0:
                sink.flush([AuditEvent])
                if progress:
                    progress(20000)
        sink.flush([AuditEvent])
        if progress:
            progress(len(self.events) % 20000)
        # The head is the one row an append updates; it is not append-only.
        AuditChain.objects.update_or_create(
            scope=clinic_id, defaults={"last_sequence": sequence, "last_hash": prev_hash}
        )
        written = len(self.events)
        self.events = []
        return written
