"""Writes to the clinic's own settings: its public details and how its forms ask for weight."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils.translation import gettext as _

from kapcare.accounts.actor import Actor
from kapcare.accounts.models import Clinic, Role
from kapcare.audit.models import AuditAction
from kapcare.audit.services import record_event

CLINIC_SETTINGS_FIELDS = (
    "name",
    "address_line1",
    "address_line2",
    "city",
    "region",
    "postal_code",
    "country",
    "phone",
    "public_email",
    "about",
    "opening_hours",
    "fees",
    "weight_unit",
)


@transaction.atomic
def update_clinic_settings(*, actor: Actor, data: dict[str, Any]) -> list[str]:
    """Change the actor's clinic's settings (clinic admins only); returns the fields changed.
    The public site and the intake form read them at once."""
    if not actor.has_role(Role.CLINIC_ADMIN):
        raise PermissionDenied(_("Clinic admins change the clinic's settings."))
    clinic = Clinic.objects.select_for_update().get(pk=actor.clinic_id)
    changed = [f for f in CLINIC_SETTINGS_FIELDS if f in data and getattr(clinic, f) != data[f]]
    if not changed:
        return []
    before = {f: getattr(clinic, f) for f in changed}
    for field in changed:
        setattr(clinic, field, data[field])
    clinic.full_clean()
    clinic.save(update_fields=changed)
    record_event(
        actor=actor,
        action=AuditAction.UPDATE,
        obj=clinic,
        summary=_("Changed the clinic's settings"),
        details={"fields": changed, "before": {f: str(v) for f, v in before.items()}},
    )
    return changed
