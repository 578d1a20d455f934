"""The steps of a dosing session, one service each: schedule, check in, pre-dose checks (and a
prescriber's clearance), administer, end dosing, discharge — or abort, with a reason.

Every step locks the session row first (services.common.lock_session), checks the table in
states.py, and writes its audit row in the same transaction; a refusal saves nothing.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from kapcare.accounts.actor import Actor, staff_user
from kapcare.accounts.models import User
from kapcare.audit.models import AuditAction
from kapcare.courses.gates import dosing_gates
from kapcare.courses.models import TreatmentCourse
from kapcare.courses.states import CLOSED
from kapcare.dosing import selectors
from kapcare.dosing.gates import Attempt
from kapcare.dosing.models import (
    Administration,
    AdministrationKind,
    DosingSession,
    DosingStatus,
    Route,
)
from kapcare.dosing.permissions import can_schedule, can_work_the_chair
from kapcare.dosing.rules import (
    infusion_rate_mg_per_hour,
    remainder_mg,
    session_dose_mg,
)
from kapcare.dosing.services.common import (
    audit,
    check_time,
    lock_session,
    require,
    require_status,
    transition_session,
)
from kapcare.dosing.services.protocol import ensure_dosing_protocol
from kapcare.dosing.states import LIVE
from kapcare.ledger import services as ledger_services
from kapcare.ledger.models import Location, Lot
from kapcare.measures.services.schedules import sync_course

S = DosingStatus
CHAIR = _("Only a nurse or prescriber on the care team does this at the chair.")


@transaction.atomic
def schedule_session(
    *, actor: Actor, course: TreatmentCourse, scheduled_for: dt.datetime
) -> DosingSession:
    """Book the course's next dosing session (numbered in order)."""
    require(can_schedule(actor, course.client), _("You may not schedule for this client."))
    course = TreatmentCourse.objects.select_for_update().get(pk=course.pk)
    if course.status in CLOSED:
        raise ValidationError(_("The course is closed."))
    last = course.dosing_sessions.aggregate(n=Max("number"))["n"] or 0
    session = DosingSession.objects.create(
        clinic=course.clinic,
        client=course.client,
        course=course,
        number=last + 1,
        scheduled_for=scheduled_for,
    )
    audit(actor, session, AuditAction.CREATE, _("Scheduled dosing session %(n)s") % {"n": last + 1})
    # Its pre-dose questionnaires (or, for the first session, the baseline's deadline).
    sync_course(actor=actor, course=course)
    return session


@transaction.atomic
def move_session(
    *, actor: Actor, session: DosingSession, scheduled_for: dt.datetime
) -> DosingSession:
    """A scheduled session booked for another time (the calendar rebooks it)."""
    require(can_schedule(actor, session.client), _("You may not schedule for this client."))
    session = lock_session(session)
    require_status(session, S.SCHEDULED)
    before = session.scheduled_for
    session.scheduled_for = scheduled_for
    session.save(update_fields=["scheduled_for"])
    audit(
        actor,
        session,
        AuditAction.UPDATE,
        _("Dosing session %(n)s moved") % {"n": session.number},
        details={"from": before.isoformat(), "to": scheduled_for.isoformat()},
    )
    sync_course(actor=actor, course=session.course)
    return session


@transaction.atomic
def cancel_scheduled_session(*, actor: Actor, session: DosingSession, reason: str):
    """A session that has not started is called off (its appointment was cancelled or missed):
    whoever may schedule it may do this; once the client is at the chair, only abort_session."""
    require(can_schedule(actor, session.client), _("You may not schedule for this client."))
    session = lock_session(session)
    require_status(session, S.SCHEDULED)
    return _end_aborted(actor, session, reason, timezone.now())


@transaction.atomic
def check_in(*, actor: Actor, session: DosingSession, at: dt.datetime | None = None):
    """The client has arrived. The session is judged from here on under the clinic's current
    dosing protocol version, recorded with it."""
    require(can_work_the_chair(actor, session.client), CHAIR)
    session = lock_session(session)
    require_status(session, S.SCHEDULED)
    at = check_time(at or timezone.now(), field="checked_in_at")
    if DosingSession.objects.filter(course=session.course, status__in=LIVE).exists():
        raise ValidationError(_("Another session of this course is under way."))
    session.checked_in_at = at
    session.protocol = ensure_dosing_protocol(clinic=session.clinic)
    session.dose_order = selectors.current_order(session.course)
    session.save(update_fields=["checked_in_at", "protocol", "dose_order"])
    return transition_session(actor=actor, session=session, to=S.CHECKED_IN, at=at)


