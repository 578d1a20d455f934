"""The pre-dose checks step: recording the checklist (judged at once under the session's
protocol) and a prescriber's clearance of problems that only need review."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kapcare.accounts.actor import Actor
from kapcare.audit.models import AuditAction
from kapcare.dosing import selectors
from kapcare.dosing.defaults import ROUTES
from kapcare.dosing.models import DosingSession, DosingStatus, PreDoseCheck
from kapcare.dosing.permissions import can_clear_check, can_work_the_chair
from kapcare.dosing.rules import REVIEW, STOP, pre_dose_problems
from kapcare.dosing.services.common import (
    audit,
    check_chair_time,
    lock_session,
    require,
    require_status,
    session_protocol,
    transition_session,
)
from kapcare.dosing.states import AWAITING_DOSE
from kapcare.measures.pre_dose import higher_item9, pre_dose_measures

S = DosingStatus
CHAIR = _("Only a nurse or prescriber on the care team does this at the chair.")


def _route_for_checks(session: DosingSession) -> str:
    """The ordered route; without an order, the route with the longest fasting requirement."""
    order = selectors.current_order(session.course)
    if order is not None:
        return order.route
    protocol = session_protocol(session)
    return max(ROUTES, key=lambda r: protocol.fasting_hours_for(r) or Decimal(0))


CHECK_FIELDS = [
    "identity_confirmed",
    "fasting_hours",
    "weight_kg",
    "systolic",
    "diastolic",
    "heart_rate",
    "spo2",
    "pregnancy_test",
    "medication_changes",
    "substance_use",
    "substance_use_last_24h",
    "intentions",
    "escort_confirmed",
    "ride_home_confirmed",
    "phq9_done",
    "gad7_done",
    "phq9_item9",
]
# Whether the pre-session questionnaires were done is read from Measures when the check is
# recorded, never ticked by hand (kapcare.measures.pre_dose); the form leaves them out.
MEASURE_FLAGS = {"phq9_done": "phq9", "gad7_done": "gad7"}
FORM_FIELDS = [name for name in CHECK_FIELDS if name not in MEASURE_FLAGS]


def measured_facts(session: DosingSession, data: dict[str, Any]) -> dict[str, Any]:
    """The checklist's questionnaire answers as Measures has them: done when a complete
    response answers the schedule's slot before this session; PHQ-9 item 9 at least what that
    response says."""

    measures = pre_dose_measures(session, timezone.now())
    done = {m.code for m in measures if m.done}
    facts: dict[str, bool | int | None] = {
        flag: code in done for flag, code in MEASURE_FLAGS.items()
    }
    facts["phq9_item9"] = higher_item9(data.get("phq9_item9"), measures)
    return facts


@transaction.atomic
def record_pre_dose_check(
    *, actor: Actor, session: DosingSession, data: dict[str, Any], recorded_at: dt.datetime
) -> PreDoseCheck:
    """One pass through the checklist (FACTS.md §4.3), judged at once under the session's
    protocol. Values outside it are kept with the check and block the dose gate until a new
    check passes (STOP) or a prescriber clears this one (REVIEW)."""
    require(can_work_the_chair(actor, session.client), CHAIR)
    session = lock_session(session)
    require_status(session, *AWAITING_DOSE)
    check_chair_time(session, recorded_at, field="recorded_at")
    check = PreDoseCheck(
        clinic=session.clinic,
        session=session,
        recorded_at=recorded_at,
        recorded_by=actor.user,
        **{name: data.get(name) for name in CHECK_FIELDS} | measured_facts(session, data),
    )
    check.full_clean(exclude=["clinic", "session", "recorded_by", "problems"])
    if check.systolic <= check.diastolic:
        raise ValidationError({"diastolic": _("The diastolic must be below the systolic.")})
    problems = pre_dose_problems(
        {name: getattr(check, name) for name in CHECK_FIELDS},
        route=_route_for_checks(session),
        protocol=session_protocol(session),
        pregnancy_applicable=selectors.pregnancy_applicable(session.client),
    )
    check.problems = [p.as_dict() for p in problems]
    check.save()
    if session.status == S.CHECKED_IN:
        transition_session(actor=actor, session=session, to=S.PRE_DOSE_CHECKS, at=recorded_at)
    audit(
        actor,
        session,
        AuditAction.CREATE,
        _("Pre-dose checks for session %(n)s") % {"n": session.number},
        {"problems": check.problems, "protocol_version": session_protocol(session).version},
        obj=check,
    )
    return check


@transaction.atomic
def clear_pre_dose_check(*, actor: Actor, check: PreDoseCheck, reason: str) -> PreDoseCheck:
    """A prescriber's signed go-ahead for a check whose only problems need review (FACTS.md
    §4.3: BP above 140/90 → prescriber review). A STOP problem cannot be cleared."""
    require(
        can_clear_check(actor, check.session.client),
        _("Only a prescriber on the care team clears pre-dose checks."),
    )
    session = lock_session(check.session)
    require_status(session, S.PRE_DOSE_CHECKS)
    check = PreDoseCheck.objects.select_for_update().get(pk=check.pk)
    latest = selectors.latest_check(session)
    assert latest is not None  # the check being cleared is one of the session's
    if latest.pk != check.pk:
        raise ValidationError(_("A newer check exists; clear that one."))
    if any(p["severity"] == STOP for p in check.problems):
        raise ValidationError(
            _("This check has a problem that stops dosing; it cannot be cleared.")
        )
    if not any(p["severity"] == REVIEW for p in check.problems):
        raise ValidationError(_("Nothing in this check needs review."))
    if check.cleared_at is not None:
        raise ValidationError(_("Already cleared."))
    if not reason.strip():
        raise ValidationError({"reason": _("Give the clinical reason for going ahead.")})
    check.cleared_by, check.cleared_at = actor.user, timezone.now()
    check.clearance_reason = reason.strip()
    check.save(update_fields=["cleared_by", "cleared_at", "clearance_reason"])
    audit(
        actor,
        session,
        AuditAction.UPDATE,
        _("Prescriber cleared the pre-dose checks"),
        {"reason": check.clearance_reason, "problems": check.problems},
        obj=check,
    )
    return check
