"""Suicide-risk alerts: raised with the response that triggers them, acknowledged by a clinician
with the action taken, escalated to the clinic admin when nobody acknowledges them in time.

FACTS.md §1.1 (PHQ-9 item 9 ≥ 1 needs same-day clinician review), §1.5 (C-SSRS triage) and §8
(safety alerts create tasks requiring clinician acknowledgement; never silently pass).

Raising is synchronous, inside the response's transaction, so whoever saves the response (and
anyone on the care team who loads a page afterwards) sees the alert at once. The background tasks
only tell people who are not looking: an e-mail to the care team, and the escalation at
`escalate_after`. Escalation is idempotent and checks acknowledgement under a row lock, so the
deferred task, the `escalate_risk_alerts` sweep and a retry can all run without double effects.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from functools import partial

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kapcare.accounts.actor import Actor
from kapcare.audit.models import AuditAction
from kapcare.audit.services import record_event
from kapcare.measures.models import Response, RiskAlert
from kapcare.measures.permissions import can_acknowledge_alert
from kapcare.measures.scoring import AlertHit


def raise_alerts(
    *, actor: Actor, response: Response, hits: list[AlertHit], delay: dt.timedelta
) -> list[RiskAlert]:
    """Create one alert per hit for `response` (call inside its transaction) and, after commit,
    notify the care team and schedule the escalation."""
    alerts = []
    for hit in hits:
        alert = RiskAlert.objects.create(
            clinic=response.clinic,
            client=response.client,
            course=response.course,
            response=response,
            rule=hit.key,
            level=hit.level,
            summary=hit.summary[:300],
            raised_at=response.created_at,
            escalate_after=response.created_at + delay,
        )
        record_event(
            actor=actor,
            action=AuditAction.CREATE,
            client=response.client,
            obj=alert,
            summary=_("Risk alert raised: %(s)s") % {"s": alert.summary},
        )
        alerts.append(alert)
        transaction.on_commit(partial(enqueue_alert_tasks, alert))
    return alerts


# What happens after an alert is raised or escalated (notify the care team, schedule the
# escalation, notify the admins) is background work in kapcare.measures.tasks, whose tasks call
# back into this module. So that this module does not import them, tasks registers its
# reactions here from MeasuresConfig.ready; they run after the transaction commits.
AlertHook = Callable[[RiskAlert], None]
ON_RAISED: list[AlertHook] = []
ON_ESCALATED: list[AlertHook] = []


def on_alert_raised(hook: AlertHook) -> None:
    if hook not in ON_RAISED:
        ON_RAISED.append(hook)


def on_alert_escalated(hook: AlertHook) -> None:
    if hook not in ON_ESCALATED:
        ON_ESCALATED.append(hook)


def enqueue_alert_tasks(alert: RiskAlert) -> None:
    for hook in ON_RAISED:
        hook(alert)


@transaction.atomic
def acknowledge_alert(*, actor: Actor, alert: RiskAlert, action_taken: str) -> RiskAlert:
    """Record that a clinician reviewed the alert and what they did. Once only."""
    if not can_acknowledge_alert(actor, alert):
        raise PermissionDenied(_("Only a clinician on the client's care team acknowledges this."))
    action_taken = action_taken.strip()
    if not action_taken:
        raise ValidationError({"action_taken": _("Say what you did about this alert.")})
    locked = RiskAlert.objects.select_for_update().get(pk=alert.pk)
    if locked.acknowledged_at is not None:
        raise ValidationError(
            _("%(who)s already acknowledged this alert.") % {"who": locked.acknowledged_by}
        )
    locked.acknowledged_at = timezone.now()
    locked.acknowledged_by = actor.user
    locked.action_taken = action_taken
    locked.save(update_fields=["acknowledged_at", "acknowledged_by", "action_taken"])
    record_event(
        actor=actor,
        action=AuditAction.UPDATE,
        client=locked.client,
        obj=locked,
        summary=_("Acknowledged a risk alert"),
        details={"action_taken": action_taken},
    )
    return locked


@transaction.atomic
def escalate_alert(*, alert_id: int, now: dt.datetime) -> bool:
    """Escalate one alert to the clinic admin if, at `now`, it is due and still unacknowledged.
    True when this call escalated it; False when it was acknowledged, already escalated or not
    yet due. `now` is explicit so the clock can be controlled in tests."""
    alert = RiskAlert.objects.select_for_update().filter(pk=alert_id).first()
    if (
        alert is None
        or alert.acknowledged_at is not None
        or alert.escalated_at is not None
        or now < alert.escalate_after
    ):
        return False
    alert.escalated_at = now
    alert.save(update_fields=["escalated_at"])
    record_event(
        actor=Actor.system(alert.clinic),
        action=AuditAction.UPDATE,
        client=alert.client,
        obj=alert,
        summary=_("Risk alert escalated to the clinic admin: not acknowledged in time"),
    )
    transaction.on_commit(lambda: [hook(alert) for hook in ON_ESCALATED])
    return True


def escalate_due_alerts(*, now: dt.datetime) -> int:
    """Escalate every alert whose time has come (the sweep). Returns how many it escalated."""
    due = RiskAlert.objects.filter(
        acknowledged_at__isnull=True, escalated_at__isnull=True, escalate_after__lte=now
    ).values_list("pk", flat=True)
    return sum(escalate_alert(alert_id=pk, now=now) for pk in list(due))