def _ledger_error(error: ValidationError) -> ValidationError:
    """The ledger's refusals, with its field names turned into this form's."""
    if not hasattr(error, "error_dict"):
        return ValidationError({"stock": error.messages})
    rename = {"quantity_mg": "amount_mg", "quantity": "amount_mg", "occurred_at": "started_at"}
    return ValidationError(
        {
            rename.get(key, key): [m for e in errs for m in e.messages]
            for key, errs in error.error_dict.items()
        }
    )


@transaction.atomic
def administer_dose(
    *,
    actor: Actor,
    session: DosingSession,
    lot,
    location,
    amount_mg: Decimal,
    started_at: dt.datetime,
    site: str = "",
    witness: User | None = None,
    note: str = "",
) -> Administration:
    """Give the ordered dose: refused unless every gate passes at this moment (pathway, pre-dose
    checks, dose order, the chosen lot's stock) and the amount is the order's dose for today.
    Posts the administration to the controlled-substance ledger, and the rest of any opened
    unit to witnessed waste, in the same transaction."""
    require(can_work_the_chair(actor, session.client), CHAIR)
    session = lock_session(session)
    require_status(session, S.PRE_DOSE_CHECKS)
    check = selectors.latest_check(session)
    check_time(
        started_at,
        field="started_at",
        not_before=check.recorded_at if check else None,
        not_before_what=_("the pre-dose checks"),
    )
    if amount_mg is None or amount_mg <= 0:
        raise ValidationError({"amount_mg": _("Enter an amount of more than 0 mg.")})
    # Judge the lot as it is in the database now, not as the caller last saw it.
    lot = Lot.objects.select_related("product").filter(pk=lot.pk, clinic=session.clinic).first()
    location = Location.objects.filter(pk=location.pk, clinic=session.clinic).first()
    if lot is None or location is None:
        raise ValidationError({"stock": _("Choose a lot held at this clinic.")})
    attempt = Attempt(session=session, lot=lot, location=location)
    failed = [
        g for g in dosing_gates(session.course, timezone.now(), attempt=attempt) if not g.passed
    ]
    if failed:
        raise ValidationError(
            {NON_FIELD_ERRORS: [f"{g.label}: {g.reason}" for g in failed]}, code="gate"
        )
    order = selectors.current_order(session.course)
    # The gates have just passed: a signed order is current and the pre-dose checks are on file.
    assert order is not None and check is not None
    dose = session_dose_mg(
        dose_mg=order.dose_mg, dose_mg_per_kg=order.dose_mg_per_kg, weight_kg=check.weight_kg
    )
    if Decimal(amount_mg) != dose:
        assert dose is not None  # the checks record today's weight for a per-kg order
        raise ValidationError(
            {
                "amount_mg": _("The order gives %(mg)s mg today.")
                % {"mg": format(dose.normalize(), "f")}
            }
        )
    product = lot.product
    if not product.is_liquid and Decimal(amount_mg) % product.mg_per_unit:
        raise ValidationError(
            {
                "amount_mg": _("A %(unit)s holds %(mg)s mg; the dose must be whole units.")
                % {"unit": product.get_unit_label_display(), "mg": product.mg_per_unit.normalize()}
            }
        )
    waste = remainder_mg(amount_mg, product.mg_per_unit)
    if waste > 0 and witness is None:
        raise ValidationError(
            {
                "witness_email": _(
                    "%(mg)s mg is left in the opened unit: a witness signs its waste."
                )
                % {"mg": format(waste.normalize(), "f")}
            }
        )
    session.dose_order = order
    session.dose_started_at = started_at
    session.save(update_fields=["dose_order", "dose_started_at"])
    try:
        entry = _post_to_ledger(actor, session, lot, location, amount_mg, started_at, note)
        waste_entry = (
            _post_waste(actor, session, lot, location, waste, amount_mg, witness, started_at)
            if waste > 0
            else None
        )
    except ValidationError as error:
        raise _ledger_error(error) from error
    rate = None
    if order.route == Route.IV:
        assert order.infusion_minutes is not None  # an IV order carries its infusion time
        rate = infusion_rate_mg_per_hour(amount_mg, order.infusion_minutes)
    given = Administration.objects.create(
        clinic=session.clinic,
        session=session,
        kind=AdministrationKind.DOSE,
        administered_by=staff_user(actor),
        started_at=started_at,
        route=order.route,
        site=site,
        amount_mg=amount_mg,
        lot=lot,
        location=location,
        units_opened=int((Decimal(amount_mg) + waste) / product.mg_per_unit),
        waste_mg=waste,
        rate_mg_per_hour=rate,
        ledger_entry=entry,
        waste_entry=waste_entry,
        note=note.strip(),
    )
    transition_session(actor=actor, session=session, to=S.DOSING, at=started_at)
    audit(
        actor,
        session,
        AuditAction.CREATE,
        _("Gave %(mg)s mg %(route)s (lot %(lot)s)")
        % {"mg": amount_mg, "route": order.route, "lot": lot.lot_number},
        {"ledger_entry": entry.pk, "waste_mg": str(waste), "order": order.pk},
        obj=given,
    )
    return given


