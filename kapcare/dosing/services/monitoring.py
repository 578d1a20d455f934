"""Writes while the client is monitored: vital signs (and the alerts they raise), alert
acknowledgements, dissociation ratings and the therapist's session note."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kapcare.accounts.actor import Actor, staff_user
from kapcare.audit.models import AuditAction
from kapcare.courses.permissions import can_write_session_note
from kapcare.dosing import selectors
from kapcare.dosing.defaults import DISSOCIATION_SCALES
from kapcare.dosing.models import (
    DissociationRating,
    DosingSession,
    MonitoringAlert,
    SessionNote,
    VitalSign,
)
from kapcare.dosing.monitoring_rules import reading_alerts
from kapcare.dosing.permissions import (
    can_rate_dissociation,
    can_work_the_chair,
)
from kapcare.dosing.services.common import (
    audit,
    check_chair_time,
    check_time,
    lock_session,
    require,
    require_status,
    session_protocol,
)
from kapcare.dosing.states import AFTER_DOSE

VITAL_FIELDS = ("systolic", "diastolic", "heart_rate", "spo2", "respiratory_rate", "sedation")


@transaction.atomic
def record_vitals(
    *, actor: Actor, session: DosingSession, recorded_at: dt.datetime, values: dict
) -> VitalSign:
    """One set of readings, and an alert for each threshold it crosses (FACTS.md §4.4) under
    the session's protocol version. Each call adds a row: two nurses recording at once both
    keep theirs (the session lock orders them; nothing is read and rewritten). The alerts are
    stamped with the time of the reading, not of its entry (a reading charted late is still the
    moment the client's BP was high); the entry time stays on the reading (`created_at`)."""
    require(
        can_work_the_chair(actor, session.client),
        _("Only a nurse or prescriber on the care team records vital signs."),
    )
    session = lock_session(session)
    require_status(session, *AFTER_DOSE)
    check_chair_time(session, recorded_at, field="recorded_at")
    reading = VitalSign(
        clinic=session.clinic,
        session=session,
        recorded_at=recorded_at,
        recorded_by=actor.user,
        **{name: values.get(name) for name in VITAL_FIELDS},
    )
    reading.full_clean(exclude=["clinic", "session", "recorded_by"], validate_constraints=False)
    if all(values.get(name) is None for name in VITAL_FIELDS):
        raise ValidationError(_("Enter at least one reading."))
    if (reading.systolic is None) != (reading.diastolic is None):
        field = "diastolic" if reading.diastolic is None else "systolic"
        raise ValidationError({field: _("Blood pressure needs both numbers.")})
    if (
        reading.systolic is not None
        and reading.diastolic is not None
        and reading.systolic <= reading.diastolic
    ):
        raise ValidationError({"diastolic": _("The diastolic must be below the systolic.")})
    reading.save()
    baseline = selectors.baseline_of(selectors.latest_check(session))
    findings = reading_alerts(
        {name: getattr(reading, name) for name in VITAL_FIELDS},
        baseline=baseline,
        protocol=session.protocol,
    )
    alerts = MonitoringAlert.objects.bulk_create(
        MonitoringAlert(
            clinic=session.clinic,
            session=session,
            vital=reading,
            kind=finding.kind,
            message=finding.message,
            protocol_version=session_protocol(session).version,
            raised_at=reading.recorded_at,
        )
        for finding in findings
    )
    audit(
        actor,
        session,
        AuditAction.CREATE,
        _("Vital signs at %(t)s") % {"t": timezone.localtime(recorded_at).strftime("%H:%M")},
        {"alerts": [a.kind for a in alerts]},
        obj=reading,
    )
    return reading


@transaction.atomic
def acknowledge_alert(*, actor: Actor, alert: MonitoringAlert, action_taken: str):
    """Close an alert by saying what was done; until then it stays on screen."""
    require(
        can_work_the_chair(actor, alert.session.client),
        _("Only a nurse or prescriber on the care team acknowledges alerts."),
    )
    session = lock_session(alert.session)
    alert = MonitoringAlert.objects.select_for_update().get(pk=alert.pk, session=session)
    if alert.acknowledged_at is not None:
        raise ValidationError(_("This alert was already acknowledged."))
    if not action_taken.strip():
        raise ValidationError({"action_taken": _("Say what was done.")})
    alert.acknowledged_at, alert.acknowledged_by = timezone.now(), actor.user
    alert.action_taken = action_taken.strip()
    alert.save(update_fields=["acknowledged_at", "acknowledged_by", "action_taken"])
    audit(
        actor,
        session,
        AuditAction.UPDATE,
        _("Acknowledged alert: %(m)s") % {"m": alert.message},
        {"action_taken": alert.action_taken},
        obj=alert,
    )
    return alert


@transaction.atomic
def acknowledge_reading_alerts(
    *, actor: Actor, vital: VitalSign, action_taken: str, alert_ids: Iterable[int]
) -> list[MonitoringAlert]:
    """Close the open alerts one reading raised with one statement of what was done (one
    episode at the chair, one action). `alert_ids` are the alerts the nurse saw: the call
    acknowledges exactly those, and refuses if the reading's open alerts are no longer that set
    (someone acknowledged one meanwhile), so nothing is closed that was not on screen. Every
    alert keeps its own row, acknowledgement and audit event; none is merged away."""
    require(
        can_work_the_chair(actor, vital.session.client),
        _("Only a nurse or prescriber on the care team acknowledges alerts."),
    )
    session = lock_session(vital.session)
    if not action_taken.strip():
        raise ValidationError({"action_taken": _("Say what was done.")})
    alerts = list(
        MonitoringAlert.objects.select_for_update()
        .filter(session=session, vital_id=vital.pk, acknowledged_at__isnull=True)
        .order_by("pk")
    )
    if not alerts:
        raise ValidationError(_("The alerts of this reading were already acknowledged."))
    if {a.pk for a in alerts} != {int(pk) for pk in alert_ids}:
        raise ValidationError(
            _(
                "The alerts of this reading changed while you were typing (someone acknowledged "
                "one of them). Read them again and acknowledge what is still open."
            ),
            code="stale",
        )
    now, action = timezone.now(), action_taken.strip()
    for alert in alerts:
        alert.acknowledged_at, alert.acknowledged_by, alert.action_taken = now, actor.user, action
    MonitoringAlert.objects.bulk_update(
        alerts, ["acknowledged_at", "acknowledged_by", "action_taken"]
    )
    for alert in alerts:
        audit(
            actor,
            session,
            AuditAction.UPDATE,
            _("Acknowledged alert: %(m)s") % {"m": alert.message},
            {"action_taken": action, "vital": vital.pk, "with": [a.pk for a in alerts]},
            obj=alert,
        )
    return alerts


@transaction.atomic
def rate_dissociation(
    *, actor: Actor, session: DosingSession, rated_at: dt.datetime, score: int, note: str = ""
) -> DissociationRating:
    """A rating on the scale the session's protocol names (FACTS.md §1.6)."""
    require(
        can_rate_dissociation(actor, session.client),
        _("Only the client's nurse, prescriber or therapist rates dissociation."),
    )
    session = lock_session(session)
    require_status(session, *AFTER_DOSE)
    check_time(
        rated_at,
        field="rated_at",
        not_before=session.dose_started_at,
        not_before_what=_("the dose"),
    )
    scale_key = session_protocol(session).dissociation_scale
    scale = DISSOCIATION_SCALES[scale_key]
    if score is None or not 0 <= score <= scale["max"]:
        raise ValidationError({"score": _("Rate from 0 to %(m)s.") % {"m": scale["max"]}})
    rating = DissociationRating.objects.create(
        clinic=session.clinic,
        session=session,
        rated_at=rated_at,
        rated_by=staff_user(actor),
        scale=scale_key,
        score=score,
        max_score=scale["max"],
        note=note.strip(),
    )
    audit(
        actor,
        session,
        AuditAction.CREATE,
        _("Dissociation rated %(s)s/%(m)s") % {"s": score, "m": scale["max"]},
        obj=rating,
    )
    return rating


@transaction.atomic
def save_session_note(
    *,
    actor: Actor,
    session: DosingSession,
    prompts_offered: str,
    client_reports: str,
    insights: str,
    based_on_revision: int,
) -> SessionNote:
    """Create or update the therapist's note. `based_on_revision` is the revision the writer
    started from (0 for a new note); a save over someone else's newer save is refused with a
    message, so neither person's words are silently lost."""
    require(
        can_write_session_note(actor, session.client),
        _("Only a therapist on the care team writes the session note."),
    )
    session = lock_session(session)
    note = SessionNote.objects.select_for_update().filter(session=session).first()
    current = note.revision if note else 0
    if based_on_revision != current:
        raise ValidationError(
            _(
                "Someone saved this note while you were writing. Copy your text, reload, and "
                "add it to theirs."
            ),
            code="stale",
        )
    fields = {
        "prompts_offered": prompts_offered.strip(),
        "client_reports": client_reports.strip(),
        "insights": insights.strip(),
    }
    if note is None:
        note = SessionNote(clinic=session.clinic, session=session, revision=0)
    for name, value in fields.items():
        setattr(note, name, value)
    note.revision += 1
    note.updated_by, note.updated_at = staff_user(actor), timezone.now()
    note.save()
    audit(
        actor,
        session,
        AuditAction.UPDATE if current else AuditAction.CREATE,
        _("Session note saved (revision %(r)s)") % {"r": note.revision},
        obj=note,
    )
    return note
