import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from kapcare.accounts.models import Role
from kapcare.audit.models import AuditEvent
from kapcare.clients.models import ClientStatus
from kapcare.consent.services import ensure_document, publish_document, withdraw_consent
from kapcare.courses.gates import dosing_gates, pathway_complete, pathway_gates, ready_for_dosing
from kapcare.courses.models import ClinicalNote, CourseStatus, NoteKind
from kapcare.courses.services import TransitionRefused, transition_course
from kapcare.courses.services.notes import add_addendum, cosign_note, create_note, update_draft
from tests.pathway import (
    COMPLETE_PREPARATION,
    actor,
    ready_course,
    screened_course,
    sign_current_consent,
    signed_preparation,
)


def _gate(course, key):
    return next(g for g in dosing_gates(course) if g.key == key)


def test_a_benign_pathway_ends_ready_for_dosing_with_every_gate_passing(
    clinic, staff, client_record
):
    course = ready_course(clinic=clinic, staff=staff, client=client_record)

    assert course.status == CourseStatus.ACTIVE
    # The pathway's gates; the dosing app's gates are judged at each dose, at the chair.
    assert all(g.passed for g in pathway_gates(course)), pathway_gates(course)
    statuses = list(course.history.values_list("to_status", flat=True))
    assert statuses == ["screening", "awaiting_consent", "preparation", "active"]


def test_course_waits_for_consent_after_an_eligible_screening(clinic, staff, client_record):
    course, _ = screened_course(clinic=clinic, staff=staff, client=client_record)

    assert course.status == CourseStatus.AWAITING_CONSENT
    assert _gate(course, "eligibility").passed
    assert "not published" in _gate(course, "consent").reason
    ensure_document(clinic=clinic)
    consent = _gate(course, "consent")
    assert not consent.passed and "not signed" in consent.reason


def test_preparation_missing_an_element_keeps_the_course_in_preparation(
    clinic, staff, client_record
):
    course, _ = screened_course(clinic=clinic, staff=staff, client=client_record)
    sign_current_consent(clinic=clinic, staff=staff, client=client_record)
    incomplete = {**COMPLETE_PREPARATION, "ride_home_plan": "", "escort_name": ""}

    signed_preparation(clinic=clinic, staff=staff, course=course, content=incomplete)
    course.refresh_from_db()

    assert course.status == CourseStatus.PREPARATION
    gate = _gate(course, "preparation")
    assert not gate.passed and "ride home" in gate.reason.lower()


def test_withdrawing_consent_fails_the_consent_gate_at_once(clinic, staff, client_record):
    course = ready_course(clinic=clinic, staff=staff, client=client_record)

    withdraw_consent(
        actor=actor(staff["front_desk"], clinic),
        client=client_record,
        requested_via="in_person",
        reason="Changed mind",
        confirmed=True,
    )

    gate = _gate(course, "consent")
    assert not gate.passed and "withdrew" in gate.reason
    assert not ready_for_dosing(course)


def test_a_new_consent_version_requires_re_consent(clinic, staff, client_record):
    course = ready_course(clinic=clinic, staff=staff, client=client_record)

    publish_document(
        clinic=clinic,
        title="KAP consent",
        body="Updated wording. " * 30,
        actor=actor(staff["clinic_admin"], clinic),
    )

    gate = _gate(course, "consent")
    assert not gate.passed and "version 2 is now current" in gate.reason
    sign_current_consent(clinic=clinic, staff=staff, client=client_record)
    assert _gate(course, "consent").passed


def test_pausing_needs_a_reason_and_fails_the_course_gate(clinic, staff, client_record):
    course = ready_course(clinic=clinic, staff=staff, client=client_record)
    therapist = actor(staff["therapist"], clinic)

    with pytest.raises(TransitionRefused, match="reason"):
        transition_course(actor=therapist, course=course, to=CourseStatus.PAUSED, reason="  ")
    transition_course(actor=therapist, course=course, to=CourseStatus.PAUSED, reason="Travelling")

    gate = _gate(course, "course_active")
    assert not gate.passed and gate.reason == "Course status: Paused — Travelling."
    with pytest.raises(TransitionRefused, match="phase it was paused from"):
        transition_course(actor=therapist, course=course, to=CourseStatus.PREPARATION)
    transition_course(actor=therapist, course=course, to=CourseStatus.ACTIVE)
    assert pathway_complete(course)


