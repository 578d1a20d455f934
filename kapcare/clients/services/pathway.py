"""Writes for the start of the pathway: public inquiries, conversion to a client, intake."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from kapcare.accounts.actor import Actor
from kapcare.accounts.models import Clinic, Role
from kapcare.audit.models import AuditAction
from kapcare.audit.services import record_event
from kapcare.clients.intake_catalogue import CONDITION_KEYS
from kapcare.clients.intake_hooks import inquiry_converted, intake_completed
from kapcare.clients.models import (
    Client,
    ClientStatus,
    Inquiry,
    InquiryStatus,
    Intake,
    LinkPurpose,
)
from kapcare.clients.permissions import ClientAction, can
from kapcare.clients.services import update_client
from kapcare.clients.services.links import mark_used, usable_link_or_404
from kapcare.core import ratelimit
from kapcare.core.concurrency import check_unchanged, state_token

INQUIRY_FIELDS = (
    "first_name",
    "last_name",
    "email",
    "phone",
    "preferred_contact",
    "hopes",
    "consent_to_contact",
)
INTAKE_FIELDS = (
    "conditions",
    "medical_history_notes",
    "psychiatric_history_notes",
    "current_medications",
    "allergies",
    "substance_use",
    "pregnancy_status",
    "suicide_risk",
    "baseline_systolic",
    "baseline_diastolic",
    "baseline_heart_rate",
    "weight_kg",
)
EMERGENCY_CONTACT_FIELDS = (
    "emergency_contact_name",
    "emergency_contact_relationship",
    "emergency_contact_phone",
)


class TooManyInquiries(Exception):
    pass


def sender_fingerprint(ip_address: str | None) -> str:
    """A keyed hash of the sender's address: enough to rate-limit, useless to identify."""
    return hmac.new(
        settings.SECRET_KEY.encode(), (ip_address or "").encode(), hashlib.sha256
    ).hexdigest()


@transaction.atomic
def submit_inquiry(*, clinic: Clinic, data: dict[str, Any], ip_address: str | None) -> Inquiry:
    """A visitor's inquiry, queued for the front desk. At most a few per sender per hour
    (settings.KAPCARE_RATE_LIMITS["inquiries_per_address"]); a refused or invalid one is not
    counted, since the attempt is counted inside this transaction."""
    try:
        ratelimit.hit(ratelimit.Limit.from_settings("inquiries_per_address"), ip_address)
    except ratelimit.RateLimited:
        raise TooManyInquiries from None
    fingerprint = sender_fingerprint(ip_address)
    inquiry = Inquiry(
        clinic=clinic, source_fingerprint=fingerprint, **{f: data[f] for f in INQUIRY_FIELDS}
    )
    if not inquiry.consent_to_contact:
        raise ValidationError(
            {"consent_to_contact": _("We can only reply if you agree to be contacted.")}
        )
    if not inquiry.email and not inquiry.phone:
        raise ValidationError(
            {"email": _("Give an e-mail address or a phone number so we can reply.")}
        )
    inquiry.full_clean()
    inquiry.save()
    return inquiry


def _require_front_desk(actor: Actor) -> None:
    if not actor.has_role(Role.FRONT_DESK, Role.CLINIC_ADMIN):
        raise PermissionDenied(_("The front desk handles inquiries."))


@transaction.atomic
def convert_inquiry(
    *, actor: Actor, inquiry: Inquiry, date_of_birth: dt.date, condition: str
) -> Client:
    """One step from inquiry to client with a treatment course in screening (the course is
    opened by the courses app's hook, registered in CoursesConfig.ready)."""
    _require_front_desk(actor)
    inquiry = Inquiry.objects.select_for_update().get(pk=inquiry.pk, clinic=actor.clinic)
    if inquiry.client_id is not None:
        raise ValidationError(_("This inquiry is already a client."))
    client = Client(
        clinic=actor.clinic,
        first_name=inquiry.first_name,
        last_name=inquiry.last_name,
        email=inquiry.email,
        phone=inquiry.phone,
        date_of_birth=date_of_birth,
        status=ClientStatus.PROSPECTIVE,
    )
    client.full_clean(exclude=["clinic"])
    client.save()
    inquiry.client = client
    inquiry.status = InquiryStatus.CONVERTED
    inquiry.handled_by, inquiry.handled_at = actor.user, timezone.now()
    inquiry.save(update_fields=["client", "status", "handled_by", "handled_at"])
    record_event(
        actor=actor,
        action=AuditAction.CREATE,
        client=client,
        obj=client,
        summary=_("Registered client from an inquiry"),
        details={"inquiry_id": inquiry.pk},
    )
    inquiry_converted(actor=actor, client=client, condition=condition)
    return client


