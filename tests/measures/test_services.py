"""Recording responses, schedules and instrument administration through the services."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from kapcare.accounts.actor import Actor
from kapcare.audit.models import AuditEvent
from kapcare.courses.models import TreatmentCourse
from kapcare.measures import services
from kapcare.measures.definitions import shipped_definitions
from kapcare.measures.models import (
    AssignmentStatus,
    InstrumentDefinition,
    MeasureAssignment,
    Response,
    ResponseSource,
    Timepoint,
)
from kapcare.measures.services import instruments as instrument_services
from kapcare.measures.services.schedules import sync_schedules
from tests.factories import ClientFactory
from tests.measures.conftest import add_session, phq9


def record(actor, client, definition, answers, **kw):
    return services.record_response(
        actor=actor, client=client, definition=definition, answers=answers, **kw
    )


def test_shipped_instruments_loaded_once_per_clinic(clinic, other_clinic):
    assert len(instrument_services.ensure_shipped_instruments(clinic=clinic)) == 6
    assert instrument_services.ensure_shipped_instruments(clinic=clinic) == []
    assert len(instrument_services.ensure_shipped_instruments(clinic=other_clinic)) == 6
    assert InstrumentDefinition.objects.filter(clinic=clinic, is_active=True).count() == 6


def test_staff_response_scored_and_stored(instruments, therapist_actor, client_record, course):
    response = record(therapist_actor, client_record, instruments["phq9"], phq9(12))
    assert (response.status, response.total, response.band, response.source) == (
        "complete",
        12,
        "moderate",
        ResponseSource.STAFF,
    )
    assert response.instrument_code == "phq9" and response.course == course
    assert response.scoring_params["item9_alert_threshold"] == 1
    assert AuditEvent.objects.filter(object_type="response", object_id=str(response.pk)).exists()


def test_out_of_range_answer_rejected_at_its_item_and_nothing_saved(
    instruments, therapist_actor, client_record, course
):
    with pytest.raises(ValidationError) as raised:
        record(therapist_actor, client_record, instruments["phq9"], phq9(3) | {"4": 7, "2": "x"})
    assert set(raised.value.message_dict) == {"item_4", "item_2"}
    assert not Response.objects.exists()


def test_incomplete_response_has_no_total(instruments, therapist_actor, client_record, course):
    answers = {str(i): 1 for i in range(1, 7)}  # GAD-7 without item 7
    response = record(therapist_actor, client_record, instruments["gad7"], answers)
    assert (response.status, response.total, response.band) == ("incomplete", None, "")


def test_database_refuses_a_total_on_an_incomplete_response(
    instruments, therapist_actor, client_record
):
    with pytest.raises(IntegrityError), transaction.atomic():
        Response.objects.create(
            clinic=client_record.clinic,
            client=client_record,
            instrument=instruments["gad7"],
            instrument_code="gad7",
            timepoint=Timepoint.AD_HOC,
            answers={},
            status="incomplete",
            total=5,
            source=ResponseSource.STAFF,
            entered_by=therapist_actor.user,
        )


def test_responses_are_append_only(instruments, therapist_actor, client_record, course):
    response = record(therapist_actor, client_record, instruments["phq9"], phq9(5))
    with pytest.raises(Exception, match="append-only"), transaction.atomic():
        Response.objects.filter(pk=response.pk).update(total=1)
    with (
        pytest.raises(Exception, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("DELETE FROM measures_response")


def test_front_desk_may_not_enter_measures(instruments, clinic, staff, client_record):
    with pytest.raises(PermissionDenied):
        record(
            Actor.for_user(staff["front_desk"], clinic), client_record, instruments["phq9"], phq9()
        )


def test_clinician_off_the_care_team_may_not_enter(instruments, clinic, therapist_actor):
    stranger = ClientFactory(clinic=clinic)
    with pytest.raises(PermissionDenied):
        record(therapist_actor, stranger, instruments["phq9"], phq9())


def test_another_clinics_definition_refused(
    instruments, other_clinic, therapist_actor, client_record
):
    instrument_services.ensure_shipped_instruments(clinic=other_clinic)
    theirs = InstrumentDefinition.objects.get(clinic=other_clinic, code="phq9")
    with pytest.raises(ValidationError):
        record(therapist_actor, client_record, theirs, phq9())


def test_link_source_needs_loaded_item_text(instruments, client_record, clinic):
    with pytest.raises(ValidationError, match="item text"):
        record(
            Actor.system(clinic),
            client_record,
            instruments["ocir"],
            {str(i): 0 for i in range(1, 19)},
            source=ResponseSource.LINK,
        )


def test_staff_may_enter_unlicensed_instrument_by_item_number(
    instruments, therapist_actor, client_record, course
):
    response = record(
        therapist_actor, client_record, instruments["ocir"], {str(i): 2 for i in range(1, 19)}
    )
    assert response.total == 36 and response.subscales["ocd_only"] == 30


# --- schedules ---


def test_schedule_baseline_pre_dose_and_response_completes_the_due_one(
    instruments, therapist_actor, client_record, course
):
    add_session(course, 1, 2)
    add_session(course, 2, 5)
    sync_schedules(clinic=course.clinic, courses=[course])
    slots = set(MeasureAssignment.objects.values_list("instrument_code", "slot"))
    assert slots == {(c, s) for c in ("phq9", "gad7") for s in ("baseline", "pre_dose:2")}
    response = record(therapist_actor, client_record, instruments["phq9"], phq9(14), course=course)
    baseline = MeasureAssignment.objects.get(instrument_code="phq9", slot="baseline")
    assert response.assignment == baseline and response.timepoint == Timepoint.BASELINE
    assert baseline.status == AssignmentStatus.COMPLETED


def test_schedule_sync_is_idempotent_and_follows_changes(course, instruments):
    session = add_session(course, 1, 2)
    later = add_session(course, 2, 9)
    assert sync_schedules(clinic=course.clinic, courses=[course]) == 4
    assert sync_schedules(clinic=course.clinic, courses=[course]) == 0
    later.scheduled_for += dt.timedelta(days=3)
    later.save(update_fields=["scheduled_for"])
    sync_schedules(clinic=course.clinic, courses=[course])
    moved = MeasureAssignment.objects.get(instrument_code="phq9", slot="pre_dose:2")
    assert moved.due_by == course.clinic.today() + dt.timedelta(days=12)
    # (The dosing app requires a reason for an abort; older schemas had no such field.)
    fields = {f.name for f in type(later)._meta.get_fields()}
    reason = {"abort_reason": "unwell"} if "abort_reason" in fields else {}
    type(later).objects.filter(pk=later.pk).update(status="aborted", **reason)
    sync_schedules(clinic=course.clinic, courses=[course])
    moved.refresh_from_db()
    assert moved.status == AssignmentStatus.CANCELLED
    assert session.pk  # the first session stays the baseline's deadline


def test_completed_course_gets_end_and_follow_ups(course, instruments):
    TreatmentCourse.objects.filter(pk=course.pk).update(
        status="completed", closed_at=timezone.now()
    )
    course.refresh_from_db()
    sync_schedules(clinic=course.clinic, courses=[course])
    slots = set(
        MeasureAssignment.objects.filter(instrument_code="phq9").values_list("slot", flat=True)
    )
    assert slots == {"baseline", "end", "follow_up:1", "follow_up:3", "follow_up:6"}


def test_schedule_sync_bounded_queries(clinic, staff, instruments, django_assert_max_num_queries):
    from tests.factories import put_on_team

    courses = []
    for _ in range(8):
        client = ClientFactory(clinic=clinic)
        put_on_team(client, staff["therapist"], "therapist")
        courses.append(
            TreatmentCourse.objects.create(clinic=clinic, client=client, condition="ptsd")
        )
    # The clinic's settings exist (publishing version 1, with its audit row, is counted once,
    # not per course: see tests/core/test_versioning.py)
    instrument_services.measure_settings(clinic)
    with django_assert_max_num_queries(12):
        sync_schedules(clinic=clinic, courses=courses)
    assert MeasureAssignment.objects.count() == 16


def test_request_measure_makes_an_ad_hoc_assignment_due_today(instruments, therapist_actor, course):
    assignment = services.request_measure(
        actor=therapist_actor, course=course, definition=instruments["cssrs_screener"]
    )
    assert (assignment.timepoint, assignment.due_by) == ("ad_hoc", course.clinic.today())
    second = services.request_measure(
        actor=therapist_actor, course=course, definition=instruments["cssrs_screener"]
    )
    assert second.slot != assignment.slot


def test_answered_assignment_refuses_a_second_response(
    instruments, therapist_actor, client_record, course
):
    assignment = services.request_measure(
        actor=therapist_actor, course=course, definition=instruments["phq9"]
    )
    record(therapist_actor, client_record, instruments["phq9"], phq9(), assignment=assignment)
    with pytest.raises(ValidationError):
        record(therapist_actor, client_record, instruments["phq9"], phq9(), assignment=assignment)


# --- instrument administration ---


def admin_actor(clinic, staff):
    return Actor.for_user(staff["clinic_admin"], clinic)


def custom_definition(version="1"):
    data = next(d for d in shipped_definitions() if d["code"] == "gad7")
    data["version"] = version
    data["title"] = "Clinic GAD-7"
    return data


def test_admin_adds_a_new_version_which_becomes_active(clinic, staff, instruments):
    new = instrument_services.add_definition(
        actor=admin_actor(clinic, staff), data=custom_definition()
    )
    assert new.is_active and new.origin == "clinic"
    assert not InstrumentDefinition.objects.get(pk=instruments["gad7"].pk).is_active
    with pytest.raises(ValidationError):
        instrument_services.add_definition(
            actor=admin_actor(clinic, staff), data=custom_definition()
        )


def test_invalid_definition_refused_with_reasons(clinic, staff, instruments):
    data = custom_definition("2")
    data["scoring"]["bands"][0]["max"] = 3
    with pytest.raises(ValidationError) as raised:
        instrument_services.add_definition(actor=admin_actor(clinic, staff), data=data)
    assert "bands" in str(raised.value.message_dict["definition"])


def test_only_admin_manages_definitions(clinic, staff, instruments, therapist_actor):
    with pytest.raises(PermissionDenied):
        instrument_services.add_definition(actor=therapist_actor, data=custom_definition("3"))


def test_loading_licensed_text_makes_the_instrument_fully_usable(
    clinic, staff, instruments, client_record, course
):
    ocir = instruments["ocir"]
    assert not ocir.has_all_item_text
    with pytest.raises(ValidationError) as raised:
        instrument_services.load_item_text(
            actor=admin_actor(clinic, staff), definition=ocir, texts={"1": "first"}
        )
    assert "2" in raised.value.message_dict
    texts = {str(i): f"Licensed item {i}" for i in range(1, 19)}
    loaded = instrument_services.load_item_text(
        actor=admin_actor(clinic, staff), definition=ocir, texts=texts
    )
    assert loaded.has_all_item_text and loaded.text_for("7") == "Licensed item 7"
    response = record(
        Actor.system(clinic),
        client_record,
        loaded,
        {str(i): 1 for i in range(1, 19)},
        source=ResponseSource.LINK,
    )
    assert response.total == 18


def test_parameter_override_changes_later_scoring(
    clinic, staff, instruments, therapist_actor, client_record
):
    pcl5 = instrument_services.set_parameters(
        actor=admin_actor(clinic, staff), definition=instruments["pcl5"], values={"cutpoint": 31}
    )
    answers = {str(i): 0 for i in range(1, 21)} | {str(i): 4 for i in range(1, 9)}  # 32
    response = record(therapist_actor, client_record, pcl5, answers)
    assert response.flags["provisional_ptsd_cutpoint"] is True
    assert response.scoring_params["cutpoint"] == 31
    with pytest.raises(ValidationError):
        instrument_services.set_parameters(
            actor=admin_actor(clinic, staff), definition=pcl5, values={"cutpoint": 5}
        )


def test_response_fills_the_baseline_even_before_the_schedule_was_shown(
    instruments, therapist_actor, client_record, course
):
    response = record(
        therapist_actor, client_record, instruments["gad7"], {str(i): 1 for i in range(1, 8)}
    )
    assert response.timepoint == Timepoint.BASELINE
    assert response.assignment.slot == "baseline"
