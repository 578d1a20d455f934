"""Booking an appointment so that nobody and nothing is in two places at once.

`book` checks the request (the type's people and resources, working hours, closures), locks
every holder's row in one order (so two bookings sharing a holder run one after the other and
cannot deadlock), refuses an overlap with the conflicting appointment named, then writes the
appointment, its holds and — for a dosing appointment — its DosingSession, all in one
transaction with the audit row. PostgreSQL's exclusion constraint (migration 0002) is the last
word should anything bypass this path.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from kapcare.accounts.actor import Actor
from kapcare.accounts.models import Membership, Role, User
from kapcare.audit.models import AuditAction
from kapcare.audit.services import record_event
from kapcare.clients.models import Client
from kapcare.core.transitions import StateMachine, lock, transition
from kapcare.courses.models import TreatmentCourse
from kapcare.courses.states import CLOSED
from kapcare.dosing import services as dosing_services
from kapcare.scheduling import availability, rules
from kapcare.scheduling.models import (
    Appointment,
    AppointmentKind,
    AppointmentStatus,
    AppointmentStatusChange,
    AppointmentType,
    Hold,
    Resource,
    ResourceKind,
)
from kapcare.scheduling.permissions import can_book
from kapcare.scheduling.selectors import scheduling_settings
from kapcare.scheduling.states import MOVABLE, REASON_REQUIRED, RELEASED, TRANSITIONS

S = AppointmentStatus
# A booking typed a moment after its start (the client is at the desk) is not "in the past".
PAST_SLACK = dt.timedelta(minutes=5)


@dataclass(frozen=True)
class BookingRequest:
    """What the front desk asks for: the type, the client, when, and who and what it holds.
    `staff` pairs each role the type needs with the member of staff filling it."""

    appointment_type: AppointmentType
    client: Client
    starts_at: dt.datetime
    staff: tuple[tuple[str, User], ...] = ()
    resources: tuple[Resource, ...] = ()
    course: TreatmentCourse | None = None
    telehealth: bool | None = None
    note: str = ""
    follows: Appointment | None = None

    @property
    def ends_at(self) -> dt.datetime:
        return self.starts_at + dt.timedelta(minutes=self.appointment_type.duration_minutes)


def describe(appointment: Appointment) -> str:
    """How a refusal names an appointment: its type, client and local time."""
    local = timezone.localtime(appointment.starts_at, appointment.clinic.zone)
    end = timezone.localtime(appointment.ends_at, appointment.clinic.zone)
    return _("%(type)s with %(client)s, %(day)s %(start)s–%(end)s") % {
        "type": appointment.appointment_type.name,
        "client": appointment.client.display_name,
        "day": date_format(local, "D j M"),
        "start": local.strftime("%H:%M"),
        "end": end.strftime("%H:%M"),
    }


def _holder_name(kind: str, obj) -> str:
    if kind == "user":
        return obj.full_name or obj.email
    if kind == "resource":
        return obj.name
    return obj.display_name


def _check_request(actor: Actor, request: BookingRequest, *, moving: Appointment | None) -> None:
    """Everything about the request that needs no lock; raises ValidationError by field."""
    kind = request.appointment_type
    if not can_book(actor, request.client):
        raise PermissionDenied(_("You may not book appointments for this client."))
    errors: dict[str, list[str]] = {}
    if kind.clinic_id != actor.clinic_id or not kind.active:
        errors.setdefault("appointment_type", []).append(_("Choose a bookable appointment type."))
    if timezone.is_naive(request.starts_at):
        raise ValidationError({"starts_at": _("Give the time with its time zone.")})
    if request.starts_at < timezone.now() - PAST_SLACK:
        errors.setdefault("starts_at", []).append(_("This time has passed."))
    telehealth = kind.telehealth if request.telehealth is None else request.telehealth
    needed_resources = [] if telehealth else list(kind.required_resources)
    roles = [role for role, _user in request.staff]
    for role in rules.missing_from(kind.required_roles, roles):
        errors.setdefault("staff", []).append(
            _("This appointment needs a %(role)s.") % {"role": _role_label(role)}
        )
    for role in rules.missing_from(roles, kind.required_roles):
        errors.setdefault("staff", []).append(
            _("This appointment does not need another %(role)s.") % {"role": _role_label(role)}
        )
    users = [user for _role, user in request.staff]
    if len({u.pk for u in users}) != len(users):
        errors.setdefault("staff", []).append(_("One person cannot fill two places."))
    members = set(
        Membership.objects.filter(
            clinic_id=actor.clinic_id, user__in=users, user__is_active=True
        ).values_list("user_id", "role")
    )
    for role, user in request.staff:
        if (user.pk, role) not in members:
            errors.setdefault("staff", []).append(
                _("%(name)s is not a %(role)s here.")
                % {"name": _holder_name("user", user), "role": _role_label(role)}
            )
    kinds = [r.kind for r in request.resources]
    for missing in rules.missing_from(needed_resources, kinds):
        errors.setdefault("resources", []).append(
            _("This appointment needs a %(kind)s.") % {"kind": _resource_label(missing)}
        )
    for extra in rules.missing_from(kinds, needed_resources):
        errors.setdefault("resources", []).append(
            _("This appointment does not need a %(kind)s.") % {"kind": _resource_label(extra)}
        )
    for resource in request.resources:
        if resource.clinic_id != actor.clinic_id or not resource.active:
            errors.setdefault("resources", []).append(
                _("%(name)s cannot be booked.") % {"name": resource.name}
            )
    if len({r.pk for r in request.resources}) != len(request.resources):
        errors.setdefault("resources", []).append(_("Each resource can be held once."))
    if kind.kind == AppointmentKind.DOSING and moving is None:
        course = request.course
        if course is None or course.client_id != request.client.pk or course.status in CLOSED:
            errors.setdefault("course", []).append(
                _("A dosing appointment belongs to the client's open treatment course.")
            )
    elif request.course is not None and request.course.client_id != request.client.pk:
        errors.setdefault("course", []).append(_("This course is another client's."))
    if errors:
        raise ValidationError(errors)


def _role_label(role: str) -> str:
    return str(dict(Role.choices).get(role, role)).lower()


def _resource_label(kind: str) -> str:
    return str(dict(ResourceKind.choices).get(kind, kind)).lower()


def _holders(request: BookingRequest) -> list[tuple[availability.Holder, object]]:
    return [
        *((("user", user.pk), user) for _role, user in request.staff),
        *((("resource", r.pk), r) for r in request.resources),
        (("client", request.client.pk), request.client),
    ]


def _check_open(actor: Actor, request: BookingRequest, window: rules.Interval) -> None:
    """Every member of staff and resource works or is in service for the whole hold window,
    and the clinic is not closed."""
    holders = [(key, obj) for key, obj in _holders(request) if key[0] != "client"]
    open_ = availability.open_time(actor.clinic, [key for key, _obj in holders], *window)
    for key, obj in holders:
        if not rules.covers(open_[key], *window):
            field_name = "staff" if key[0] == "user" else "resources"
            raise ValidationError(
                {
                    field_name: _(
                        "%(name)s is not available at this time (working hours, leave "
                        "or a closure)."
                    )
                    % {"name": _holder_name(key[0], obj)}
                }
            )


def _lock_holders(request: BookingRequest) -> None:
    """Row locks on every holder, in one order (users, resources, then the client, each by
    id), so concurrent bookings that share a holder are serialised and cannot deadlock."""
    user_ids = sorted(user.pk for _role, user in request.staff)
    if user_ids:
        list(User.objects.select_for_update(no_key=True).filter(pk__in=user_ids).order_by("pk"))
    resource_ids = sorted(r.pk for r in request.resources)
    if resource_ids:
        list(Resource.objects.select_for_update().filter(pk__in=resource_ids).order_by("pk"))
    list(Client.objects.select_for_update(no_key=True).filter(pk=request.client.pk))


def _refuse_overlap(
    request: BookingRequest, window: rules.Interval, *, moving: Appointment | None
) -> None:
    keys = [key for key, _obj in _holders(request)]
    holds = Hold.objects.filter(
        availability.holder_q(keys), active=True, starts_at__lt=window[1], ends_at__gt=window[0]
    ).select_related("appointment__appointment_type", "appointment__client", "appointment__clinic")
    if moving is not None:
        holds = holds.exclude(appointment=moving)
    clash = holds.order_by("starts_at").first()
    if clash is None:
        return
    names = {key: _holder_name(key[0], obj) for key, obj in _holders(request)}
    key = availability.holder_key(clash.user_id, clash.resource_id, clash.client_id)
    field_name = {"user": "staff", "resource": "resources", "client": "client"}[key[0]]
    raise ValidationError(
        {
            field_name: _("%(name)s is already booked: %(appointment)s.")
            % {"name": names[key], "appointment": describe(clash.appointment)}
        },
        code="conflict",
    )


def _write_holds(appointment: Appointment, request: BookingRequest, window: rules.Interval):
    rows = [
        Hold(clinic_id=appointment.clinic_id, appointment=appointment, user=user, role=role)
        for role, user in request.staff
    ]
    rows += [
        Hold(clinic_id=appointment.clinic_id, appointment=appointment, resource=r)
        for r in request.resources
    ]
    rows.append(
        Hold(clinic_id=appointment.clinic_id, appointment=appointment, client=request.client)
    )
    for row in rows:
        row.starts_at, row.ends_at = window
    try:
        with transaction.atomic():
            Hold.objects.bulk_create(rows)
    except IntegrityError as error:
        # Only reachable when something wrote holds without taking the locks above.
        raise ValidationError(
            {"starts_at": _("Someone else booked this time a moment ago. Find another time.")},
            code="conflict",
        ) from error


def _window(request: BookingRequest) -> rules.Interval:
    kind = request.appointment_type
    return rules.hold_window(
        request.starts_at,
        request.ends_at,
        before_minutes=kind.buffer_before_minutes,
        after_minutes=kind.buffer_after_minutes,
    )


def _audit(actor: Actor, appointment: Appointment, action: AuditAction, summary: str, details=None):
    record_event(
        actor=actor,
        action=action,
        client_id=appointment.client_id,
        obj=appointment,
        summary=summary,
        details=details or {},
    )


@transaction.atomic
def book(*, actor: Actor, request: BookingRequest) -> Appointment:
    """Book `request`, or raise ValidationError (by field; code "conflict" for an overlap,
    naming the appointment in the way) or PermissionDenied. Nothing is saved on a refusal."""
    _check_request(actor, request, moving=None)
    window = _window(request)
    _check_open(actor, request, window)
    _lock_holders(request)
    _refuse_overlap(request, window, moving=None)
    kind = request.appointment_type
    appointment = Appointment.objects.create(
        clinic=actor.clinic,
        client=request.client,
        appointment_type=kind,
        starts_at=request.starts_at,
        ends_at=request.ends_at,
        course=request.course,
        follows=request.follows,
        telehealth=kind.telehealth if request.telehealth is None else request.telehealth,
        note=request.note.strip(),
        booked_by=actor.user,
    )
    _write_holds(appointment, request, window)
    if kind.kind == AppointmentKind.DOSING:
        assert request.course is not None
        appointment.dosing_session = dosing_services.schedule_session(
            actor=actor, course=request.course, scheduled_for=request.starts_at
        )
        appointment.save(update_fields=["dosing_session"])
    _audit(
        actor,
        appointment,
        AuditAction.CREATE,
        _("Booked %(what)s") % {"what": describe(appointment)},
        {
            "staff": [user.pk for _role, user in request.staff],
            "resources": [r.pk for r in request.resources],
        },
    )
    return appointment


def _current_request(appointment: Appointment, starts_at: dt.datetime) -> BookingRequest:
    holds = list(appointment.holds.filter(active=True).select_related("user", "resource"))
    return BookingRequest(
        appointment_type=appointment.appointment_type,
        client=appointment.client,
        starts_at=starts_at,
        staff=tuple((h.role, h.user) for h in holds if h.user is not None),
        resources=tuple(h.resource for h in holds if h.resource is not None),
        course=appointment.course,
        telehealth=appointment.telehealth,
    )


def lock_appointment(appointment: Appointment) -> Appointment:
    return lock(
        appointment,
        Appointment.objects.select_related("clinic", "client", "appointment_type", "course"),
    )


@transaction.atomic
def reschedule(
    *,
    actor: Actor,
    appointment: Appointment,
    starts_at: dt.datetime,
    staff: tuple[tuple[str, User], ...] | None = None,
    resources: tuple[Resource, ...] | None = None,
) -> Appointment:
    """Move a booked appointment to `starts_at` (and, if given, other staff or resources),
    with the same checks as a new booking. Its holds are replaced; its dosing session moves
    with it."""
    appointment = lock_appointment(appointment)
    if appointment.clinic_id != actor.clinic_id:
        raise PermissionDenied(_("This appointment is another clinic's."))
    if appointment.status not in MOVABLE:
        raise ValidationError(
            {
                "starts_at": _("A %(status)s appointment cannot be moved.")
                % {"status": appointment.get_status_display().lower()}
            }
        )
    current = _current_request(appointment, starts_at)
    request = BookingRequest(
        appointment_type=current.appointment_type,
        client=current.client,
        starts_at=starts_at,
        staff=current.staff if staff is None else staff,
        resources=current.resources if resources is None else resources,
        course=current.course,
        telehealth=current.telehealth,
    )
    _check_request(actor, request, moving=appointment)
    window = _window(request)
    _check_open(actor, request, window)
    _lock_holders(request)
    _refuse_overlap(request, window, moving=appointment)
    before = appointment.starts_at
    appointment.holds.filter(active=True).delete()
    appointment.starts_at, appointment.ends_at = request.starts_at, request.ends_at
    appointment.revision += 1
    appointment.save(update_fields=["starts_at", "ends_at", "revision"])
    _write_holds(appointment, request, window)
    if appointment.dosing_session is not None:
        dosing_services.move_session(
            actor=actor, session=appointment.dosing_session, scheduled_for=request.starts_at
        )
    _audit(
        actor,
        appointment,
        AuditAction.UPDATE,
        _("Moved %(what)s") % {"what": describe(appointment)},
        {"from": before.isoformat(), "to": appointment.starts_at.isoformat()},
    )
    return appointment


MACHINE: StateMachine[Appointment] = StateMachine(
    table=TRANSITIONS,
    refused=lambda a, b: (
        _("An appointment cannot go from %(a)s to %(b)s.")
        % {"a": S(a).label.lower(), "b": S(b).label.lower()}
    ),
    reason_required=REASON_REQUIRED,
    reason_missing=lambda: _("Give a reason."),
    reason_field="reason",
    history=AppointmentStatusChange,
    history_owner="appointment",
    summary=lambda appointment, a, b: (
        _("Appointment %(what)s: %(a)s → %(b)s") % {"what": describe(appointment), "a": a, "b": b}
    ),
    client=lambda appointment: appointment.client,
)


def _move(actor: Actor, appointment: Appointment, to: str, reason: str = "") -> Appointment:
    if not can_book(actor, appointment.client):
        raise PermissionDenied(_("You may not change this client's appointments."))

    def release(row: Appointment):
        if to in RELEASED:
            row.holds.filter(active=True).update(active=False)
            if row.dosing_session is not None and row.dosing_session.status == "scheduled":
                dosing_services.cancel_scheduled_session(
                    actor=actor,
                    session=row.dosing_session,
                    reason=_("Appointment %(status)s: %(reason)s")
                    % {"status": S(to).label.lower(), "reason": reason or "—"},
                )
        return {}

    moved = transition(
        appointment,
        machine=MACHINE,
        to=to,
        actor=actor,
        reason=reason,
        fields={"cancel_reason": reason.strip()[:500]} if to in REASON_REQUIRED else None,
        apply=release,
    )
    Appointment.objects.filter(pk=moved.pk).update(revision=moved.revision + 1)
    moved.revision += 1
    return moved


@transaction.atomic
def cancel(*, actor: Actor, appointment: Appointment, reason: str) -> Appointment:
    """Cancel with a reason; inside the clinic's late-cancellation window it is recorded as a
    late cancellation. The time is freed; a dosing session not yet started is called off."""
    settings = scheduling_settings(appointment.clinic)
    late = rules.is_late_cancellation(
        appointment.starts_at, now=timezone.now(), late_cancel_hours=settings.late_cancel_hours
    )
    return _move(actor, appointment, S.LATE_CANCELLED if late else S.CANCELLED, reason)


@transaction.atomic
def mark_no_show(*, actor: Actor, appointment: Appointment) -> Appointment:
    """The client did not come. Only once the appointment's time has begun."""
    if appointment.starts_at > timezone.now():
        raise ValidationError(_("The appointment has not started yet."))
    return _move(actor, appointment, S.NO_SHOW)


@transaction.atomic
def mark_arrived(*, actor: Actor, appointment: Appointment) -> Appointment:
    return _move(actor, appointment, S.ARRIVED)


@transaction.atomic
def mark_completed(*, actor: Actor, appointment: Appointment) -> Appointment:
    return _move(actor, appointment, S.COMPLETED)
