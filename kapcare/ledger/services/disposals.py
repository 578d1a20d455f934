"""Stock that leaves the registrant without reaching a client: returns to a reverse
distributor or the manufacturer, on-site destruction (FACTS.md §5.7), and theft or loss
(§5.6). Same transaction and locking rules as services.py."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from kapcare.accounts.actor import Actor
from kapcare.accounts.models import User
from kapcare.audit.models import AuditAction
from kapcare.audit.services import record_event
from kapcare.ledger.models import DisposalMethod, EntryKind, LedgerEntry, Location, LossReport, Lot
from kapcare.ledger.permissions import LedgerAction
from kapcare.ledger.services.drafts import (
    append_entry,
    check_scope,
    check_witness,
    label,
    occurred,
    positive,
)


@transaction.atomic
def record_disposal(
    *,
    actor: Actor,
    lot: Lot,
    location: Location,
    quantity_mg: Decimal,
    method: str,
    reference: str,
    counterparty: str = "",
    witness: User | None = None,
    reason: str = "",
) -> LedgerEntry:
    """Stock leaving by return or destruction (FACTS.md §5.7): to a reverse distributor or the
    manufacturer (their invoice), or destroyed on site (DEA Form 41, which needs a witness)."""
    check_scope(actor, LedgerAction.DISPOSE, lot, location)
    quantity = positive(quantity_mg)
    if method not in DisposalMethod.values:
        raise ValidationError({"method": _("Choose how the stock leaves.")})
    if not reference.strip():
        raise ValidationError(
            {"reference": _("Give the DEA Form 41 number or the reverse distributor's invoice.")}
        )
    if method == DisposalMethod.ON_SITE:
        check_witness(actor, witness)
    elif method == DisposalMethod.REVERSE_DISTRIBUTOR and not counterparty.strip():
        raise ValidationError(
            {"counterparty": _("Name the reverse distributor and their DEA number.")}
        )
    return append_entry(
        actor,
        EntryKind.DISPOSAL,
        lot,
        location,
        -quantity,
        summary=_("Disposed of %(mg)s mg of lot %(lot)s"),
        audit={"method": method},
        witness=witness,
        witness_label=label(witness) if witness else "",
        method=method,
        reference=reference.strip(),
        reason="\n".join(p for p in [counterparty.strip(), reason.strip()] if p),
    )


@transaction.atomic
def report_loss(
    *,
    actor: Actor,
    lot: Lot,
    location: Location,
    quantity_mg: Decimal,
    kind: str,
    discovered_at: dt.datetime,
    circumstances: str,
    police_report: str = "",
) -> LossReport:
    """Take stolen or lost stock off the books and open its report (FACTS.md §5.6): the DEA
    field office must hear within 1 business day and Form 106 is due within 45 days."""
    check_scope(actor, LedgerAction.REPORT_LOSS, lot, location)
    quantity = positive(quantity_mg)
    discovered = occurred(discovered_at)
    if not circumstances.strip():
        raise ValidationError({"circumstances": _("Describe what was found and how.")})
    entry = append_entry(
        actor,
        EntryKind.LOSS,
        lot,
        location,
        -quantity,
        summary=_("Reported %(mg)s mg of lot %(lot)s lost"),
        audit={"kind": kind},
        occurred_at=discovered,
        method=kind,
        reference=police_report.strip(),
        reason=circumstances.strip(),
    )
    return LossReport.objects.create(
        clinic=actor.clinic,
        entry=entry,
        kind=kind,
        discovered_at=discovered,
        circumstances=circumstances.strip(),
        police_report=police_report.strip(),
    )


@transaction.atomic
def update_loss_report(
    *,
    actor: Actor,
    report: LossReport,
    dea_notified_at: dt.datetime | None,
    form_106_reference: str,
    form_106_submitted_at: dt.datetime | None,
    police_report: str,
) -> LossReport:
    """Record the notices filed after a loss. The ledger entry itself does not change."""
    check_scope(actor, LedgerAction.REPORT_LOSS, report)
    locked = LossReport.objects.select_for_update().get(pk=report.pk)
    before = {
        "dea_notified_at": locked.dea_notified_at,
        "form_106_reference": locked.form_106_reference,
        "form_106_submitted_at": locked.form_106_submitted_at,
        "police_report": locked.police_report,
    }
    for field, value in [
        ("dea_notified_at", dea_notified_at),
        ("form_106_submitted_at", form_106_submitted_at),
    ]:
        if value is not None and value < locked.discovered_at:
            raise ValidationError({field: _("This is before the loss was discovered.")})
        if value is not None:
            occurred(value)
    if form_106_submitted_at and not form_106_reference.strip():
        raise ValidationError({"form_106_reference": _("Give the Form 106 number DEA issued.")})
    locked.dea_notified_at = dea_notified_at
    locked.form_106_reference = form_106_reference.strip()
    locked.form_106_submitted_at = form_106_submitted_at
    locked.police_report = police_report.strip()
    locked.save()
    record_event(
        actor=actor,
        action=AuditAction.UPDATE,
        obj=locked,
        summary=_("Updated the theft or loss report"),
        details={"before": {k: str(v) if v else "" for k, v in before.items()}},
    )
    return locked
