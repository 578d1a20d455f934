"""What every ledger write shares: the role and clinic checks, the witness guard, drafting an
entry for ChainWriter, and its audit row."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from kapcare.accounts.actor import Actor, staff_user
from kapcare.accounts.models import Membership, User
from kapcare.audit.models import AuditAction
from kapcare.audit.services import record_event
from kapcare.ledger import rules
from kapcare.ledger.chain import ChainWriter
from kapcare.ledger.models import (
    CaseStatus,
    DiscrepancyCase,
    LedgerEntry,
    LedgerSettings,
    Location,
    Lot,
)
from kapcare.ledger.permissions import LedgerAction, require

# Room for clock differences between a tablet and the server; anything later is a typo.
FUTURE_SLACK = dt.timedelta(minutes=5)


class DosingSessionFacts(Protocol):
    """What the ledger reads of the dosing session a dose or its waste belongs to. The dosing
    app (above the ledger) passes its DosingSession; the entry keeps only these numbers."""

    @property
    def pk(self) -> Any: ...
    @property
    def clinic_id(self) -> Any: ...
    @property
    def client_id(self) -> Any: ...
    @property
    def dose_order_id(self) -> Any: ...


def label(user: User) -> str:
    return user.display_name[:200]


def clinic_date(clinic, at: dt.datetime) -> dt.date:
    return timezone.localdate(at, timezone=ZoneInfo(clinic.time_zone))


def ledger_settings(clinic) -> LedgerSettings:
    return LedgerSettings.objects.get_or_create(clinic=clinic)[0]


def check_scope(actor: Actor, action: LedgerAction, *objects) -> None:
    require(actor, action)
    for obj in objects:
        if obj is not None and obj.clinic_id != actor.clinic_id:
            raise PermissionDenied(_("That record belongs to another clinic."))


def positive(quantity_mg: Decimal, field: str = "quantity") -> Decimal:
    quantity = rules.mg(quantity_mg)
    if quantity <= 0:
        raise ValidationError({field: _("Enter a quantity of more than 0 mg.")})
    return quantity


def occurred(occurred_at: dt.datetime | None) -> dt.datetime:
    now = timezone.now()
    if occurred_at is None:
        return now
    if occurred_at > now + FUTURE_SLACK:
        raise ValidationError({"occurred_at": _("This time is in the future.")})
    return occurred_at


def check_witness(actor: Actor, witness: User | None) -> User:
    """The witness was verified on the form (accounts.witness); this guards the service too."""
    if witness is None:
        raise ValidationError({"witness_email": _("A second staff member must witness this.")})
    if witness.pk == staff_user(actor).pk:
        raise ValidationError({"witness_email": _("You cannot witness your own record.")})
    if (
        not witness.is_active
        or not Membership.objects.filter(user=witness, clinic_id=actor.clinic_id).exists()
    ):
        raise ValidationError({"witness_email": _("The witness does not work at this clinic.")})
    return witness


def audit_entry(actor: Actor, entry: LedgerEntry, summary: str, **details) -> None:
    record_event(
        actor=actor,
        action=AuditAction.CREATE,
        client=entry.client,
        obj=entry,
        summary=summary,
        details={
            "sequence": entry.sequence,
            "kind": entry.kind,
            "lot_id": entry.lot_id,
            "location_id": entry.location_id,
            "quantity_mg": str(entry.quantity_mg),
            "entry_hash": entry.entry_hash,
            **details,
        },
    )


def new_entry(actor: Actor, kind: str, lot: Lot, location: Location, change: Decimal, **fields):
    return LedgerEntry(
        kind=kind,
        lot=lot,
        location=location,
        quantity_mg=change,
        actor=staff_user(actor),
        actor_label=label(staff_user(actor)),
        **fields,
    )


def append_entry(
    actor: Actor,
    kind: str,
    lot: Lot,
    location: Location,
    change: Decimal,
    *,
    summary: str,
    audit: dict | None = None,
    **fields,
) -> LedgerEntry:
    """Append one entry to the clinic's chain and audit it. `summary` names the amount as
    %(mg)s and the lot as %(lot)s, filled in from the entry as written; `audit` adds details to
    the audit row."""
    entry = ChainWriter(actor.clinic).append(
        new_entry(actor, kind, lot, location, change, **fields)
    )
    audit_entry(actor, entry, summary % amount(entry), **(audit or {}))
    return entry


def open_case_at(location: Location) -> bool:
    return DiscrepancyCase.objects.filter(
        clinic_id=location.clinic_id, location=location, status=CaseStatus.OPEN
    ).exists()


def amount(entry: LedgerEntry) -> dict:
    return {"mg": rules.canonical_value(abs(entry.quantity_mg)), "lot": entry.lot.lot_number}
