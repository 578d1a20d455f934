"""Demo data for the pathway: clients at every stage, from a new inquiry to a completed course.
Loaded by kapcare.home.demo (make run); idempotent — a client that has a course is left alone."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.utils import timezone

from kapcare.accounts.actor import Actor
from kapcare.accounts.models import Clinic, User
from kapcare.clients.models import Client, Inquiry
from kapcare.clients.services.pathway import save_intake
from kapcare.consent.services import ensure_document, sign_consent, text_sha256
from kapcare.courses.models import CourseStatus, NoteKind
from kapcare.courses.services import open_course, transition_course
from kapcare.courses.services.notes import create_note, sign_note
from kapcare.dosing.models import DosingSession, DosingStatus
from kapcare.screening.services import ensure_protocol, review_screening, run_screening

INTAKE = {
    "conditions": [],
    "medical_history_notes": "",
    "psychiatric_history_notes": "Major depressive disorder, recurrent; two adequate SSRI trials.",
    "current_medications": "sertraline 150 mg daily",
    "allergies": "none known",
    "substance_use": "",
    "pregnancy_status": "not_applicable",
    "suicide_risk": "low",
    "baseline_systolic": 124,
    "baseline_diastolic": 80,
    "baseline_heart_rate": 72,
    "weight_kg": Decimal("70.0"),
}

PREPARATION = {
    "psychoeducation_given": True,
    "intentions": "To loosen the grip of the heaviness and be present with my kids.",
    "concerns_expectations": "Nervous about feeling out of control; hopes for relief.",
    "mindfulness_practice": "Box breathing; noticing the breath when anxious.",
    "safety_warning_signs": "Stops sleeping, cancels plans, thoughts of being a burden.",
    "safety_coping_steps": "Walk outside, call a friend, breathing practice.",
    "safety_contacts": "Partner; therapist's office line.",
    "safety_crisis_line": "988 Suicide & Crisis Lifeline",
    "escort_name": "Partner",
    "ride_home_plan": "Partner drives home and stays for the evening.",
    "fasting_instructions_given": True,
}

# Which stage each demo client (by position in the demo list) reaches.
STAGES = [
    "active",
    "preparation",
    "awaiting_consent",
    "review",
    "excluded",
    "active_overdue",
    "screening",
    "paused",
    "completed",
    "active",
    "preparation",
    "awaiting_consent",
    "active_overdue",
    "discontinued",
    "review",
    "active",
    "screening",
    "preparation",
]

INQUIRIES = [
    (
        "Morgan",
        "Ellis",
        "morgan.ellis@example.com",
        "",
        "email",
        "I've tried three antidepressants and I'm exhausted. A friend mentioned KAP.",
    ),
    (
        "Riya",
        "Chandran",
        "",
        "(503) 555-0188",
        "phone",
        "PTSD after a car accident; talk therapy has helped some, hoping for more.",
    ),
    (
        "Theo",
        "Brandt",
        "theo.b@example.com",
        "(503) 555-0172",
        "text",
        "Curious whether this could help with OCD.",
    ),
]


def load_pathway_demo(clinic: Clinic, staff: dict[str, User]) -> None:
    ensure_protocol(clinic=clinic)
    document = ensure_document(clinic=clinic)
    actors = {key: Actor.for_user(user, clinic) for key, user in staff.items()}
    for first, last, email, phone, method, hopes in INQUIRIES:
        Inquiry.objects.get_or_create(
            clinic=clinic,
            first_name=first,
            last_name=last,
            defaults={
                "email": email,
                "phone": phone,
                "preferred_contact": method,
                "hopes": hopes,
                "consent_to_contact": True,
            },
        )
    clients = Client.objects.filter(clinic=clinic).order_by("id")
    for client, stage in zip(clients, STAGES, strict=False):
        if client.courses.exists():
            continue
        therapist_key = (
            "therapist"
            if client.care_team.filter(user=staff["therapist"]).exists()
            else "therapist2"
        )
        _walk(client, stage, actors, actors[therapist_key], document)


def _walk(client, stage, actors, therapist, document):
    prescriber = actors["prescriber"]
    course = open_course(actor=actors["frontdesk"], client=client, condition=_condition(client.pk))
    if stage == "screening":
        return
    intake = dict(INTAKE)
    if stage == "review":
        intake.update(
            current_medications="sertraline 150 mg daily\nlorazepam 0.5 mg as needed",
            baseline_systolic=146,
            baseline_diastolic=88,
        )
    if stage == "excluded":
        intake.update(conditions=["psychosis_current"], suicide_risk="moderate")
    save_intake(actor=therapist, client=client, data=intake)
    screening = run_screening(actor=therapist, course=course)
    if stage in ("review", "excluded"):
        return
    if screening.outcome == "review":
        review_screening(
            actor=prescriber,
            screening=screening,
            approve=True,
            reason="Reviewed; benefits outweigh risks.",
            signature_name=prescriber.user.full_name,
        )
    if stage == "awaiting_consent":
        return
    sign_consent(
        actor=actors["frontdesk"],
        client=client,
        document=document,
        typed_name=client.full_name,
        agreed=True,
        shown_sha256=text_sha256(document),
        witnessed=True,
    )
    if stage == "preparation":
        create_note(
            actor=therapist,
            course=course,
            kind=NoteKind.PREPARATION,
            session_date=course.clinic.today(),
            content={**PREPARATION, "ride_home_plan": ""},
        )
        return
    note = create_note(
        actor=therapist,
        course=course,
        kind=NoteKind.PREPARATION,
        session_date=course.clinic.today() - dt.timedelta(days=21),
        content=PREPARATION,
    )
    sign_note(actor=therapist, note=note)
    _dosing_history(course, therapist, overdue=stage == "active_overdue")
    if stage == "paused":
        transition_course(
            actor=therapist,
            course=course,
            to=CourseStatus.PAUSED,
            reason="Client travelling for three weeks.",
        )
    elif stage == "completed":
        transition_course(actor=therapist, course=course, to=CourseStatus.COMPLETED)
    elif stage == "discontinued":
        transition_course(
            actor=therapist,
            course=course,
            to=CourseStatus.DISCONTINUED,
            reason="Client chose to stop after session 2.",
        )


def _dosing_history(course, therapist, *, overdue: bool) -> None:
    now = timezone.now()
    days_ago = [14, 7, 4] if overdue else [14, 7, 1]
    for number, days in enumerate(days_ago, start=1):
        dosed = now - dt.timedelta(days=days, hours=2)
        session = DosingSession.objects.create(
            clinic=course.clinic,
            client=course.client,
            course=course,
            number=number,
            scheduled_for=dosed,
            status=DosingStatus.DISCHARGED,
            dose_started_at=dosed,
            discharged_at=dosed + dt.timedelta(hours=2),
        )
        if overdue and number == len(days_ago):
            continue  # the integration session for the last dose has not happened
        note = create_note(
            actor=therapist,
            course=course,
            kind=NoteKind.INTEGRATION,
            session_date=timezone.localdate(
                dosed + dt.timedelta(days=1), timezone=ZoneInfo(course.clinic.time_zone)
            ),
            dosing_session_id=session.pk,
            content={
                "insights": "Felt a sense of distance from old self-criticism.",
                "emotions": "Grief, then relief.",
                "body": "Heavy, then light.",
                "intentions_revisited": "Still about presence with family.",
                "daily_life_actions": "Morning walk; one call to a friend a week.",
            },
        )
        sign_note(actor=therapist, note=note)


def _condition(seed: int) -> str:
    return ["depression", "anxiety", "ptsd", "ocd"][seed % 4]
