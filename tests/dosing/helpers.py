"""Walk a dosing session along through the real services: stock, order, check-in, checks."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.utils import timezone

from kapcare.courses.models import TreatmentCourse
from kapcare.dosing import services
from kapcare.ledger.models import DosageForm, Location, LocationKind, Product, UnitLabel
from kapcare.ledger.services import receive_stock
from tests.pathway import actor, ready_course

# A check that passes every default threshold (FACTS.md §4.3) for an IV dose.
GOOD_CHECK = {
    "identity_confirmed": True,
    "fasting_hours": Decimal("8"),
    "weight_kg": Decimal("72.0"),
    "systolic": 124,
    "diastolic": 78,
    "heart_rate": 72,
    "spo2": 98,
    "pregnancy_test": "not_applicable",
    "medication_changes": "",
    "substance_use": "",
    "substance_use_last_24h": False,
    "intentions": "To meet the heaviness with curiosity.",
    "escort_confirmed": True,
    "ride_home_confirmed": True,
    "phq9_done": True,
    "gad7_done": True,
    "phq9_item9": 0,
}


def ago(minutes: float) -> dt.datetime:
    return timezone.now() - dt.timedelta(minutes=minutes)


def products(clinic) -> dict:
    """A 500 mg ketamine vial (50 mg/mL × 10 mL), a 28 mg esketamine device, a safe."""
    vial = Product.objects.create(
        clinic=clinic,
        name="Ketamine HCl 50 mg/mL",
        dosage_form=DosageForm.INJECTABLE,
        concentration_mg_per_ml=Decimal("50"),
        volume_ml_per_unit=Decimal("10"),
        mg_per_unit=Decimal("500"),
        unit_label=UnitLabel.VIAL,
        routes=["iv", "im"],
    )
    device = Product.objects.create(
        clinic=clinic,
        name="Spravato 28 mg device",
        is_esketamine=True,
        dosage_form=DosageForm.NASAL_SPRAY,
        mg_per_unit=Decimal("28"),
        unit_label=UnitLabel.DEVICE,
        routes=["intranasal"],
    )
    safe = Location.objects.create(clinic=clinic, name="Safe", kind=LocationKind.SAFE)
    return {"vial": vial, "device": device, "safe": safe}


def receive(clinic, staff, product, location, mg, lot_number="K100", expires_in_days=365):
    entry = receive_stock(
        actor=actor(staff["nurse"], clinic),
        product=product,
        lot_number=lot_number,
        ndc="0000-0000-00",
        expires_on=clinic.today() + dt.timedelta(days=expires_in_days),
        supplier_name="Harbor Pharma",
        location=location,
        quantity_mg=Decimal(mg),
        reference="INV-1",
    )
    return entry.lot


def iv_order(clinic, staff, course, **overrides):
    prescriber = staff["prescriber"]
    fields = {
        "product": "racemic",
        "route": "iv",
        "dose_mg_per_kg": Decimal("0.5"),
        "infusion_minutes": 40,
        "sessions_authorised": 6,
        "valid_until": clinic.today() + dt.timedelta(days=30),
        "signature_name": prescriber.full_name,
        **overrides,
    }
    return services.sign_dose_order(actor=actor(prescriber, clinic), course=course, **fields)


def questionnaires(clinic, staff, client, course, *, at=None, codes=("phq9", "gad7"), item9=0):
    """The pre-session questionnaires the schedule asks for (a depression course: PHQ-9 and
    GAD-7), entered in Measures by the therapist through the real service."""
    from kapcare.measures.demo import answers_for
    from kapcare.measures.models import InstrumentDefinition
    from kapcare.measures.services import record_response
    from kapcare.measures.services.instruments import ensure_shipped_instruments

    ensure_shipped_instruments(clinic=clinic)
    out = {}
    for code in codes:
        definition = InstrumentDefinition.objects.get(clinic=clinic, code=code, is_active=True)
        out[code] = record_response(
            actor=actor(staff["therapist"], clinic),
            client=client,
            definition=definition,
            answers=answers_for(definition, 3, item9=item9 if code == "phq9" else 0),
            course=course,
            completed_at=at,
        )
    return out


def chair(
    clinic,
    staff,
    client,
    *,
    checked_minutes_ago=30,
    order=True,
    stock=True,
    check=None,
    measures=True,
):
    """A ready course, an IV order, stock, and a session checked in with passing checks (and
    the pre-session questionnaires in Measures, just before the checks)."""
    course = ready_course(clinic=clinic, staff=staff, client=client)
    # The session below is backdated by hours; a course opened "now" would then begin after its
    # own questionnaires whenever the clinic's local midnight falls in between (the baseline
    # opens on the course's first day). Opened yesterday, the story holds at any hour.
    TreatmentCourse.objects.filter(pk=course.pk).update(opened_at=ago(24 * 60))
    course.refresh_from_db()
    kit = products(clinic)
    lot = receive(clinic, staff, kit["vial"], kit["safe"], 2500) if stock else None
    if order:
        iv_order(clinic, staff, course)
    nurse = actor(staff["nurse"], clinic)
    session = services.schedule_session(actor=nurse, course=course, scheduled_for=ago(60))
    services.check_in(actor=nurse, session=session, at=ago(checked_minutes_ago + 5))
    if measures:
        questionnaires(clinic, staff, client, course, at=ago(checked_minutes_ago + 2))
    if check is not False:
        services.record_pre_dose_check(
            actor=nurse,
            session=session,
            data={**GOOD_CHECK, **(check or {})},
            recorded_at=ago(checked_minutes_ago),
        )
    session.refresh_from_db()
    return {"course": course, "session": session, "lot": lot, "kit": kit, "nurse": nurse}


def give_dose(clinic, staff, ctx, *, minutes_ago=20, witness=None):
    """Administer today's dose (36 mg for 72 kg at 0.5 mg/kg), the rest of the vial wasted."""
    return services.administer_dose(
        actor=ctx["nurse"],
        session=ctx["session"],
        lot=ctx["lot"],
        location=ctx["kit"]["safe"],
        amount_mg=Decimal("36.0"),
        started_at=ago(minutes_ago),
        site="left_arm",
        witness=witness or staff["prescriber"],
    )


def in_monitoring(clinic, staff, client_record) -> dict:
    """A session dosed 100 minutes ago, in monitoring, with a high systolic reading 30 minutes
    ago (so one open alert)."""
    ctx = chair(clinic, staff, client_record, checked_minutes_ago=110)
    give_dose(clinic, staff, ctx, minutes_ago=100)
    services.complete_dosing(actor=ctx["nurse"], session=ctx["session"], ended_at=ago(60))
    services.record_vitals(
        actor=ctx["nurse"],
        session=ctx["session"],
        recorded_at=ago(30),
        values={"systolic": 184, "diastolic": 92},
    )
    ctx["session"].refresh_from_db()
    return ctx


def field_time(clinic, when: dt.datetime) -> str:
    """`when` as a datetime-local field shows it: the clinic's wall-clock time."""
    return timezone.localtime(when, ZoneInfo(clinic.time_zone)).strftime("%Y-%m-%dT%H:%M")


def totp_for(user) -> str:
    """The code the user's authenticator shows now (for a witness typing it in)."""
    import time

    from django_otp.oath import TOTP
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.get(user=user, confirmed=True)
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time()
    return f"{totp.token():0{device.digits}d}"
