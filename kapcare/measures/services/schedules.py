"""Keeping each course's MeasureAssignment rows in step with its plan (kapcare.measures.rules).

The plan is a function of the course (condition, status, opened and closed dates), its dosing
sessions (number, day, aborted or not) and the clinic's measure settings; it holds no "today",
so a schedule only changes when one of those does. It is brought up to date at those events,
and pages only read it:
- a course opened or changing status (courses' `on_course_changed` hook, registered in
  MeasuresConfig.ready);
- a dosing session scheduled or ending (the dosing services call `sync_course`);
- new measure settings published (a background task runs `sync_clinic`);
- a response recorded (`record_response`, for a course whose schedule may lag).
`manage.py sync_measure_schedules`, run daily, catches up whatever changed outside those
services (rows edited by hand, restored, imported, or from before this was event-driven).

`sync_schedules` is idempotent and runs in a fixed number of queries however many courses it is
given; `sync_clinic` feeds it a clinic's courses in bounded batches.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Iterable

from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from kapcare.accounts.actor import Actor
from kapcare.accounts.models import Clinic
from kapcare.audit.models import AuditAction
from kapcare.audit.services import record_event
from kapcare.clients.models import Client
from kapcare.courses.models import TreatmentCourse
from kapcare.courses.states import CLOSED
from kapcare.measures.dose_plans import planned_doses
from kapcare.measures.models import AssignmentStatus, MeasureAssignment, Timepoint
from kapcare.measures.rules import CourseFacts, DoseFacts, ScheduleSettings, plan_course
from kapcare.measures.services.instruments import measure_settings


def _local_date(moment, zone: zoneinfo.ZoneInfo):
    return timezone.localtime(moment, zone).date() if moment else None


@transaction.atomic
def sync_schedules(*, clinic: Clinic, courses: Iterable[TreatmentCourse]) -> int:
    """Create missing assignments, move pending ones whose dates changed, and cancel pending ones
    the plan no longer has (an aborted session). Returns how many rows changed."""
    courses = [c for c in courses if c.clinic_id == clinic.pk]
    if not courses:
        return 0
    settings = measure_settings(clinic)
    plan_settings = ScheduleSettings(
        instruments_by_condition=settings.instruments_by_condition,
        before_each_dose=settings.before_each_dose,
        end_of_course=settings.end_of_course,
        follow_up_months=settings.follow_up_months,
        pre_dose_window_days=settings.pre_dose_window_days,
        grace_days=settings.grace_days,
    )
    zone = zoneinfo.ZoneInfo(clinic.time_zone)
    sessions = planned_doses(courses)
    existing: dict[tuple[int, str, str], MeasureAssignment] = {
        (a.course_id, a.instrument_code, a.slot): a
        for a in MeasureAssignment.objects.select_for_update().filter(course__in=courses)
    }
    to_create, to_update = [], []
    for course in courses:
        by_number = {s.number: s for s in sessions[course.pk]}
        facts = CourseFacts(
            condition=course.condition,
            status=course.status,
            opened_on=_local_date(course.opened_at, zone),
            closed_on=_local_date(course.closed_at, zone),
        )
        doses = [
            DoseFacts(s.number, _local_date(s.scheduled_for, zone), s.aborted)
            for s in sessions[course.pk]
        ]
        planned_slots = set()
        for planned in plan_course(facts, doses, plan_settings):
            key = (course.pk, planned.instrument_code, planned.slot)
            planned_slots.add(key)
            row = existing.get(key)
            if row is None:
                session = by_number.get(planned.dosing_number) if planned.dosing_number else None
                to_create.append(
                    MeasureAssignment(
                        clinic=clinic,
                        client_id=course.client_id,
                        course=course,
                        instrument_code=planned.instrument_code,
                        timepoint=planned.timepoint,
                        slot=planned.slot,
                        dosing_session_id=session.session_id if session else None,
                        follow_up_months=planned.follow_up_months,
                        available_from=planned.available_from,
                        due_by=planned.due_by,
                    )
                )
            elif row.status == AssignmentStatus.PENDING and (
                row.available_from,
                row.due_by,
            ) != (planned.available_from, planned.due_by):
                row.available_from, row.due_by = planned.available_from, planned.due_by
                to_update.append(row)
        for key, row in existing.items():
            if (
                key[0] == course.pk
                and key not in planned_slots
                and row.status == AssignmentStatus.PENDING
                and row.timepoint != Timepoint.AD_HOC
            ):
                row.status = AssignmentStatus.CANCELLED
                row.cancelled_reason = _("No longer in the schedule")
                to_update.append(row)
    MeasureAssignment.objects.bulk_create(to_create)
    MeasureAssignment.objects.bulk_update(
        to_update, ["available_from", "due_by", "status", "cancelled_reason"]
    )
    changed = len(to_create) + len(to_update)
    if changed:
        record_event(
            actor=Actor.system(clinic),
            action=AuditAction.UPDATE,
            object_type="measure.schedule",
            summary=_("Measure schedules updated: %(n)s added, %(m)s changed")
            % {"n": len(to_create), "m": len(to_update)},
            details={"courses": [c.pk for c in courses]},
        )
    return changed


def sync_course(*, actor: Actor | None = None, course: TreatmentCourse) -> int:
    """Bring one course's schedule up to date (the reaction to an event that changed it; the
    `actor` who caused it is in that event's own audit row)."""
    return sync_schedules(clinic=course.clinic, courses=[course])


# Courses per transaction when a whole clinic is brought up to date: each batch's rows are
# locked and planned in memory at once, so a batch stays small and its locks short.
CLINIC_BATCH = 500


def sync_clinic(*, clinic: Clinic, batch_size: int = CLINIC_BATCH) -> int:
    """Every course of the clinic whose schedule may still change (`courses_needing_sync`),
    a batch at a time, each batch its own transaction. Returns how many rows changed."""
    courses = courses_needing_sync(clinic).order_by("pk")
    changed, after = 0, 0
    while batch := list(courses.filter(pk__gt=after)[:batch_size]):
        try:
            changed += sync_schedules(clinic=clinic, courses=batch)
        except IntegrityError:
            # A course event planned one of the same new rows meanwhile (the batch was rolled
            # back whole); that row exists now, so the batch's second plan finds it.
            changed += sync_schedules(clinic=clinic, courses=batch)
        after = batch[-1].pk
    return changed


def courses_needing_sync(clinic: Clinic, clients: QuerySet[Client] | None = None):
    """Open courses, and closed ones whose follow-ups may still be due (the longest follow-up
    plus its grace period, with a month to spare); only those of `clients` when given. Older
    closed courses are left as they are: their last follow-up is long past."""
    settings = measure_settings(clinic)
    months = max(settings.follow_up_months or [0]) + 1
    since = timezone.now() - dt.timedelta(days=31 * months + settings.grace_days)
    courses = TreatmentCourse.objects.filter(clinic=clinic).exclude(
        status__in=CLOSED, closed_at__lt=since
    )
    return courses if clients is None else courses.filter(client__in=clients)
