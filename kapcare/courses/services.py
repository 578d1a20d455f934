"""Writes to treatment courses: opening one and every status change, through one guarded
transition function that checks the table in states.py and each phase's preconditions."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kapcare.accounts.actor import Actor
from kapcare.accounts.models import Role
from kapcare.audit.models import AuditAction
from kapcare.audit.services import record_event
from kapcare.clients.models import Client, ClientStatus
from kapcare.core.concurrency import check_unchanged, model_fields
from kapcare.courses import gates
from kapcare.courses.models import (
    CareProtocol,
    CourseStatus,
    CourseStatusChange,
    PreparationElement,
    TreatmentCourse,
)
from kapcare.courses.permissions import can_change_course_status, can_open_course
from kapcare.courses.selectors import paused_from
from kapcare.courses.states import CLOSED, FORWARD, REASON_REQUIRED, TRANSITIONS


class TransitionRefused(ValidationError):
    """A status change that the table or a precondition does not allow; says why."""


# What must hold before a course may enter a phase: the same gates dosing uses, so a course
# can never be further along than its safety checks allow.
PRECONDITIONS: dict[str, tuple[str, ...]] = {
    CourseStatus.AWAITING_CONSENT: ("eligibility",),
    CourseStatus.PREPARATION: ("eligibility", "consent"),
    CourseStatus.ACTIVE: ("eligibility", "consent", "preparation"),
}


@transaction.atomic
def open_course(*, actor: Actor, client, condition: str) -> TreatmentCourse:
    """Start a course in screening. A client has at most one open course at a time."""
    if not can_open_course(actor, client):
        raise PermissionDenied(_("You may not open a course for this client."))
    if (
        TreatmentCourse.objects.select_for_update()
        .filter(client=client)
        .exclude(status__in=CLOSED)
        .exists()
    ):
        raise ValidationError(_("This client already has an open treatment course."))
    course = TreatmentCourse.objects.create(
        clinic=client.clinic, client=client, condition=condition
    )
    CourseStatusChange.objects.create(
        course=course,
        from_status="",
        to_status=course.status,
        changed_by=actor.user,
        reason=_("Course opened"),
    )
    record_event(
        actor=actor,
        action=AuditAction.CREATE,
        client=client,
        obj=course,
        summary=_("Opened a treatment course"),
    )
    return course


def refusal(course: TreatmentCourse, to: str, reason: str = "") -> str | None:
    """Why `course` may not move to `to` now (None when it may)."""
    if to not in TRANSITIONS[course.status]:
        return _("A course cannot go from %(a)s to %(b)s.") % {
            "a": CourseStatus(course.status).label,
            "b": CourseStatus(to).label,
        }
    if to in REASON_REQUIRED and not reason.strip():
        return _("Give a reason for this change.")
    resuming = course.status == CourseStatus.PAUSED and to != CourseStatus.DISCONTINUED
    if resuming and to != paused_from(course):
        return _("A paused course resumes in the phase it was paused from.")
    now = timezone.now()
    context = gates.GateContext(course=course, at=now)
    failed = [g for g in gates.judge(PRECONDITIONS.get(to, ()), context) if not g.passed]
    if failed:
        return " ".join(g.reason for g in failed)
    return None


@transaction.atomic
def transition_course(
    *, actor: Actor, course: TreatmentCourse, to: str, reason: str = "", automatic: bool = False
) -> TreatmentCourse:
    """Move a course to `to`, or raise TransitionRefused saying why not.

    The row is locked for the check and the change, so two people cannot move it at once.
    `automatic` marks forward moves kapcare makes when a phase's requirements are met (the
    actor is whoever's action met them); only those skip the role check."""
    if not automatic and not can_change_course_status(actor, course.client):
        raise PermissionDenied(_("Only the client's therapist or prescriber change the course."))
    locked = TreatmentCourse.objects.select_for_update().get(pk=course.pk)
    problem = refusal(locked, to, reason)
    if problem:
        raise TransitionRefused(problem)
    before = locked.status
    locked.status = to
    if to in CLOSED:
        locked.closed_at = timezone.now()
    locked.save(update_fields=["status", "closed_at"])
    CourseStatusChange.objects.create(
        course=locked,
        from_status=before,
        to_status=to,
        reason=reason.strip(),
        changed_by=actor.user,
    )
    record_event(
        actor=actor,
        action=AuditAction.UPDATE,
        client=locked.client,
        obj=locked,
        summary=_("Course: %(a)s → %(b)s") % {"a": before, "b": to},
        details={"from": before, "to": to, "automatic": automatic},
    )
    if to in IN_CARE_FROM:
        _mark_in_care(actor=actor, client=locked.client)
    course.status, course.closed_at = locked.status, locked.closed_at
    return course


