"""Writes for questionnaire responses: staff entry, single-use links, ad-hoc requests.

Every response is scored once, here, by kapcare.measures.scoring from the exact definition
version it was answered on; risk alerts are raised in the same transaction (alerts.py).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from kapcare.accounts.actor import Actor
from kapcare.audit.models import AuditAction
from kapcare.audit.services import record_event
from kapcare.clients.models import ClientLink, LinkPurpose
from kapcare.clients.services.links import create_link, mark_used, usable_link_or_404
from kapcare.courses.models import TreatmentCourse
from kapcare.courses.selectors import current_course
from kapcare.measures import scoring
from kapcare.measures.models import (
    STAFF_ENTERED_SOURCES,
    AssignmentStatus,
    InstrumentDefinition,
    MeasureAssignment,
    Response,
    ResponseSource,
    Timepoint,
)
from kapcare.measures.permissions import can_enter_measures
from kapcare.measures.services.alerts import raise_alerts
from kapcare.measures.services.instruments import measure_settings
from kapcare.measures.services.schedules import sync_schedules


def item_field(key: str) -> str:
    """The form field (and error key) of an item: errors are shown at the item they concern."""
    return f"item_{key}"


def normalise_answers(
    definition: Mapping, answers: Mapping[str, object]
) -> tuple[dict[str, int | None], dict[str, str]]:
    """Every item's key with an int or None, and errors (by item field) for what is neither."""
    result: dict[str, int | None] = {}
    errors: dict[str, str] = {}
    keys = [item["key"] for item in definition["items"]]
    for key in answers:
        if key not in keys:
            errors[item_field(key)] = _("This questionnaire has no such item.")
    for key in keys:
        value = answers.get(key)
        result[key] = None
        if value is None or value == "":
            continue
        if isinstance(value, int) and not isinstance(value, bool):
            result[key] = value
        elif isinstance(value, str) and value.strip().lstrip("-").isdigit():
            result[key] = int(value)
        else:
            errors[item_field(key)] = _("Choose one of the answers offered.")
    return result, errors


def _pending_assignment(course, code: str, today: dt.date) -> MeasureAssignment | None:
    """The open assignment a response answers: the earliest one already available."""
    return (
        MeasureAssignment.objects.select_for_update()
        .filter(
            course=course,
            instrument_code=code,
            status=AssignmentStatus.PENDING,
            available_from__lte=today,
        )
        .order_by("due_by", "id")
        .first()
    )


@transaction.atomic
def record_response(
    *,
    actor: Actor,
    client,
    definition: InstrumentDefinition,
    answers: Mapping[str, object],
    source: str = ResponseSource.STAFF,
    course: TreatmentCourse | None = None,
    assignment: MeasureAssignment | None = None,
    completed_at: dt.datetime | None = None,
) -> Response:
    """Score and store one response; raise its risk alerts at once.

    Impossible answers (out of range, unknown item, answering a question the skip logic did not
    ask) raise ValidationError keyed by item field, and nothing is saved. Blank answers are
    allowed: the definition's missing-item rule decides whether the response is complete,
    prorated, or incomplete (and then it has no total)."""
    staff_entered = source in STAFF_ENTERED_SOURCES
    if staff_entered and not can_enter_measures(actor, client):
        raise PermissionDenied(_("You may not enter measures for this client."))
    if definition.clinic_id != client.clinic_id or not definition.is_active:
        raise ValidationError(_("This instrument is not in use at the client's clinic."))
    # kapcare shows the client the questions only through a link or the portal, and cannot
    # without their text; staff read it from the paper form, another system from its own.
    if not staff_entered and not definition.has_all_item_text:
        raise ValidationError(_("This questionnaire's item text has not been loaded."))
    spec = definition.definition
    clean, errors = normalise_answers(spec, answers)
    errors |= {item_field(k): m for k, m in scoring.answer_errors(spec, clean).items()}
    if errors:
        raise ValidationError(errors)
    result = scoring.score(spec, clean, definition.parameters)
    now = timezone.now()
    completed_at = completed_at or now
    if completed_at > now + dt.timedelta(minutes=5):
        raise ValidationError({"completed_at": _("A response cannot be completed in the future.")})
    if assignment is not None:
        assignment = MeasureAssignment.objects.select_for_update().get(pk=assignment.pk)
        if (
            assignment.client_id != client.pk
            or assignment.instrument_code != definition.code
            or assignment.status != AssignmentStatus.PENDING
        ):
            raise ValidationError(_("This questionnaire has already been answered or cancelled."))
        course = assignment.course
    else:
        # Unless told otherwise, a response belongs to the client's current (or latest) course.
        course = course or current_course(client)
        if course is not None:
            # The schedule may not have been brought up to date since the course changed.
            sync_schedules(clinic=client.clinic, courses=[course])
            assignment = _pending_assignment(course, definition.code, client.clinic.today())
    if course is not None and course.client_id != client.pk:
        raise ValidationError(_("That course belongs to another client."))
    try:
        with transaction.atomic():
            response = Response.objects.create(
                clinic=client.clinic,
                client=client,
                course=course,
                instrument=definition,
                instrument_code=definition.code,
                assignment=assignment,
                timepoint=assignment.timepoint if assignment else Timepoint.AD_HOC,
                answers=clean,
                **result.response_fields(),
                completed_at=completed_at,
                source=source,
                entered_by=actor.user if staff_entered else None,
                created_at=now,
            )
    except IntegrityError:
        raise ValidationError(_("This questionnaire has already been answered.")) from None
    if assignment is not None:
        assignment.status = AssignmentStatus.COMPLETED
        assignment.completed_at = completed_at
        assignment.save(update_fields=["status", "completed_at"])
    record_event(
        actor=actor,
        action=AuditAction.CREATE,
        client=client,
        obj=response,
        summary=_("Recorded %(i)s (%(s)s)")
        % {"i": definition.short_title, "s": response.get_source_display()},
    )
    hits = scoring.alerts_for(spec, clean, result)
    if hits:
        delay = dt.timedelta(minutes=measure_settings(client.clinic).escalation_delay_minutes)
        raise_alerts(actor=actor, response=response, hits=hits, delay=delay)
    return response


