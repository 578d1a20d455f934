"""Discharge: refused until the minimum observation time for the route has passed AND every
criterion holds (FACTS.md §4.4, §4.5); then the summary and after-care go with the client."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kapcare.accounts.actor import Actor, staff_user
from kapcare.audit.models import AuditAction
from kapcare.dosing import selectors
from kapcare.dosing.models import Discharge, DosingSession, DosingStatus, MonitoringAlert
from kapcare.dosing.monitoring_rules import (
    DISCHARGE_CRITERIA,
    discharge_problems,
    observed_minutes,
    vitals_off_baseline,
)
from kapcare.dosing.permissions import can_work_the_chair
from kapcare.dosing.services.common import (
    audit,
    check_time,
    lock_session,
    require,
    require_status,
    session_protocol,
    transition_session,
)


def readiness(session: DosingSession, at: dt.datetime, *, checks, vitals, open_alerts: int):
    """What discharge at `at` would still need, as the live page shows it: the earliest time
    the observation minimum allows, and what the latest readings say about baseline."""
    protocol = session_protocol(session)
    started = session.dose_started_at
    assert started is not None  # readiness is asked only once the dose has started
    minimum = protocol.min_observation_for(session.route)
    baseline = selectors.baseline_of(checks[-1] if checks else None)
    latest = selectors.latest_reading(vitals)
    vitals_problems = []
    if baseline is None:
        vitals_problems.append(_("no pre-dose readings"))
    else:
        vitals_problems = vitals_off_baseline(
            baseline=baseline,
            latest=latest,
            tolerance_pct=protocol.discharge_vitals_tolerance_pct,
            spo2_floor=protocol.alert_spo2,
        )
    stale_after = dt.timedelta(minutes=2 * protocol.vitals_interval_minutes)
    if latest.get("systolic_at") and at - latest["systolic_at"] > stale_after:
        vitals_problems.append(
            _("the last blood pressure is more than %(m)s minutes old")
            % {"m": 2 * protocol.vitals_interval_minutes}
        )
    return {
        "minimum": minimum,
        "observed": observed_minutes(started, at),
        "earliest": started + dt.timedelta(minutes=minimum),
        "vitals_problems": vitals_problems,
        "open_alerts": open_alerts,
    }


@transaction.atomic
def discharge_session(
    *,
    actor: Actor,
    session: DosingSession,
    discharged_at: dt.datetime,
    criteria: dict[str, bool],
    summary: str,
    aftercare_instructions: str,
) -> Discharge:
    """The client leaves. Refused — with the reason at each field — before the route's minimum
    observation time (esketamine: at least 2 hours, FACTS.md §4.4) or while any criterion is
    unmet, the latest vitals are not near the pre-dose ones, or an alert is unacknowledged."""
    require(
        can_work_the_chair(actor, session.client),
        _("Only a nurse or prescriber on the care team discharges."),
    )
    session = lock_session(session)
    require_status(session, DosingStatus.MONITORING)
    check_time(
        discharged_at,
        field="discharged_at",
        not_before=session.dose_ended_at or session.dose_started_at,
        not_before_what=_("the end of dosing"),
    )
    state = readiness(
        session,
        discharged_at,
        checks=list(session.pre_dose_checks.order_by("recorded_at", "id")),
        vitals=list(session.vitals.filter(recorded_at__lte=discharged_at)),
        open_alerts=MonitoringAlert.objects.filter(
            session=session, acknowledged_at__isnull=True
        ).count(),
    )
    problems = discharge_problems(
        observed=state["observed"],
        minimum=state["minimum"],
        criteria=criteria,
        open_alerts=state["open_alerts"],
        vitals_problems=state["vitals_problems"],
    )
    if not summary.strip():
        problems["summary"] = _("Write the discharge summary.")
    if not aftercare_instructions.strip():
        problems["aftercare_instructions"] = _("Give the after-care instructions.")
    if problems:
        raise ValidationError(
            {(NON_FIELD_ERRORS if k == "__all__" else k): v for k, v in problems.items()}
        )
    discharge = Discharge.objects.create(
        clinic=session.clinic,
        session=session,
        discharged_at=discharged_at,
        discharged_by=staff_user(actor),
        observed_minutes=state["observed"],
        min_observation_minutes=state["minimum"],
        summary=summary.strip(),
        aftercare_instructions=aftercare_instructions.strip(),
        **{name: bool(criteria.get(name)) for name in DISCHARGE_CRITERIA},
    )
    session.discharged_at = discharged_at
    session.save(update_fields=["discharged_at"])
    transition_session(actor=actor, session=session, to=DosingStatus.DISCHARGED, at=discharged_at)
    audit(
        actor,
        session,
        AuditAction.CREATE,
        _("Discharged after %(m)s min") % {"m": state["observed"]},
        {"observed_minutes": state["observed"], "minimum": state["minimum"]},
        obj=discharge,
    )
    return discharge


def draft_summary(session: DosingSession, data: dict) -> str:
    """A starting point for the nurse's summary, from what was recorded."""
    dose = data.get("dose")
    lines = []
    if dose is not None:
        lines.append(
            _("%(mg)s mg %(route)s given at %(t)s.")
            % {
                "mg": format(dose.amount_mg.normalize(), "f"),
                "route": session.dose_order.get_route_display() if session.dose_order else "",
                "t": timezone.localtime(dose.started_at).strftime("%H:%M"),
            }
        )
    bps = [v for v in data["vitals"] if v.systolic is not None]
    if bps:
        peak = max(bps, key=lambda v: v.systolic)
        lines.append(
            _("Peak blood pressure %(s)s/%(d)s at %(t)s.")
            % {
                "s": peak.systolic,
                "d": peak.diastolic,
                "t": timezone.localtime(peak.recorded_at).strftime("%H:%M"),
            }
        )
    if data["alerts"]:
        lines.append(_("%(n)s alert(s), all acknowledged.") % {"n": len(data["alerts"])})
    if data["adverse_events"]:
        lines.append(
            _("Adverse events: %(e)s.") % {"e": ", ".join(str(e) for e in data["adverse_events"])}
        )
    else:
        lines.append(_("No adverse events."))
    if data["ratings"]:
        top = max(data["ratings"], key=lambda r: r.score)
        lines.append(
            _("Highest dissociation rating %(s)s/%(m)s.") % {"s": top.score, "m": top.max_score}
        )
    return " ".join(lines)
