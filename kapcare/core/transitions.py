"""One way to move a record through its state machine (DESIGN.md, STYLE.md).

Each domain keeps its table of allowed steps in its own `states.py` and describes its machine
with a `StateMachine`: the table, the states that need a reason, what a refusal says, the row
that keeps the history (if the model has one) and what the audit row says. `transition` is the
one sequence every status change goes through: lock the row and re-read it, check the table,
the reason and the domain's own preconditions, change the status, write the history row and
the audit row, all in the caller's transaction, and hand back the fresh row.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils import timezone

from kapcare.audit.models import AuditAction
from kapcare.audit.services import record_event

if TYPE_CHECKING:
    from kapcare.accounts.actor import Actor

M = TypeVar("M", bound=models.Model)


class TransitionRefused(ValidationError):
    """A status change that the table or a precondition does not allow; says why."""


def _no_client(obj: models.Model) -> None:
    return None


@dataclass(frozen=True)
class StateMachine(Generic[M]):
    """How one model's `status` may change, and how each change is recorded.

    `refused(current, to)` says why the table does not allow a step; `reason_missing()` says
    what to do when a step in `reason_required` has no reason, on `reason_field` (or on the
    whole form when that is None). `history` is the model of the status-change rows, linked to
    the record through its `history_owner` foreign key (None when the model keeps none).
    `summary(row, before, to)` is the audit row's summary and `client(row)` the client it
    concerns (None for records that concern no client)."""

    table: Mapping[str, frozenset[str]]
    refused: Callable[[str, str], str]
    summary: Callable[[M, str, str], str]
    reason_required: frozenset[str] = frozenset()
    reason_missing: Callable[[], str] | None = None
    reason_field: str | None = None
    history: type[models.Model] | None = None
    history_owner: str = ""
    client: Callable[[M], Any] = field(default=_no_client)

    def targets(self, current: str) -> frozenset[str]:
        return self.table[current]

    def allows(self, current: str, to: str) -> bool:
        return to in self.table[current]

    def refusal(self, current: str, to: str, reason: str = "") -> TransitionRefused | None:
        """The error for moving from `current` to `to` with `reason` (None when the table and
        the reason rule allow it)."""
        if not self.allows(current, to):
            return TransitionRefused(self.refused(current, to))
        if to in self.reason_required and not (reason or "").strip():
            message = self.reason_missing() if self.reason_missing else ""
            if self.reason_field:
                return TransitionRefused({self.reason_field: message})
            return TransitionRefused(message)
        return None


def lock(obj: M, queryset: models.QuerySet[M] | None = None) -> M:
    """`obj` re-read under a row lock (only its own row: nullable joins cannot be locked on
    PostgreSQL). `queryset` may add select_related for what the caller reads next."""
    rows = queryset if queryset is not None else type(obj)._default_manager.all()
    return rows.select_for_update(of=("self",)).get(pk=obj.pk)


def transition(
    obj: M,
    *,
    machine: StateMachine[M],
    to: str,
    actor: Actor,
    reason: str = "",
    at: dt.datetime | None = None,
    locked: bool = False,
    check: Callable[[M], str | None] | None = None,
    fields: Mapping[str, Any] | None = None,
    apply: Callable[[M], Mapping[str, Any] | None] | None = None,
    details: Mapping[str, Any] | None = None,
) -> M:
    """Move `obj` to `to`, or raise TransitionRefused saying why not; return the fresh row.

    The row is locked and re-read first (pass `locked=True` when the caller already holds
    the lock on this very instance), so two people cannot move it at once. Then the table
    and the reason rule, then `check(row)` (the domain's own preconditions: a message when
    the change may not happen). `fields` are set together with the status; `apply(row)` runs
    after the checks and before the status is saved (the domain's side effects, which may
    add audit details). The status-change row and the audit row are written last. The
    caller's `obj` gets the new status and fields too.

    Inside the caller's transaction it opens no savepoint of its own (a refusal leaves that
    transaction usable, and costs no queries); called outside one, it opens one."""
    if not transaction.get_connection().in_atomic_block:
        with transaction.atomic():
            return transition(
                obj,
                machine=machine,
                to=to,
                actor=actor,
                reason=reason,
                at=at,
                locked=locked,
                check=check,
                fields=fields,
                apply=apply,
                details=details,
            )
    row = obj if locked else lock(obj)
    refused = machine.refusal(row.status, to, reason)
    if refused is not None:
        raise refused
    problem = check(row) if check else None
    if problem:
        raise TransitionRefused(problem)
    extra = dict(apply(row) or {}) if apply else {}
    before = row.status
    changes = {"status": to, **(fields or {})}
    for name, value in changes.items():
        setattr(row, name, value)
    row.save(update_fields=list(changes))
    if machine.history is not None:
        machine.history._default_manager.create(
            **{machine.history_owner: row},
            from_status=before,
            to_status=to,
            reason=(reason or "").strip(),
            changed_by=actor.user,
            changed_at=at or timezone.now(),
        )
    record_event(
        actor=actor,
        action=AuditAction.UPDATE,
        client=machine.client(row),
        obj=row,
        summary=machine.summary(row, before, to),
        details={"from": before, "to": to, **(details or {}), **extra},
    )
    if row is not obj:
        for name, value in changes.items():
            setattr(obj, name, value)
    return row
