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
from kapcare.dosing.models import DosingSession, DosingStatus, SessionStatusChange
from kapcare.dosing.states import REASON_REQUIRED, TRANSITIONS

# A time typed on a tablet whose clock is a little ahead is not "in the future".
CLOCK_SLACK = dt.timedelta(minutes=1)


def lock_session(session: DosingSession) -> DosingSession:
    """The session, re-read under a row lock, its revision bumped.

    Every dosing write starts here, so writes to one session happen one at a time and always
    lock the session before anything else (the ledger's lot rows come after): no deadlocks,
    no lost updates, and the live page sees a new revision whenever anything changed."""
    DosingSession.objects.filter(pk=session.pk).update(revision=F("revision") + 1)
    return (
        # of=self: lock only the session row (its nullable joins cannot be locked on PostgreSQL).
        DosingSession.objects.select_for_update(of=("self",))
        .select_related("clinic", "client", "course", "protocol", "dose_order")
        .get(pk=session.pk)
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


def require_status(session: DosingSession, *statuses: str) -> None:
    if session.status not in statuses:
        raise ValidationError(
            _("This cannot be done while the session is %(s)s.")
            % {"s": DosingStatus(session.status).label.lower()}
        )


def transition_session(
    *,
    actor: Actor,
    session: DosingSession,
    to: str,
    reason: str = "",
    at: dt.datetime | None = None,
) -> DosingSession:
    """Move a locked session to `to` if the table allows it; record who, when and why."""
    if to not in TRANSITIONS[session.status]:
        raise ValidationError(
            _("A session cannot go from %(a)s to %(b)s.")
            % {"a": DosingStatus(session.status).label, "b": DosingStatus(to).label}
        )
    if to in REASON_REQUIRED and not reason.strip():
        raise ValidationError({"reason": _("Give a reason.")})
    before = session.status
    session.status = to
    session.save(update_fields=["status"])
    SessionStatusChange.objects.create(
        session=session,
        from_status=before,
        to_status=to,
        reason=reason.strip(),
        changed_by=actor.user,
        changed_at=at or timezone.now(),
    )
    audit(
        actor,
        session,
        AuditAction.UPDATE,
        _("Dosing session %(n)s: %(a)s → %(b)s") % {"n": session.number, "a": before, "b": to},
        {"from": before, "to": to},
    )
    return session


def audit(actor: Actor, session: DosingSession, action: str, summary: str, details=None, obj=None):
    return record_event(
        actor=actor,
        action=action,
        client=session.client,
        obj=obj or session,
        summary=summary,
        details=details or {},
    )