@transaction.atomic
def request_measure(
    *, actor: Actor, course: TreatmentCourse, definition: InstrumentDefinition
) -> MeasureAssignment:
    """An unscheduled questionnaire for a course, due today (e.g. a C-SSRS after a PHQ-9 item 9
    answer); it can then be sent as a link or entered."""
    if not can_enter_measures(actor, course.client):
        raise PermissionDenied(_("You may not ask for measures for this client."))
    if definition.clinic_id != course.clinic_id or not definition.is_active:
        raise ValidationError(_("This instrument is not in use at the client's clinic."))
    today = course.client.clinic.today()
    count = MeasureAssignment.objects.filter(course=course, timepoint=Timepoint.AD_HOC).count()
    assignment = MeasureAssignment.objects.create(
        clinic=course.clinic,
        client=course.client,
        course=course,
        instrument_code=definition.code,
        timepoint=Timepoint.AD_HOC,
        slot=f"ad_hoc:{count + 1}",
        available_from=today,
        due_by=today,
    )
    record_event(
        actor=actor,
        action=AuditAction.CREATE,
        client=course.client,
        obj=assignment,
        summary=_("Asked for %(i)s") % {"i": definition.short_title},
    )
    return assignment


def active_definition(clinic_id: int, code: str) -> InstrumentDefinition | None:
    return InstrumentDefinition.objects.filter(
        clinic_id=clinic_id, code=code, is_active=True
    ).first()


@transaction.atomic
def create_questionnaire_link(
    *, actor: Actor, assignment: MeasureAssignment
) -> tuple[ClientLink, str]:
    """A single-use link to fill in one pending questionnaire without an account."""
    client = assignment.client
    if not can_enter_measures(actor, client):
        raise PermissionDenied(_("You may not send questionnaires to this client."))
    if assignment.status != AssignmentStatus.PENDING:
        raise ValidationError(_("This questionnaire has already been answered or cancelled."))
    definition = active_definition(assignment.clinic_id, assignment.instrument_code)
    if definition is None or not definition.has_all_item_text:
        raise ValidationError(
            _("Load the licensed item text of this instrument before sending it to clients.")
        )
    hours = measure_settings(client.clinic).link_lifetime_hours
    return create_link(
        actor=actor,
        client=client,
        purpose=LinkPurpose.QUESTIONNAIRE,
        lifetime=dt.timedelta(hours=hours),
        target_id=assignment.pk,
    )


def link_assignment(link: ClientLink) -> MeasureAssignment:
    """The pending assignment a usable link points at (else 404, like any spent link)."""
    assignment = (
        MeasureAssignment.objects.select_related("course", "client", "clinic")
        .filter(pk=link.target_id, client_id=link.client_id, status=AssignmentStatus.PENDING)
        .first()
        if link.target_id is not None
        else None
    )
    if assignment is None:
        raise Http404("This link is not valid.")
    return assignment


@transaction.atomic
def submit_through_link(*, token: str, actor: Actor, answers: Mapping[str, object]) -> Response:
    """The client's answers through a link: the link is locked, checked, and spent in the same
    transaction that saves the response, so a link can never be used twice."""
    link = usable_link_or_404(token, LinkPurpose.QUESTIONNAIRE, lock=True)
    assignment = link_assignment(link)
    definition = active_definition(link.clinic_id, assignment.instrument_code)
    if definition is None:
        raise Http404("This link is not valid.")
    response = record_response(
        actor=actor,
        client=link.client,
        definition=definition,
        answers=answers,
        source=ResponseSource.LINK,
        assignment=assignment,
    )
    mark_used(link)
    return response