# A prospective client whose course reaches preparation has begun treatment: from then on the
# record says "in care" everywhere, without anyone having to remember to edit it.
IN_CARE_FROM = frozenset({CourseStatus.PREPARATION, CourseStatus.ACTIVE})


def _mark_in_care(*, actor: Actor, client: Client) -> None:
    marked = Client.objects.filter(pk=client.pk, status=ClientStatus.PROSPECTIVE).update(
        status=ClientStatus.ACTIVE
    )
    if marked:
        client.status = ClientStatus.ACTIVE
        record_event(
            actor=actor,
            action=AuditAction.UPDATE,
            client=client,
            obj=client,
            summary=_("Client is in care: their treatment course reached preparation"),
            details={"fields": ["status"], "automatic": True},
        )


def advance_course(*, actor: Actor, course: TreatmentCourse) -> TreatmentCourse:
    """Move the course forward through every phase whose requirements are now met.

    Called by the services that meet them (an eligibility decision, a consent signature, a
    signed preparation note), so the course always shows how far the client really is."""
    while course.status in FORWARD and refusal(course, FORWARD[course.status]) is None:
        transition_course(
            actor=actor,
            course=course,
            to=FORWARD[course.status],
            reason=_("Requirements met"),
            automatic=True,
        )
    return course


@transaction.atomic
def publish_care_protocol(
    *,
    actor: Actor,
    min_preparation_sessions: int,
    required_elements: list[str],
    integration_window_hours: int,
    based_on_version: str | None = None,
) -> CareProtocol:
    """A new version of the clinic's pathway settings; earlier versions stay on record.

    With `based_on_version` (the version the editor showed), raises ConcurrentChange when
    another version was published since, instead of silently replacing it."""
    if not actor.has_role(Role.CLINIC_ADMIN):
        raise PermissionDenied(_("Clinic admins change the care protocol."))
    unknown = set(required_elements) - set(PreparationElement.values)
    if unknown:
        raise ValidationError({"required_elements": _("Unknown preparation elements.")})
    latest = (
        CareProtocol.objects.select_for_update()
        .filter(clinic=actor.clinic)
        .order_by("-version")
        .first()
    )
    if latest is not None:
        check_unchanged(
            expected=based_on_version,
            token=str(latest.version),
            current={
                "min_preparation_sessions": latest.min_preparation_sessions,
                "required_preparation_elements": sorted(latest.required_preparation_elements),
                "integration_window_hours": latest.integration_window_hours,
            },
            yours={
                "min_preparation_sessions": min_preparation_sessions,
                "required_preparation_elements": sorted(set(required_elements)),
                "integration_window_hours": integration_window_hours,
            },
            **model_fields(
                CareProtocol,
                [
                    "min_preparation_sessions",
                    "required_preparation_elements",
                    "integration_window_hours",
                ],
            ),
        )
    protocol = CareProtocol(
        clinic=actor.clinic,
        version=(latest.version + 1) if latest else 1,
        min_preparation_sessions=min_preparation_sessions,
        required_preparation_elements=sorted(set(required_elements)),
        integration_window_hours=integration_window_hours,
        published_by=actor.user,
    )
    protocol.full_clean(exclude=["clinic", "published_by"])
    protocol.save()
    record_event(
        actor=actor,
        action=AuditAction.CREATE,
        obj=protocol,
        summary=_("Published care protocol v%(v)s") % {"v": protocol.version},
        details={
            "min_preparation_sessions": min_preparation_sessions,
            "required_elements": protocol.required_preparation_elements,
            "integration_window_hours": integration_window_hours,
        },
    )
    return protocol
