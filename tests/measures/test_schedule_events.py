"""Measure schedules follow the events that change them, so pages only read them: a course
opened or changing status, a dosing session scheduled or ending, new schedule settings (in the
background), and the daily catch-up for whatever changed some other way. After each event the
schedule is what a full re-plan gives: `sync_schedules` then finds nothing left to do."""

import datetime as dt
import io

import pytest
from django.core.management import call_command
from django.db import IntegrityError
from django.urls import reverse
from django.utils import timezone
from django_tasks import default_task_backend

from kapcare.accounts.actor import Actor
from kapcare.courses.models import CourseStatus, TreatmentCourse
from kapcare.courses.services import transition_course
from kapcare.dosing import services as dosing
from kapcare.measures import tasks
from kapcare.measures.models import AssignmentStatus, MeasureAssignment
from kapcare.measures.services.instruments import (
    SETTINGS_FIELDS,
    measure_settings,
    update_measure_settings,
)
from kapcare.measures.services.schedules import sync_clinic, sync_schedules
from tests.factories import ClientFactory, put_on_team
from tests.pathway import ready_course


@pytest.fixture(autouse=True)
def _empty_task_queue():
    default_task_backend.clear()
    yield
    default_task_backend.clear()


def _slots(course, status=AssignmentStatus.PENDING):
    return set(
        MeasureAssignment.objects.filter(course=course, status=status).values_list(
            "instrument_code", "slot"
        )
    )


def _is_current(course) -> bool:
    return (
        sync_schedules(clinic=course.clinic, courses=[TreatmentCourse.objects.get(pk=course.pk)])
        == 0
    )


def _in(days: int) -> dt.datetime:
    return timezone.now() + dt.timedelta(days=days)


def test_opening_a_course_plans_its_baseline(course):
    today = course.clinic.today()
    assert _slots(course) == {("phq9", "baseline"), ("gad7", "baseline")}
    baseline = MeasureAssignment.objects.get(course=course, instrument_code="phq9")
    assert (baseline.available_from, baseline.due_by) == (today, today + dt.timedelta(days=14))
    assert _is_current(course)


def test_a_course_reaching_its_end_plans_the_end_and_follow_ups(clinic, staff, client_record):
    course = ready_course(clinic=clinic, staff=staff, client=client_record)
    assert course.status == CourseStatus.ACTIVE and _is_current(course)
    therapist = Actor.for_user(staff["therapist"], clinic)

    transition_course(actor=therapist, course=course, to=CourseStatus.COMPLETED)

    slots = {slot for code, slot in _slots(course) if code == "phq9"}
    assert slots == {"baseline", "end", "follow_up:1", "follow_up:3", "follow_up:6"}
    assert _is_current(course)


def test_a_discontinued_course_gets_its_end_measure_only(course, staff, clinic):
    therapist = Actor.for_user(staff["therapist"], clinic)
    transition_course(actor=therapist, course=course, to=CourseStatus.DISCONTINUED, reason="Moved")
    assert {slot for code, slot in _slots(course) if code == "phq9"} == {"baseline", "end"}
    assert _is_current(course)


def test_scheduling_sessions_plans_their_pre_dose_measures(clinic, staff, client_record):
    course = ready_course(clinic=clinic, staff=staff, client=client_record)
    nurse = Actor.for_user(staff["nurse"], clinic)

    dosing.schedule_session(actor=nurse, course=course, scheduled_for=_in(2))
    baseline = MeasureAssignment.objects.get(course=course, instrument_code="phq9")
    assert baseline.due_by == clinic.today() + dt.timedelta(days=2)  # the first dose's day
    assert _slots(course) == {("phq9", "baseline"), ("gad7", "baseline")}

    second = dosing.schedule_session(actor=nurse, course=course, scheduled_for=_in(9))
    pre_dose = MeasureAssignment.objects.get(
        course=course, instrument_code="phq9", slot="pre_dose:2"
    )
    day = clinic.today() + dt.timedelta(days=9)
    assert (pre_dose.available_from, pre_dose.due_by) == (day - dt.timedelta(days=3), day)
    assert pre_dose.dosing_session_id == second.pk
    assert _is_current(course)


def test_aborting_a_session_cancels_its_pending_measures(clinic, staff, client_record):
    course = ready_course(clinic=clinic, staff=staff, client=client_record)
    nurse = Actor.for_user(staff["nurse"], clinic)
    dosing.schedule_session(actor=nurse, course=course, scheduled_for=_in(2))
    second = dosing.schedule_session(actor=nurse, course=course, scheduled_for=_in(9))

    dosing.abort_session(actor=nurse, session=second, reason="Client unwell")

    cancelled = _slots(course, AssignmentStatus.CANCELLED)
    assert cancelled == {("phq9", "pre_dose:2"), ("gad7", "pre_dose:2")}
    assert _slots(course) == {("phq9", "baseline"), ("gad7", "baseline")}
    assert _is_current(course)