def _post_to_ledger(actor, session, lot, location, amount_mg, started_at, note):
    return ledger_services.record_administration(
        actor=actor,
        lot=lot,
        location=location,
        quantity_mg=Decimal(amount_mg),
        dosing_session=session,
        occurred_at=started_at,
        note=note,
    )


def _post_waste(actor, session, lot, location, waste, amount_mg, witness, drawn_at):
    return ledger_services.record_waste(
        actor=actor,
        witness=witness,
        lot=lot,
        location=location,
        quantity_mg=waste,
        reason=_("Rest of the opened unit after a %(mg)s mg dose") % {"mg": amount_mg},
        dosing_session=session,
        occurred_at=drawn_at,  # the rest of the unit is wasted when the dose is drawn up
    )


@transaction.atomic
def complete_dosing(*, actor: Actor, session: DosingSession, ended_at: dt.datetime):
    """The dose is in (the infusion stopped, the last device used, the lozenge out): monitoring
    starts."""
    require(can_work_the_chair(actor, session.client), CHAIR)
    session = lock_session(session)
    require_status(session, S.DOSING)
    check_time(
        ended_at,
        field="ended_at",
        not_before=session.dose_started_at,
        not_before_what=_("the dose"),
    )
    session.dose_ended_at = ended_at
    session.save(update_fields=["dose_ended_at"])
    session.administrations.filter(kind=AdministrationKind.DOSE, route=Route.IV).update(
        stopped_at=ended_at
    )
    return transition_session(actor=actor, session=session, to=S.MONITORING, at=ended_at)


@transaction.atomic
def abort_session(
    *, actor: Actor, session: DosingSession, reason: str, at: dt.datetime | None = None
):
    """Stop the session from any step that is not final, with the reason. A running infusion
    is recorded as stopped at that moment; drug left in it is wasted separately, witnessed."""
    require(can_work_the_chair(actor, session.client), CHAIR)
    session = lock_session(session)
    at = check_time(at or timezone.now(), field="aborted_at")
    if session.is_final:
        raise ValidationError(_("The session has already ended."))
    if session.status == S.DOSING:
        session.administrations.filter(
            kind=AdministrationKind.DOSE, route=Route.IV, stopped_at__isnull=True
        ).update(stopped_at=at)
    return _end_aborted(actor, session, reason, at)


def _end_aborted(actor: Actor, session: DosingSession, reason: str, at: dt.datetime):
    """The locked session ended early, with the reason kept on it and in its history."""
    if not reason.strip():
        raise ValidationError({"reason": _("Give a reason.")})
    session.aborted_at, session.abort_reason = at, reason.strip()
    session.save(update_fields=["aborted_at", "abort_reason"])
    return transition_session(actor=actor, session=session, to=S.ABORTED, reason=reason, at=at)
