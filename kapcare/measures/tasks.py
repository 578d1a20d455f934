"""Background work (django-tasks): risk alerts, and re-planning a clinic's schedules after its
measure settings change. Messages name no client and no answer: an e-mail is not a safe place
for health information, so they only send people to kapcare."""

from __future__ import annotations

import logging

from django.core.mail import send_mail
from django.utils import timezone
from django.utils.translation import gettext as _
from django_tasks import default_task_backend, task
from django_tasks.exceptions import InvalidTaskError

from kapcare.accounts.models import Clinic, Membership, Role
from kapcare.clients.models import CareTeamMember
from kapcare.measures.models import RiskAlert
from kapcare.measures.services.alerts import escalate_alert as escalate
from kapcare.measures.services.alerts import on_alert_escalated, on_alert_raised
from kapcare.measures.services.instruments import on_schedule_settings_changed
from kapcare.measures.services.schedules import sync_clinic

logger = logging.getLogger(__name__)


def _send(recipients: list[str], subject: str, body: str) -> int:
    if not recipients:
        return 0
    return send_mail(subject, body, None, sorted(set(recipients)))


@task()
def notify_care_team(alert_id: int) -> int:
    """E-mail the client's care team that a risk alert is waiting for them."""
    alert = RiskAlert.objects.select_related("clinic").filter(pk=alert_id).first()
    if alert is None or alert.acknowledged_at is not None:
        return 0
    emails = CareTeamMember.objects.filter(
        client_id=alert.client_id, user__is_active=True
    ).values_list("user__email", flat=True)
    return _send(
        list(emails),
        _("kapcare: a risk alert needs review"),
        _(
            "A questionnaire answer for a client on your care team at %(clinic)s raised a "
            "suicide-risk alert. Please sign in to kapcare, review it today and record what you "
            "did. This message holds no client details on purpose."
        )
        % {"clinic": alert.clinic.name},
    )


@task()
def escalate_alert(alert_id: int) -> bool:
    """Runs at the alert's `escalate_after`; does nothing if it was acknowledged meanwhile."""
    return escalate(alert_id=alert_id, now=timezone.now())


@task()
def notify_admins_of_escalation(alert_id: int) -> int:
    alert = RiskAlert.objects.select_related("clinic").filter(pk=alert_id).first()
    if alert is None or alert.acknowledged_at is not None:
        return 0
    emails = Membership.objects.filter(
        clinic_id=alert.clinic_id, role=Role.CLINIC_ADMIN, user__is_active=True
    ).values_list("user__email", flat=True)
    return _send(
        list(emails),
        _("kapcare: a risk alert has not been acknowledged"),
        _(
            "A suicide-risk alert at %(clinic)s has not been acknowledged by the client's care "
            "team in time. Please sign in to kapcare and make sure a clinician reviews it now. "
            "This message holds no client details on purpose."
        )
        % {"clinic": alert.clinic.name},
    )


def enqueue_alert_tasks(alert: RiskAlert) -> None:
    """Notify now; escalate at `escalate_after` when the task backend can defer a task. When it
    cannot (the immediate backend used in development), `manage.py escalate_risk_alerts`, run
    every few minutes, does the escalation; it is safe to run both."""
    notify_care_team.enqueue(alert.pk)
    if default_task_backend.supports_defer:
        try:
            escalate_alert.using(run_after=alert.escalate_after).enqueue(alert.pk)
        except InvalidTaskError:  # pragma: no cover - a backend that refuses this run_after
            logger.warning("Could not defer escalation of risk alert %s", alert.pk)


def enqueue_escalation_notice(alert: RiskAlert) -> None:
    notify_admins_of_escalation.enqueue(alert.pk)


@task()
def sync_clinic_schedules(clinic_id: int) -> int:
    """Plan every course of the clinic anew under its current measure settings, in batches."""
    clinic = Clinic.objects.filter(pk=clinic_id).first()
    return 0 if clinic is None else sync_clinic(clinic=clinic)


def enqueue_clinic_sync(clinic_id: int) -> None:
    sync_clinic_schedules.enqueue(clinic_id)


def register() -> None:
    """Called from MeasuresConfig.ready: alerts' reactions are these tasks, and so is
    re-planning a clinic whose schedule settings changed."""
    on_alert_raised(enqueue_alert_tasks)
    on_alert_escalated(enqueue_escalation_notice)
    on_schedule_settings_changed(enqueue_clinic_sync)