def test_transitions_outside_the_table_are_refused_with_a_reason(clinic, staff, client_record):
    course, _ = screened_course(clinic=clinic, staff=staff, client=client_record)
    therapist = actor(staff["therapist"], clinic)

    with pytest.raises(TransitionRefused, match="cannot go from"):
        transition_course(actor=therapist, course=course, to=CourseStatus.COMPLETED)
    ensure_document(clinic=clinic)
    with pytest.raises(TransitionRefused, match="not signed"):
        transition_course(actor=therapist, course=course, to=CourseStatus.PREPARATION)


def test_front_desk_cannot_change_a_course(clinic, staff, client_record):
    course, _ = screened_course(clinic=clinic, staff=staff, client=client_record)

    with pytest.raises(PermissionDenied):
        transition_course(
            actor=actor(staff["front_desk"], clinic),
            course=course,
            to=CourseStatus.DISCONTINUED,
            reason="x",
        )


def test_signed_note_cannot_change_through_the_service(clinic, staff, client_record):
    course, _ = screened_course(clinic=clinic, staff=staff, client=client_record)
    note = signed_preparation(clinic=clinic, staff=staff, course=course)

    with pytest.raises(ValidationError, match="signed"):
        update_draft(
            actor=actor(staff["therapist"], clinic),
            note=note,
            session_date=note.session_date,
            content={},
        )
    assert len(note.content_sha256) == 64


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE courses_clinicalnote SET free_text = 'changed' WHERE id = %s",
        "DELETE FROM courses_clinicalnote WHERE id = %s",
    ],
)
def test_signed_note_cannot_change_through_raw_sql(clinic, staff, client_record, statement):
    course, _ = screened_course(clinic=clinic, staff=staff, client=client_record)
    note = signed_preparation(clinic=clinic, staff=staff, course=course)

    with (
        pytest.raises(IntegrityError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(statement, [note.pk])
    assert ClinicalNote.objects.get(pk=note.pk).free_text == ""


def test_drafts_stay_editable_through_raw_sql_and_services(clinic, staff, client_record):
    course, _ = screened_course(clinic=clinic, staff=staff, client=client_record)
    note = create_note(
        actor=actor(staff["therapist"], clinic),
        course=course,
        kind=NoteKind.PROGRESS,
        session_date=course.clinic.today(),
        free_text="a",
    )

    with connection.cursor() as cursor:
        cursor.execute("UPDATE courses_clinicalnote SET free_text = 'b' WHERE id = %s", [note.pk])
    assert ClinicalNote.objects.get(pk=note.pk).free_text == "b"


def test_addenda_are_kept_in_order_and_cosignature_needs_another_clinician(
    clinic, staff, client_record
):
    course, _ = screened_course(clinic=clinic, staff=staff, client=client_record)
    note = signed_preparation(clinic=clinic, staff=staff, course=course)
    therapist, prescriber = actor(staff["therapist"], clinic), actor(staff["prescriber"], clinic)

    add_addendum(actor=therapist, note=note, text="First correction")
    add_addendum(actor=prescriber, note=note, text="Second remark")
    with pytest.raises(PermissionDenied):
        cosign_note(actor=therapist, note=note)
    cosign_note(actor=prescriber, note=note)

    assert list(note.addenda.values_list("text", flat=True)) == [
        "First correction",
        "Second remark",
    ]
    assert note.cosignatures.get().content_sha256 == note.content_sha256


def test_process_notes_are_encrypted_and_private_to_their_author(clinic, staff, client_record):
    from kapcare.courses.selectors import notes_for_course

    course, _ = screened_course(clinic=clinic, staff=staff, client=client_record)
    secret = "Client spoke about their father for the first time."
    note = create_note(
        actor=actor(staff["therapist"], clinic),
        course=course,
        kind=NoteKind.PROCESS,
        session_date=course.clinic.today(),
        process_text=secret,
    )

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT encrypted_text, content, free_text FROM courses_clinicalnote WHERE id = %s",
            [note.pk],
        )
        stored = " ".join(str(v) for v in cursor.fetchone())
    assert "father" not in stored
    assert note in notes_for_course(course, staff["therapist"])
    assert note not in notes_for_course(course, staff["prescriber"])


def test_only_a_therapist_on_the_team_writes_session_notes(clinic, staff, client_record):
    course, _ = screened_course(clinic=clinic, staff=staff, client=client_record)

    with pytest.raises(PermissionDenied):
        create_note(
            actor=actor(staff["nurse"], clinic),
            course=course,
            kind=NoteKind.PROGRESS,
            session_date=course.clinic.today(),
            free_text="x",
        )


def test_session_dates_in_the_future_are_refused(clinic, staff, client_record):
    course, _ = screened_course(clinic=clinic, staff=staff, client=client_record)

    with pytest.raises(ValidationError) as error:
        create_note(
            actor=actor(staff["therapist"], clinic),
            course=course,
            kind=NoteKind.PROGRESS,
            session_date=course.clinic.today() + timezone.timedelta(days=1),
            free_text="x",
        )
    assert "session_date" in error.value.message_dict
    assert not ClinicalNote.objects.exists()


def test_each_transition_is_audited(clinic, staff, client_record):
    ready_course(clinic=clinic, staff=staff, client=client_record)

    changes = AuditEvent.objects.filter(
        client=client_record, object_type="treatmentcourse", action="update"
    )
    assert changes.count() == 3


def test_integration_overdue_lists_sessions_past_their_window(clinic, staff, client_record):
    from kapcare.dosing.integration_selectors import integration_overdue
    from kapcare.dosing.models import DosingSession

    course = ready_course(clinic=clinic, staff=staff, client=client_record)
    now = timezone.now()
    old = DosingSession.objects.create(
        clinic=clinic,
        client=client_record,
        course=course,
        number=1,
        status="discharged",
        scheduled_for=now - timezone.timedelta(hours=80),
        discharged_at=now - timezone.timedelta(hours=73),
    )
    DosingSession.objects.create(
        clinic=clinic,
        client=client_record,
        course=course,
        number=2,
        status="discharged",
        scheduled_for=now - timezone.timedelta(hours=30),
        discharged_at=now - timezone.timedelta(hours=24),
    )

    overdue = integration_overdue(clinic_id=clinic.pk, at=now)
    assert [s.pk for s in overdue] == [old.pk]
    assert integration_overdue(clinic_id=clinic.pk, at=now, member=staff["therapist"])
    create_note(
        actor=actor(staff["therapist"], clinic),
        course=course,
        kind=NoteKind.INTEGRATION,
        session_date=course.clinic.today(),
        dosing_session_id=old.pk,
        content={"insights": "x"},
    )
    assert integration_overdue(clinic_id=clinic.pk, at=now) == []
    assert Role.THERAPIST


def test_a_prospective_client_is_in_care_once_the_course_reaches_preparation(
    clinic, staff, client_record
):
    client_record.status = ClientStatus.PROSPECTIVE
    client_record.save(update_fields=["status"])
    course, _ = screened_course(clinic=clinic, staff=staff, client=client_record)
    client_record.refresh_from_db()
    assert course.status == CourseStatus.AWAITING_CONSENT
    assert client_record.status == ClientStatus.PROSPECTIVE  # eligible, not yet consented

    sign_current_consent(clinic=clinic, staff=staff, client=client_record)

    client_record.refresh_from_db()
    assert client_record.status == ClientStatus.ACTIVE
    event = AuditEvent.objects.filter(client=client_record, summary__contains="in care").get()
    assert event.actor == staff["front_desk"]  # whoever's action moved the course on


def test_a_client_on_hold_is_not_put_back_in_care_by_the_course(clinic, staff, client_record):
    client_record.status = ClientStatus.ON_HOLD
    client_record.save(update_fields=["status"])

    ready_course(clinic=clinic, staff=staff, client=client_record)

    client_record.refresh_from_db()
    assert client_record.status == ClientStatus.ON_HOLD


def test_the_course_gate_names_the_phase_and_repeats_only_a_pause_reason(
    clinic, staff, client_record
):
    course, _ = screened_course(clinic=clinic, staff=staff, client=client_record)
    sign_current_consent(clinic=clinic, staff=staff, client=client_record)
    course.refresh_from_db()

    assert course.status == CourseStatus.PREPARATION
    # The automatic move recorded "Requirements met", which would explain nothing here.
    assert _gate(course, "course_active").reason == "Course status: Preparation."
