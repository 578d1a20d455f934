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
from kapcare.core.concurrency import model_fields
from kapcare.core.transitions import StateMachine, transition
from kapcare.core.transitions import TransitionRefused as TransitionRefused  # re-exported
from kapcare.core.versioning import publish
from kapcare.courses import gates
from kapcare.courses.course_hooks import course_changed
from kapcare.courses.models import (
    CareProtocol,
    CourseStatus,
    CourseStatusChange,
    PreparationElement,
    TreatmentCourse,
)
from kapcare.courses.permissions import can_change_course_status, can_open_course
from kapcare.courses.selectors import paused_from
from kapcare.courses.states import CLOSED, FORWARD, IN_CARE_FROM, REASON_REQUIRED, TRANSITIONS

# How a course's status changes: the table in states.py, the rows that record each change.
MACHINE: StateMachine[TreatmentCourse] = StateMachine(
    table=TRANSITIONS,
    refused=lambda a, b: (
        _("A course cannot go from %(a)s to %(b)s.")
        % {"a": CourseStatus(a).label, "b": CourseStatus(b).label}
    ),
    reason_required=REASON_REQUIRED,
    reason_missing=lambda: _("Give a reason for this change."),
    history=CourseStatusChange,
    history_owner="course",
    summary=lambda course, a, b: _("Course: %(a)s → %(b)s") % {"a": a, "b": b},
    client=lambda course: course.client,
)


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
    course_changed(actor=actor, course=course)
    return course


def refusal(course: TreatmentCourse, to: str, reason: str = "") -> str | None:
    """Why `course` may not move to `to` now (None when it may)."""
    refused = MACHINE.refusal(course.status, to, reason)
    if refused is not None:
        return refused.messages[0]
    return _phase_refusal(course, to)


def _phase_refusal(course: TreatmentCourse, to: str) -> str | None:
    """What the table cannot say: a paused course resumes where it was, and each phase's
    gates must pass before the course enters it."""
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
    locked = transition(
        course,
        machine=MACHINE,
        to=to,
        actor=actor,
        reason=reason,
        check=lambda row: _phase_refusal(row, to),
        fields={"closed_at": timezone.now()} if to in CLOSED else None,
        details={"automatic": automatic},
    )
    course_changed(actor=actor, course=locked)
    if to in IN_CARE_FROM:
        _mark_in_care(actor=actor, client=locked.client)
    return course


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
    fields = [
        "min_preparation_sessions",
        "required_preparation_elements",
        "integration_window_hours",
    ]
    elements = sorted(set(required_elements))

    def build(latest: CareProtocol | None) -> CareProtocol:
        unknown = set(required_elements) - set(PreparationElement.values)
        if unknown:
            raise ValidationError({"required_elements": _("Unknown preparation elements.")})
        return CareProtocol(
            min_preparation_sessions=min_preparation_sessions,
            required_preparation_elements=elements,
            integration_window_hours=integration_window_hours,
        )

    def conflict(latest: CareProtocol) -> dict:
        return {
            "current": {
                "min_preparation_sessions": latest.min_preparation_sessions,
                "required_preparation_elements": sorted(latest.required_preparation_elements),
                "integration_window_hours": latest.integration_window_hours,
            },
            "yours": {
                "min_preparation_sessions": min_preparation_sessions,
                "required_preparation_elements": elements,
                "integration_window_hours": integration_window_hours,
            },
            **model_fields(CareProtocol, fields),
        }

    return publish(
        CareProtocol,
        clinic=actor.clinic,
        actor=actor,
        roles=(Role.CLINIC_ADMIN,),
        refusal=_("Clinic admins change the care protocol."),
        build=build,
        expected_version=based_on_version,
        conflict=conflict,
        validate=lambda protocol: protocol.full_clean(exclude=["clinic", "published_by"]),
        details={
            "min_preparation_sessions": min_preparation_sessions,
            "required_elements": elements,
            "integration_window_hours": integration_window_hours,
        },
    )
