"""What every dosing write shares: the session row lock, the guarded status change, time checks
and the audit row."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from kapcare.accounts.actor import Actor
from kapcare.audit.models import AuditAction
from kapcare.audit.services import record_event
from kapcare.core.transitions import StateMachine, lock, transition
from kapcare.dosing.models import (
    DosingProtocol,
    DosingSession,
    DosingStatus,
    SessionStatusChange,
)
from kapcare.dosing.states import FINAL, REASON_REQUIRED, TRANSITIONS
from kapcare.measures.services.schedules import sync_course

# A time typed on a tablet whose clock is a little ahead is not "in the future".
CLOCK_SLACK = dt.timedelta(minutes=1)


def lock_session(session: DosingSession) -> DosingSession:
    """The session, re-read under a row lock, its revision bumped.

    Every dosing write starts here, so writes to one session happen one at a time and always
    lock the session before anything else (the ledger's lot rows come after): no deadlocks,
    no lost updates, and the live page sees a new revision whenever anything changed."""
    DosingSession.objects.filter(pk=session.pk).update(revision=F("revision") + 1)
    return lock(
        session,
        DosingSession.objects.select_related(
            "clinic", "client", "course", "protocol", "dose_order"
        ),
    )


def require(allowed: bool, message: str) -> None:
    if not allowed:
        raise PermissionDenied(message)


def check_time(
    at: dt.datetime, *, field: str, not_before: dt.datetime | None = None, not_before_what: str = ""
) -> dt.datetime:
    """`at` unless it is in the future or before `not_before`; the error names `field`."""
    if timezone.is_naive(at):
        raise ValidationError({field: _("Give the time with its time zone.")})
    if at > timezone.now() + CLOCK_SLACK:
        raise ValidationError({field: _("This time is in the future.")})
    if not_before is not None and at < not_before:
        raise ValidationError(
            {
                field: _("This time is before %(what)s (%(when)s).")
                % {
                    "what": not_before_what,
                    "when": timezone.localtime(not_before).strftime("%H:%M"),
                }
            }
        )
    return at


def check_chair_time(session: DosingSession, at: dt.datetime, *, field: str) -> dt.datetime:
    """`at` for something that happened at the chair (a check, a reading, an event): not in the
    future and not before the client checked in (check_time)."""
    return check_time(
        at, field=field, not_before=session.checked_in_at, not_before_what=_("check-in")
    )


def require_status(session: DosingSession, *statuses: str) -> None:
    if session.status not in statuses:
        raise ValidationError(
            _("This cannot be done while the session is %(s)s.")
            % {"s": DosingStatus(session.status).label.lower()}
        )


# How a session's status changes: the table in states.py, the rows that record each change.
MACHINE: StateMachine[DosingSession] = StateMachine(
    table=TRANSITIONS,
    refused=lambda a, b: (
        _("A session cannot go from %(a)s to %(b)s.")
        % {"a": DosingStatus(a).label, "b": DosingStatus(b).label}
    ),
    reason_required=REASON_REQUIRED,
    reason_missing=lambda: _("Give a reason."),
    reason_field="reason",
    history=SessionStatusChange,
    history_owner="session",
    summary=lambda session, a, b: (
        _("Dosing session %(n)s: %(a)s → %(b)s") % {"n": session.number, "a": a, "b": b}
    ),
    client=lambda session: session.client,
)


def transition_session(
    *,
    actor: Actor,
    session: DosingSession,
    to: str,
    reason: str = "",
    at: dt.datetime | None = None,
) -> DosingSession:
    """Move a locked session (see `lock_session`) to `to` if the table allows it; record who,
    when and why. A session that ends (aborted or discharged) brings its course's measure
    schedule up to date: an aborted one needs no pre-dose questionnaire, and a pending one is
    cancelled."""
    moved = transition(
        session, machine=MACHINE, to=to, actor=actor, reason=reason, at=at, locked=True
    )
    if to in FINAL:
        sync_course(actor=actor, course=moved.course)
    return moved


def audit(
    actor: Actor,
    session: DosingSession,
    action: AuditAction,
    summary: str,
    details=None,
    obj=None,
):
    return record_event(
        actor=actor,
        action=action,
        client=session.client,
        obj=obj or session,
        summary=summary,
        details=details or {},
    )


def session_protocol(session: DosingSession) -> DosingProtocol:
    """The dosing protocol the session was opened under (set when the session opens)."""
    assert session.protocol is not None
    return session.protocol