@transaction.atomic
def set_inquiry_status(*, actor: Actor, inquiry: Inquiry, status: str) -> Inquiry:
    _require_front_desk(actor)
    if status not in (InquiryStatus.CONTACTED, InquiryStatus.CLOSED):
        raise ValidationError(
            _("An inquiry is marked contacted or closed; conversion makes a client.")
        )
    inquiry = Inquiry.objects.select_for_update().get(pk=inquiry.pk, clinic=actor.clinic)
    if inquiry.status == InquiryStatus.CONVERTED:
        raise ValidationError(_("This inquiry is already a client."))
    previous = inquiry.status
    inquiry.status, inquiry.handled_by, inquiry.handled_at = status, actor.user, timezone.now()
    inquiry.save(update_fields=["status", "handled_by", "handled_at"])
    record_event(
        actor=actor,
        action=AuditAction.UPDATE,
        obj=inquiry,
        summary=_("Marked an inquiry %(s)s") % {"s": inquiry.get_status_display().lower()},
        details={"from": previous, "to": status},
    )
    return inquiry


@transaction.atomic
def save_intake(
    *, actor: Actor, client: Client, data: dict[str, Any], by_client: bool = False
) -> Intake:
    """Create or replace the client's intake answers. `by_client` when filled through a link
    (then `actor` is kapcare itself carrying the request's address)."""
    if not by_client and not can(actor, ClientAction.INTAKE, client):
        raise PermissionDenied(_("You may not enter this client's intake."))
    unknown = set(data.get("conditions", [])) - CONDITION_KEYS
    if unknown:
        raise ValidationError(
            {"conditions": _("Unknown history items: %(k)s") % {"k": ", ".join(sorted(unknown))}}
        )
    intake = Intake.objects.select_for_update().filter(client=client).first() or Intake(
        clinic=client.clinic, client=client
    )
    created = intake.pk is None
    for field in INTAKE_FIELDS:
        setattr(intake, field, data[field])
    intake.conditions = sorted(set(intake.conditions))
    intake.completed_at = timezone.now()
    intake.completed_by_client = by_client
    intake.completed_by = None if by_client else actor.user
    _check_blood_pressure(intake.baseline_systolic, intake.baseline_diastolic)
    intake.full_clean(exclude=["clinic", "client"])
    intake.save()
    record_event(
        actor=actor,
        action=AuditAction.CREATE if created else AuditAction.UPDATE,
        client=client,
        obj=intake,
        summary=_("Intake completed by the client") if by_client else _("Intake saved"),
    )
    return intake


def _check_blood_pressure(systolic: int | None, diastolic: int | None) -> None:
    """Blood pressure is a pair: both readings or neither (not measured yet)."""
    if systolic is None and diastolic is None:
        return
    if systolic is None:
        raise ValidationError(
            {"baseline_systolic": _("Give both blood pressure readings, or leave both empty.")}
        )
    if diastolic is None:
        raise ValidationError(
            {"baseline_diastolic": _("Give both blood pressure readings, or leave both empty.")}
        )
    if systolic <= diastolic:
        raise ValidationError(
            {"baseline_diastolic": _("Diastolic pressure must be below systolic.")}
        )


def _intake_state(client: Client, intake: Intake | None) -> dict[str, Any]:
    return {
        **{f: getattr(intake, f) if intake else None for f in INTAKE_FIELDS},
        **{f: getattr(client, f) for f in EMERGENCY_CONTACT_FIELDS},
    }


