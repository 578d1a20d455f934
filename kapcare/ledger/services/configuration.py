"""Writes for the clinic admin's set-up: registrant details, ledger settings, products and
locations. Each is audited with what changed."""

from __future__ import annotations

from django.db import transaction
from django.forms.models import model_to_dict
from django.utils import timezone
from django.utils.translation import gettext as _

from kapcare.accounts.actor import Actor
from kapcare.audit.models import AuditAction
from kapcare.audit.services import record_event
from kapcare.ledger.models import LedgerSettings, Location, Product, Registrant
from kapcare.ledger.permissions import LedgerAction
from kapcare.ledger.services.drafts import check_scope


def _changes(before: dict, after: dict) -> dict:
    return {
        key: {"from": str(before.get(key, "")), "to": str(value)}
        for key, value in after.items()
        if before.get(key) != value
    }


@transaction.atomic
def save_clinic_record(
    *, actor: Actor, model: type[Registrant] | type[LedgerSettings], values: dict
) -> Registrant | LedgerSettings:
    """Create or update the clinic's Registrant or LedgerSettings row."""
    check_scope(actor, LedgerAction.CONFIGURE)
    row = model.objects.select_for_update().filter(clinic=actor.clinic).first()
    before = model_to_dict(row, fields=list(values)) if row else {}
    row = row or model(clinic=actor.clinic)
    for key, value in values.items():
        setattr(row, key, value)
    row.updated_at = timezone.now()
    row.full_clean()
    row.save()
    record_event(
        actor=actor,
        action=AuditAction.UPDATE if before else AuditAction.CREATE,
        obj=row,
        summary=_("Ledger set-up changed: %(what)s") % {"what": model._meta.verbose_name},
        details={"changes": _changes(before, values)},
    )
    return row


@transaction.atomic
def save_catalogue_item(*, actor: Actor, item: Product | Location) -> Product | Location:
    """Save a Product or Location the admin edited (a validated ModelForm instance)."""
    check_scope(actor, LedgerAction.CONFIGURE, item if item.clinic_id else None)
    creating = item.pk is None
    before = (
        model_to_dict(type(item).objects.select_for_update().get(pk=item.pk))
        if not creating
        else {}
    )
    item.clinic = actor.clinic
    item.save()
    record_event(
        actor=actor,
        action=AuditAction.CREATE if creating else AuditAction.UPDATE,
        obj=item,
        summary=_("%(what)s %(name)s saved") % {"what": item._meta.verbose_name, "name": item},
        details={"changes": _changes(before, model_to_dict(item))},
    )
    return item