def _settings_data(clinic, **changes):
    current = measure_settings(clinic)
    return {field: getattr(current, field) for field in SETTINGS_FIELDS} | changes


def test_new_schedule_settings_re_plan_the_clinic_in_the_background(
    clinic, staff, client_record, instruments, django_capture_on_commit_callbacks
):
    course = ready_course(clinic=clinic, staff=staff, client=client_record)
    nurse = Actor.for_user(staff["nurse"], clinic)
    dosing.schedule_session(actor=nurse, course=course, scheduled_for=_in(2))
    dosing.schedule_session(actor=nurse, course=course, scheduled_for=_in(9))
    admin = Actor.for_user(staff["clinic_admin"], clinic)

    with django_capture_on_commit_callbacks(execute=True):
        update_measure_settings(actor=admin, data=_settings_data(clinic, before_each_dose=False))

    queued = [(r.task.name, r.args) for r in default_task_backend.results]
    assert queued == [("sync_clinic_schedules", [clinic.pk])]
    assert ("phq9", "pre_dose:2") in _slots(course)  # nothing re-planned inside the request
    assert tasks.sync_clinic_schedules.call(clinic.pk) == 2
    assert _slots(course, AssignmentStatus.CANCELLED) == {
        ("phq9", "pre_dose:2"),
        ("gad7", "pre_dose:2"),
    }
    assert _is_current(course)


def test_settings_that_do_not_shape_the_schedule_queue_no_re_plan(
    clinic, staff, instruments, django_capture_on_commit_callbacks
):
    admin = Actor.for_user(staff["clinic_admin"], clinic)
    with django_capture_on_commit_callbacks(execute=True):
        update_measure_settings(actor=admin, data=_settings_data(clinic, link_lifetime_hours=12))
    assert default_task_backend.results == []
    assert tasks.sync_clinic_schedules.call(0) == 0  # a clinic deleted since: nothing to do


def _unplanned_courses(clinic, staff, n):
    """Courses written straight to the table: no service saw them (a restore, an import)."""
    courses = []
    for _ in range(n):
        client = ClientFactory(clinic=clinic)
        put_on_team(client, staff["therapist"], "therapist")
        courses.append(
            TreatmentCourse.objects.create(clinic=clinic, client=client, condition="ptsd")
        )
    return courses


def test_a_clinic_is_re_planned_in_batches_with_the_same_result(clinic, staff):
    courses = _unplanned_courses(clinic, staff, 5)
    assert sync_clinic(clinic=clinic, batch_size=2) == 10
    assert all(_slots(c) == {("pcl5", "baseline"), ("phq9", "baseline")} for c in courses)
    assert sync_clinic(clinic=clinic, batch_size=2) == 0


def test_the_daily_command_catches_up_what_no_service_saw(clinic, staff):
    courses = _unplanned_courses(clinic, staff, 2)
    out = io.StringIO()
    call_command("sync_measure_schedules", stdout=out)
    assert f"{clinic}: 4 assignment(s) added or changed" in out.getvalue()
    assert all(_is_current(c) for c in courses)


def test_the_measures_tab_only_reads_the_schedule(login, staff, clinic, client_record):
    TreatmentCourse.objects.create(clinic=clinic, client=client_record, condition="ptsd")
    page = login(staff["therapist"]).get(reverse("measures:overview", args=[client_record.pk]))
    assert page.status_code == 200
    assert not MeasureAssignment.objects.exists()


def test_a_batch_that_loses_a_race_for_a_new_row_is_planned_again(clinic, staff, monkeypatch):
    # given a course event that inserts one of the batch's new rows first (another
    # transaction, so the batch's insert fails on assignment_slot_unique and rolls back)
    courses = _unplanned_courses(clinic, staff, 2)
    real_bulk_create = MeasureAssignment.objects.bulk_create
    raced = []

    def bulk_create_losing_once(rows, *args, **kwargs):
        if not raced:
            raced.append(True)
            raise IntegrityError("assignment_slot_unique")
        return real_bulk_create(rows, *args, **kwargs)

    monkeypatch.setattr(MeasureAssignment.objects, "bulk_create", bulk_create_losing_once)
    # when the clinic is planned, then the batch is planned again and no course is left behind
    assert sync_clinic(clinic=clinic) == 4
    assert raced and all(_is_current(c) for c in courses)