def _field_label(model: type[models.Model], name: str) -> str:
    """The field's label as the form shows it (the field names listed above are all columns)."""
    field = model._meta.get_field(name)
    assert isinstance(field, models.Field)
    return str(field.verbose_name).capitalize()


def intake_version(client: Client) -> str:
    """The version token of the staff intake form: the intake answers and the client's
    emergency contact (kapcare.core.concurrency)."""
    return state_token(_intake_state(client, Intake.objects.filter(client=client).first()))


@transaction.atomic
def save_intake_and_emergency_contact(
    *,
    actor: Actor,
    client: Client,
    data: dict[str, Any],
    emergency_contact: dict[str, str],
    expected_version: str | None = None,
) -> Intake:
    """Staff entering a client's intake together with the client's emergency contact: both are
    saved or neither is (a ValidationError from either rolls the other back). Each part goes
    through its own service, so each is authorised and audited as it would be alone. With
    `expected_version` (intake_version when the form was opened), raises ConcurrentChange if
    either changed since."""
    locked = Client.objects.select_for_update().get(pk=client.pk)
    current = _intake_state(
        locked, Intake.objects.select_for_update().filter(client=client).first()
    )
    labels = {
        **{f: _field_label(Intake, f) for f in INTAKE_FIELDS},
        **{f: _field_label(Client, f) for f in EMERGENCY_CONTACT_FIELDS},
    }
    yours = {**data, **emergency_contact}
    check_unchanged(
        expected=expected_version,
        token=state_token(current),
        current={f: current[f] for f in yours},
        yours=yours,
        labels=labels,
    )
    intake = save_intake(actor=actor, client=client, data=data)
    update_client(
        actor=actor,
        client=client,
        data={f: emergency_contact[f] for f in EMERGENCY_CONTACT_FIELDS},
    )
    intake_completed(actor=actor, intake=intake)
    return intake


@transaction.atomic
def complete_intake_from_link(
    *, actor: Actor, token: str, data: dict[str, Any], emergency_contact: dict[str, str]
) -> Intake:
    """A client completing intake through a single-use link, without an account.

    The link is locked, checked and spent in the same transaction as the answers, so it works
    exactly once even if the form is sent twice at the same moment; a reused, expired or forged
    token (or one for another clinic than `actor`'s) is a plain Http404. `actor` is kapcare
    itself carrying the request's address. The suicide-risk assessment is the clinician's, not
    the client's: a client re-doing intake keeps the one on file.
    """
    link = usable_link_or_404(token, LinkPurpose.INTAKE, lock=True)
    if link.clinic_id != actor.clinic_id:
        raise Http404("This link is not valid.")
    client = link.client
    mark_used(link)
    record_event(
        actor=actor,
        action=AuditAction.UPDATE,
        client=client,
        obj=link,
        summary=_("The client used a single-use link: %(p)s") % {"p": link.get_purpose_display()},
    )
    risk_on_file = Intake.objects.filter(client=client).values_list("suicide_risk", flat=True)
    intake = save_intake(
        actor=actor,
        client=client,
        by_client=True,
        data={**data, "suicide_risk": risk_on_file.first() or ""},
    )
    _set_emergency_contact_from_client(actor=actor, client=client, data=emergency_contact)
    intake_completed(actor=actor, intake=intake)
    return intake


def _set_emergency_contact_from_client(
    *, actor: Actor, client: Client, data: dict[str, str]
) -> None:
    """The client's own update to their emergency contact (update_client is for staff)."""
    locked = Client.objects.select_for_update().get(pk=client.pk)
    changed = [f for f in EMERGENCY_CONTACT_FIELDS if getattr(locked, f) != data[f]]
    if not changed:
        return
    for name in changed:
        setattr(locked, name, data[name])
    locked.full_clean(exclude=["clinic"])
    locked.save(update_fields=[*changed, "updated_at"])
    record_event(
        actor=actor,
        action=AuditAction.UPDATE,
        client=locked,
        obj=locked,
        summary=_("The client updated their emergency contact"),
        details={"fields": changed},
    )
