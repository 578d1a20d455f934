"""Adverse events (with rescue medication and telling the prescriber at once), witnessed waste
of undelivered drug, the esketamine REMS record, and reading notifications."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from kapcare.accounts.actor import Actor, staff_user
from kapcare.accounts.models import Role, User
from kapcare.audit.models import AuditAction
from kapcare.core.site import absolute_url
from kapcare.dosing.models import (
    SERIOUS,
    Administration,
    AdministrationKind,
    AdverseEvent,
    AdverseEventKind,
    DosingNotification,
    DosingSession,
    DosingStatus,
    Outcome,
    RemsRecord,
    Severity,
)
from kapcare.dosing.permissions import can_work_the_chair
from kapcare.dosing.rules import waste_problem
from kapcare.dosing.services.common import (
    audit,
    check_chair_time,
    check_time,
    lock_session,
    require,
    require_status,
)
from kapcare.dosing.states import REMS_RECORDABLE
from kapcare.ledger.models import LedgerEntry
from kapcare.ledger.services import record_undelivered_waste

CHAIR = _("Only a nurse or prescriber on the care team records this.")


def _prescribers_to_tell(session: DosingSession) -> list[User]:
    """The prescriber who signed the order, and every prescriber on the client's care team."""
    ids = set(
        session.client.care_team.filter(role=Role.PRESCRIBER, user__is_active=True).values_list(
            "user_id", flat=True
        )
    )
    order = session.dose_order
    if order is not None:
        ids.add(order.signed_by_id)
    return list(User.objects.filter(pk__in=ids, is_active=True).order_by("pk"))


@transaction.atomic
def record_adverse_event(
    *,
    actor: Actor,
    session: DosingSession,
    occurred_at: dt.datetime,
    kind: str,
    severity: str,
    description: str,
    action_taken: str,
    outcome: str,
    rescue_medication: str = "",
    rescue_dose: str = "",
    rescue_route: str = "",
    rescue_given_at: dt.datetime | None = None,
) -> AdverseEvent:
    """An adverse event (FACTS.md §4.6), with the rescue medication given for it recorded as an
    administration (§4.7). A severe or life-threatening event is serious: each prescriber to
    tell gets an on-screen notice now and an e-mail once the record is committed."""
    require(can_work_the_chair(actor, session.client), CHAIR)
    session = lock_session(session)
    require_status(
        session,
        DosingStatus.CHECKED_IN,
        DosingStatus.PRE_DOSE_CHECKS,
        DosingStatus.DOSING,
        DosingStatus.MONITORING,
    )
    check_chair_time(session, occurred_at, field="occurred_at")
    errors = {}
    if kind not in AdverseEventKind.values:
        errors["kind"] = _("Choose the type.")
    if severity not in Severity.values:
        errors["severity"] = _("Choose the severity.")
    if outcome not in Outcome.values:
        errors["outcome"] = _("Choose the outcome.")
    for field, value in (("description", description), ("action_taken", action_taken)):
        if not value.strip():
            errors[field] = _("Required.")
    if rescue_medication.strip() and not rescue_dose.strip():
        errors["rescue_dose"] = _("Give the dose of the rescue medication.")
    if errors:
        raise ValidationError(errors)
    event = AdverseEvent.objects.create(
        clinic=session.clinic,
        session=session,
        occurred_at=occurred_at,
        kind=kind,
        severity=severity,
        serious=severity in SERIOUS,
        description=description.strip(),
        action_taken=action_taken.strip(),
        outcome=outcome,
        recorded_by=staff_user(actor),
    )
    if rescue_medication.strip():
        given_at = check_chair_time(
            session, rescue_given_at or occurred_at, field="rescue_given_at"
        )
        Administration.objects.create(
            clinic=session.clinic,
            session=session,
            kind=AdministrationKind.RESCUE,
            administered_by=staff_user(actor),
            started_at=given_at,
            route=rescue_route.strip()[:16],
            medication=rescue_medication.strip(),
            rescue_dose=rescue_dose.strip(),
            adverse_event=event,
        )
    audit(
        actor,
        session,
        AuditAction.CREATE,
        _("Adverse event: %(e)s") % {"e": event},
        {"serious": event.serious, "rescue": rescue_medication.strip()},
        obj=event,
    )
    if event.serious:
        _notify_prescribers(actor, session, event)
    return event


def _notify_prescribers(actor: Actor, session: DosingSession, event: AdverseEvent) -> None:
    message = _("Serious adverse event in %(client)s's dosing session %(n)s: %(e)s.") % {
        "client": session.client.full_name,
        "n": session.number,
        "e": event,
    }
    recipients = _prescribers_to_tell(session)
    DosingNotification.objects.bulk_create(
        DosingNotification(
            clinic=session.clinic,
            recipient=user,
            session=session,
            adverse_event=event,
            message=message[:300],
        )
        for user in recipients
    )
    path = absolute_url(reverse("dosing:live", args=[session.client_id, session.pk]))
    # The e-mail names no client: it says where to look, inside the signed-in app.
    body = _(
        "A serious adverse event was recorded in a dosing session at %(clinic)s at %(t)s.\n\n"
        "Open kapcare to review it: %(path)s\n"
    ) % {
        "clinic": session.clinic.name,
        "t": timezone.localtime(event.occurred_at).strftime("%Y-%m-%d %H:%M"),
        "path": path,
    }
    addresses = [user.email for user in recipients]
    if addresses:
        transaction.on_commit(
            lambda: send_mail(
                _("kapcare: serious adverse event — review now"),
                body,
                settings.DEFAULT_FROM_EMAIL,
                addresses,
            )
        )


