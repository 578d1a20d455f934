"""Demo dosing data for `make run`: the pathway demo's completed sessions gain their orders,
checks, vital signs, ratings and discharges, and one client is in the chair right now —
dosed through the real services (and the ledger) about fifty minutes ago, with readings every
15 minutes and one alert still waiting to be acknowledged. Idempotent: a clinic that has dose
orders is left alone."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from kapcare.accounts.actor import Actor
from kapcare.accounts.models import Clinic, User
from kapcare.courses.models import CourseStatus, TreatmentCourse
from kapcare.courses.states import CLOSED
from kapcare.dosing import services
from kapcare.dosing.gates import product_matches
from kapcare.dosing.models import (
    Administration,
    AdministrationKind,
    Discharge,
    DissociationRating,
    DoseOrder,
    DosingSession,
    DosingStatus,
    PreDoseCheck,
    SessionStatusChange,
    VitalSign,
)
from kapcare.dosing.monitoring_rules import DISCHARGE_CRITERIA
from kapcare.dosing.states import LIVE
from kapcare.ledger.models import EntryKind, LedgerEntry
from kapcare.ledger.selectors import available_lots
from kapcare.measures.demo import answers_for
from kapcare.measures.pre_dose import pre_dose_measures
from kapcare.measures.services import record_response
from kapcare.measures.services.instruments import ensure_shipped_instruments

CHECK = {
    "identity_confirmed": True,
    "fasting_hours": Decimal("7"),
    "weight_kg": Decimal("70.0"),
    "systolic": 124,
    "diastolic": 80,
    "heart_rate": 72,
    "spo2": 98,
    "pregnancy_test": "not_applicable",
    "medication_changes": "",
    "substance_use": "",
    "substance_use_last_24h": False,
    "intentions": "To stay with what comes up, and be kind to myself.",
    "escort_confirmed": True,
    "ride_home_confirmed": True,
    "phq9_done": True,
    "gad7_done": True,
    "phq9_item9": 0,
}
# Minutes after dose start, systolic, diastolic, heart rate: a typical rise and settling.
CURVE = [
    (15, 138, 86, 80),
    (30, 146, 90, 84),
    (45, 142, 88, 82),
    (60, 134, 84, 78),
    (90, 128, 82, 74),
    (105, 126, 80, 72),
]


def load_dosing_demo(clinic: Clinic, staff: dict[str, User]) -> None:
    if DoseOrder.objects.filter(clinic=clinic).exists():
        return
    with transaction.atomic():
        nurse = Actor.for_user(staff["nurse"], clinic)
        prescriber = Actor.for_user(staff["prescriber"], clinic)
        courses = list(
            TreatmentCourse.objects.filter(clinic=clinic, status=CourseStatus.ACTIVE)
            .select_related("client")
            .order_by("id")
        )
        for index, course in enumerate(courses):
            if 1 <= index < 4:
                _completed_history(course, staff, prescriber)
            else:
                _link_history_to_an_order(course, prescriber)
        closed = TreatmentCourse.objects.filter(clinic=clinic).exclude(status=CourseStatus.ACTIVE)
        for course in closed.select_related("client").order_by("id"):
            _link_history_to_an_order(course, prescriber)
        if courses:
            _in_the_chair(courses[0], staff, nurse, prescriber)


def _order(course, prescriber, *, sessions_authorised: int = 6, **fields) -> DoseOrder:
    return services.sign_dose_order(
        actor=prescriber,
        course=course,
        sessions_authorised=sessions_authorised,
        valid_until=course.clinic.today() + dt.timedelta(days=30),
        signature_name=prescriber.user.full_name,
        instructions="Ondansetron 4 mg ODT 30 min before if nauseous last time.",
        **fields,
    )


def _dosed_history(course) -> list[DosingSession]:
    return list(
        course.dosing_sessions.filter(status=DosingStatus.DISCHARGED, dose_started_at__isnull=False)
    )


def _link_history_to_an_order(course, prescriber) -> DoseOrder | None:
    """The order the pathway demo's dosed sessions were given under: signed the day before
    the first of them and linked to each, so its "sessions used" counts them."""
    sessions = _dosed_history(course)
    if not sessions:
        return None
    given = LedgerEntry.objects.filter(
        dosing_session_id__in=[s.pk for s in sessions], kind=EntryKind.ADMINISTRATION
    )
    dose_mg = -given[0].quantity_mg if given else Decimal("70")
    fields = {
        "product": "racemic",
        "route": "im",
        "dose_mg": dose_mg,
        "sessions_authorised": max(6, len(sessions)),
    }
    if course.status in CLOSED:
        # A finished course takes no new orders through the service; its old one is history.
        order = DoseOrder.objects.create(
            clinic=course.clinic,
            client=course.client,
            course=course,
            valid_until=timezone.localdate(
                max(s.dose_started_at for s in sessions), course.clinic.zone
            ),
            protocol=services.ensure_dosing_protocol(clinic=course.clinic),
            signed_by=prescriber.user,
            signature_name=prescriber.user.full_name,
            **fields,
        )
    else:
        order = _order(course, prescriber, **fields)
    DoseOrder.objects.filter(pk=order.pk).update(
        signed_at=min(s.dose_started_at for s in sessions) - dt.timedelta(days=1)
    )
    DosingSession.objects.filter(pk__in=[s.pk for s in sessions]).update(dose_order=order)
    return order


def _completed_history(course, staff, prescriber) -> None:
    """Details for sessions the pathway demo recorded only as discharged."""
    sessions = _dosed_history(course)
    order = _link_history_to_an_order(course, prescriber)
    if order is None:
        return
    protocol = services.ensure_dosing_protocol(clinic=course.clinic)
    nurse, therapist = staff["nurse"], _therapist_of(course)
    for session in sessions:
        start = session.dose_started_at
        DosingSession.objects.filter(pk=session.pk).update(
            protocol=protocol,
            dose_order=order,
            checked_in_at=start - dt.timedelta(minutes=30),
            dose_ended_at=start + dt.timedelta(minutes=5),
        )
        steps = [
            ("", "scheduled", start - dt.timedelta(days=2)),
            ("scheduled", "checked_in", start - dt.timedelta(minutes=30)),
            ("checked_in", "pre_dose_checks", start - dt.timedelta(minutes=20)),
            ("pre_dose_checks", "dosing", start),
            ("dosing", "monitoring", start + dt.timedelta(minutes=5)),
            ("monitoring", "discharged", session.discharged_at),
        ]
        SessionStatusChange.objects.bulk_create(
            SessionStatusChange(
                session=session, from_status=a, to_status=b, changed_by=nurse, changed_at=t
            )
            for a, b, t in steps
        )
        PreDoseCheck.objects.create(
            clinic=course.clinic,
            session=session,
            recorded_at=start - dt.timedelta(minutes=20),
            recorded_by=nurse,
            **CHECK,
        )
        VitalSign.objects.bulk_create(
            VitalSign(
                clinic=course.clinic,
                session=session,
                recorded_at=start + dt.timedelta(minutes=m),
                recorded_by=nurse,
                systolic=s,
                diastolic=d,
                heart_rate=hr,
                spo2=98,
                sedation=4 if m <= 30 else 5,
            )
            for m, s, d, hr in CURVE
        )
        DissociationRating.objects.create(
            clinic=course.clinic,
            session=session,
            rated_at=start + dt.timedelta(minutes=40),
            rated_by=therapist,
            scale="clinician_0_4",
            score=2,
            max_score=4,
            note="Eyes closed, drifting; answers slowly but clearly.",
        )
        entry = LedgerEntry.objects.filter(
            dosing_session_id=session.pk, kind=EntryKind.ADMINISTRATION
        ).first()
        waste = LedgerEntry.objects.filter(
            dosing_session_id=session.pk, kind=EntryKind.WASTE
        ).first()
        if entry is not None:
            Administration.objects.create(
                clinic=course.clinic,
                session=session,
                kind=AdministrationKind.DOSE,
                administered_by=nurse,
                started_at=start,
                route="im",
                site="left_deltoid",
                amount_mg=-entry.quantity_mg,
                lot=entry.lot,
                location=entry.location,
                units_opened=1,
                waste_mg=-waste.quantity_mg if waste else Decimal(0),
                ledger_entry=entry,
                waste_entry=waste,
            )
        Discharge.objects.create(
            clinic=course.clinic,
            session=session,
            discharged_at=session.discharged_at,
            discharged_by=nurse,
            observed_minutes=int((session.discharged_at - start).total_seconds() // 60),
            min_observation_minutes=protocol.min_observation_minutes_im,
            summary="Peak BP 146/90 at 30 min, settled by 90 min. No adverse events. Walked out with partner.",
            aftercare_instructions=protocol.aftercare_instructions,
            **dict.fromkeys(DISCHARGE_CRITERIA, True),
        )


def _in_the_chair(course, staff, nurse, prescriber) -> None:
    """A session today, dosed about fifty minutes ago, monitored every 15 minutes."""
    if course.dosing_sessions.filter(status__in=LIVE).exists():
        return
    now = timezone.now()
    start = now - dt.timedelta(minutes=50)
    order = _order(
        course,
        prescriber,
        product="racemic",
        route="iv",
        dose_mg_per_kg=Decimal("0.5"),
        infusion_minutes=40,
    )
    session = services.schedule_session(
        actor=nurse, course=course, scheduled_for=start - dt.timedelta(minutes=30)
    )
    services.check_in(actor=nurse, session=session, at=start - dt.timedelta(minutes=30))
    _pre_session_questionnaires(session, course, session.scheduled_for - dt.timedelta(minutes=10))
    services.record_pre_dose_check(
        actor=nurse, session=session, data=CHECK, recorded_at=start - dt.timedelta(minutes=15)
    )
    stock = [
        o
        for o in available_lots(clinic_id=course.clinic_id)
        if product_matches(order, o.lot.product)
    ]
    dose = Decimal("35.0")  # 0.5 mg/kg × 70 kg
    stock = [o for o in stock if o.balance_mg >= o.lot.product.mg_per_unit]
    if not stock:
        return  # no ledger stock in this demo: the client waits at the pre-dose step
    services.administer_dose(
        actor=nurse,
        session=session,
        lot=stock[0].lot,
        location=stock[0].location,
        amount_mg=dose,
        started_at=start,
        site="left_arm",
        witness=staff["prescriber"],
    )
    services.complete_dosing(
        actor=nurse, session=session, ended_at=start + dt.timedelta(minutes=40)
    )
    for minutes, systolic, diastolic, heart_rate in CURVE[:3]:
        services.record_vitals(
            actor=nurse,
            session=session,
            recorded_at=start + dt.timedelta(minutes=minutes),
            values={
                "systolic": systolic + (22 if minutes == 45 else 0),
                "diastolic": diastolic,
                "heart_rate": heart_rate,
                "spo2": 97,
                "sedation": 4,
            },
        )
    services.rate_dissociation(
        actor=Actor.for_user(_therapist_of(course), course.clinic),
        session=session,
        rated_at=start + dt.timedelta(minutes=40),
        score=2,
        note="Quiet, eyes closed; smiled once.",
    )


def _pre_session_questionnaires(session, course, at) -> None:
    """The questionnaires the schedule asks for before today's dose, filled in on arrival
    (the dose gate asks Measures for them)."""
    ensure_shipped_instruments(clinic=course.clinic)
    therapist = Actor.for_user(_therapist_of(course), course.clinic)
    for measure in pre_dose_measures(session, timezone.now()):
        if not measure.done and measure.definition is not None:
            record_response(
                actor=therapist,
                client=course.client,
                definition=measure.definition,
                answers=answers_for(measure.definition, 6),
                course=course,
                completed_at=at,
            )


def _therapist_of(course) -> User:
    member = course.client.care_team.filter(role="therapist").select_related("user").first()
    return member.user
