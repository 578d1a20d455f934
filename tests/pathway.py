"""Helpers that walk a client along the pathway through the real services."""

from decimal import Decimal

from kapcare.accounts.actor import Actor
from kapcare.clients.services.pathway import save_intake
from kapcare.consent.services import ensure_document, sign_consent, text_sha256
from kapcare.courses.models import NoteKind
from kapcare.courses.services import open_course
from kapcare.courses.services.notes import create_note, sign_note
from kapcare.screening.services import run_screening

BENIGN_INTAKE = {
    "conditions": [],
    "medical_history_notes": "",
    "psychiatric_history_notes": "Recurrent depression since age 20.",
    "current_medications": "sertraline 100 mg daily",
    "allergies": "",
    "substance_use": "",
    "pregnancy_status": "not_applicable",
    "suicide_risk": "low",
    "baseline_systolic": 122,
    "baseline_diastolic": 78,
    "baseline_heart_rate": 70,
    "weight_kg": Decimal("72.5"),
}

COMPLETE_PREPARATION = {
    "psychoeducation_given": True,
    "intentions": "To feel less stuck and reconnect with my family.",
    "concerns_expectations": "Worried about losing control.",
    "mindfulness_practice": "Box breathing, body scan.",
    "safety_warning_signs": "Not sleeping, withdrawing.",
    "safety_coping_steps": "Call sister, walk, breathing.",
    "safety_contacts": "Sister Maya 555-0101",
    "safety_crisis_line": "988",
    "escort_name": "Maya",
    "ride_home_plan": "Maya drives.",
    "fasting_instructions_given": True,
}


def actor(user, clinic) -> Actor:
    return Actor.for_user(user, clinic)


def screened_course(*, clinic, staff, client, intake=None):
    """A course whose screening ran on `intake` (benign by default)."""
    therapist = actor(staff["therapist"], clinic)
    course = open_course(actor=therapist, client=client, condition="depression")
    save_intake(actor=therapist, client=client, data={**BENIGN_INTAKE, **(intake or {})})
    screening = run_screening(actor=therapist, course=course)
    course.refresh_from_db()
    return course, screening


def sign_current_consent(*, clinic, staff, client):
    document = ensure_document(clinic=clinic)
    return sign_consent(
        actor=actor(staff["front_desk"], clinic),
        client=client,
        document=document,
        typed_name=client.full_name,
        agreed=True,
        shown_sha256=text_sha256(document),
        witnessed=True,
    )


def signed_preparation(*, clinic, staff, course, content=None):
    therapist = actor(staff["therapist"], clinic)
    note = create_note(
        actor=therapist,
        course=course,
        kind=NoteKind.PREPARATION,
        session_date=course.clinic.today(),
        content=content or COMPLETE_PREPARATION,
    )
    return sign_note(actor=therapist, note=note)


def ready_course(*, clinic, staff, client):
    """A course that has passed every pathway gate."""
    course, _ = screened_course(clinic=clinic, staff=staff, client=client)
    sign_current_consent(clinic=clinic, staff=staff, client=client)
    signed_preparation(clinic=clinic, staff=staff, course=course)
    course.refresh_from_db()
    return course