@transaction.atomic
def record_session_waste(
    *,
    actor: Actor,
    session: DosingSession,
    witness: User,
    quantity_mg: Decimal,
    reason: str,
    occurred_at: dt.datetime | None = None,
) -> LedgerEntry:
    """Witnessed waste of drug drawn for this session's dose but not given (an infusion stopped
    early): the one way to waste against a dosing session.

    Under the session's row lock, so two nurses wasting at once are judged one after the
    other. What is drawn for a dose is the dose and the rest of its opened units; given +
    wasted = drawn always holds, exact to 0.01 mg: waste here moves mg from "given" to
    "wasted" and is refused beyond what is still counted as given. The ledger gets a
    correction of the administration and the waste entry, so the lot's balance is not touched
    twice."""

    require(can_work_the_chair(actor, session.client), CHAIR)
    session = lock_session(session)
    dose = (
        session.administrations.filter(kind=AdministrationKind.DOSE)
        .select_related("ledger_entry__lot__product", "ledger_entry__location")
        .first()
    )
    if dose is None:
        raise ValidationError(_("No dose was drawn in this session."))
    # A dose is always on the ledger with its amount (administration_dose_is_on_the_ledger).
    assert dose.amount_mg is not None and dose.ledger_entry is not None
    problem = waste_problem(
        quantity_mg=quantity_mg,
        dose_mg=dose.amount_mg,
        undelivered_mg=dose.undelivered_mg,
        remainder_mg=dose.waste_mg or Decimal(0),
    )
    if problem:
        raise ValidationError({"quantity_mg": problem})
    if not reason.strip():
        raise ValidationError({"reason": _("Say why and how it was wasted.")})
    when = check_time(
        occurred_at or timezone.now(),
        field="occurred_at",
        not_before=dose.started_at,
        not_before_what=_("the dose"),
    )
    _given_back, entry = record_undelivered_waste(
        actor=actor,
        witness=witness,
        administration=dose.ledger_entry,
        quantity_mg=quantity_mg,
        reason=reason.strip(),
        occurred_at=when,
    )
    dose.undelivered_mg += quantity_mg
    dose.save(update_fields=["undelivered_mg"])
    audit(
        actor,
        session,
        AuditAction.CREATE,
        _("Wasted %(mg)s mg drawn but not given, witnessed") % {"mg": quantity_mg},
        {
            "ledger_entry": entry.pk,
            "witness": witness.pk,
            "given_mg": str(dose.given_mg),
            "wasted_mg": str(dose.wasted_mg),
            "drawn_mg": str(dose.drawn_mg),
        },
        obj=dose,
    )
    return entry


@transaction.atomic
def save_rems_record(
    *,
    actor: Actor,
    session: DosingSession,
    rems_patient_id: str,
    sedation_observed: bool,
    sedation_resolved_at: dt.datetime | None,
    dissociation_observed: bool,
    dissociation_resolved_at: dt.datetime | None,
    ready_to_leave_at: dt.datetime,
    notes: str = "",
) -> RemsRecord:
    """The fields the Spravato REMS patient monitoring form asks for (FACTS.md §4.4, §1.7),
    for an esketamine session; saved again replaces the earlier answers (audited)."""
    require(can_work_the_chair(actor, session.client), CHAIR)
    session = lock_session(session)
    order = session.dose_order
    if not (order is not None and order.product == "esketamine"):
        raise ValidationError(_("The REMS record is for esketamine sessions."))
    require_status(session, *REMS_RECORDABLE)
    start = session.dose_started_at
    check_time(
        ready_to_leave_at,
        field="ready_to_leave_at",
        not_before=start,
        not_before_what=_("the dose"),
    )
    errors: dict[str, str | list[str]] = {}
    for field, observed, when in (
        ("sedation_resolved_at", sedation_observed, sedation_resolved_at),
        ("dissociation_resolved_at", dissociation_observed, dissociation_resolved_at),
    ):
        if when is not None and not observed:
            errors[field] = _("Only when it was observed.")
        elif when is not None:
            try:
                check_time(when, field=field, not_before=start, not_before_what=_("the dose"))
            except ValidationError as error:
                errors.update(error.message_dict)
    if errors:
        raise ValidationError(errors)
    record, created = RemsRecord.objects.update_or_create(
        session=session,
        defaults={
            "clinic": session.clinic,
            "rems_patient_id": rems_patient_id.strip(),
            "sedation_observed": sedation_observed,
            "sedation_resolved_at": sedation_resolved_at,
            "dissociation_observed": dissociation_observed,
            "dissociation_resolved_at": dissociation_resolved_at,
            "ready_to_leave_at": ready_to_leave_at,
            "notes": notes.strip(),
            "recorded_by": actor.user,
            "recorded_at": timezone.now(),
        },
    )
    audit(
        actor,
        session,
        AuditAction.CREATE if created else AuditAction.UPDATE,
        _("REMS monitoring record saved"),
        obj=record,
    )
    return record


@transaction.atomic
def mark_notification_read(*, actor: Actor, notification: DosingNotification):
    if (
        notification.recipient_id != staff_user(actor).pk
        or notification.clinic_id != actor.clinic_id
    ):
        raise ValidationError(_("Not your notification."))
    DosingNotification.objects.filter(pk=notification.pk, read_at__isnull=True).update(
        read_at=timezone.now()
    )
    return notification
