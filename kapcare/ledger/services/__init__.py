"""Every write that moves stock in and around the clinic and out to clients: receipts,
transfers, administrations and waste. Returns, destruction and losses are in disposals.py;
counts, discrepancy cases and corrections in reconciliation.py.

Each function is one transaction that appends to the clinic's hash chain through ChainWriter
(chain head locked first, then balances in primary-key order) and writes its AuditEvent inside
the same transaction. A refusal raises ValidationError (or PermissionDenied) and records nothing.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from kapcare.accounts.actor import Actor
from kapcare.accounts.models import User
from kapcare.ledger import rules
from kapcare.ledger.chain import ChainWriter
from kapcare.ledger.models import EntryKind, LedgerEntry, Location, Lot, Product
from kapcare.ledger.permissions import LedgerAction
from kapcare.ledger.services.drafts import (
    DosingSessionFacts,
    amount,
    append_entry,
    audit_entry,
    check_scope,
    check_witness,
    clinic_date,
    label,
    new_entry,
    occurred,
    open_case_at,
    positive,
)


@transaction.atomic
def receive_stock(
    *,
    actor: Actor,
    product: Product,
    lot_number: str,
    ndc: str,
    expires_on: dt.date,
    supplier_name: str,
    supplier_address: str = "",
    supplier_dea_number: str = "",
    location: Location,
    quantity_mg: Decimal,
    reference: str,
    occurred_at: dt.datetime | None = None,
    note: str = "",
) -> LedgerEntry:
    """Record stock received from a supplier into `location` (FACTS.md §5.4: supplier, date
    received, what and how much, the invoice or packing slip). A new lot number creates the
    lot; a known one must match its NDC and expiry."""
    check_scope(actor, LedgerAction.RECEIVE, product, location)
    quantity = positive(quantity_mg)
    when = occurred(occurred_at)
    if not reference.strip():
        raise ValidationError({"reference": _("Give the invoice or packing-slip number.")})
    if expires_on < clinic_date(actor.clinic, when):
        raise ValidationError({"expires_on": _("This lot has expired; do not accept it.")})
    lot, created = Lot.objects.get_or_create(
        clinic=actor.clinic,
        product=product,
        lot_number=lot_number.strip(),
        defaults={
            "ndc": ndc.strip(),
            "expires_on": expires_on,
            "supplier_name": supplier_name.strip(),
            "supplier_address": supplier_address.strip(),
            "supplier_dea_number": supplier_dea_number.strip().upper(),
        },
    )
    if not created and (lot.ndc != ndc.strip() or lot.expires_on != expires_on):
        raise ValidationError(
            {
                "lot_number": _(
                    "Lot %(lot)s is already recorded with NDC %(ndc)s and expiry %(exp)s. Check "
                    "the label."
                )
                % {"lot": lot.lot_number, "ndc": lot.ndc, "exp": lot.expires_on.isoformat()}
            }
        )
    lot.product = product
    return append_entry(
        actor,
        EntryKind.RECEIPT,
        lot,
        location,
        quantity,
        summary=_("Received %(mg)s mg of lot %(lot)s"),
        audit={"new_lot": created},
        occurred_at=when,
        reference=reference.strip(),
        reason=note.strip(),
    )


@transaction.atomic
def transfer_stock(
    *,
    actor: Actor,
    lot: Lot,
    from_location: Location,
    to_location: Location,
    quantity_mg: Decimal,
    reason: str = "",
    occurred_at: dt.datetime | None = None,
) -> tuple[LedgerEntry, LedgerEntry]:
    """Move stock between two locations: an outgoing and an incoming entry, the second naming
    the first. Refused out of a location whose count discrepancy is still open (the stock
    stays put while it is looked into)."""
    check_scope(actor, LedgerAction.TRANSFER, lot, from_location, to_location)
    quantity = positive(quantity_mg)
    when = occurred(occurred_at)
    if from_location.pk == to_location.pk:
        raise ValidationError({"to_location": _("Choose a different location to move it to.")})
    if not to_location.active:
        raise ValidationError({"to_location": _("That location is no longer in use.")})
    writer = ChainWriter(actor.clinic)
    writer.lock_balances(sorted([(lot.pk, from_location.pk), (lot.pk, to_location.pk)]))
    if open_case_at(from_location):
        raise ValidationError(
            {"from_location": _("A discrepancy at this location is open; resolve it first.")}
        )
    out = writer.append(
        new_entry(
            actor,
            EntryKind.TRANSFER_OUT,
            lot,
            from_location,
            -quantity,
            occurred_at=when,
            counterpart_location=to_location,
            reason=reason.strip(),
        )
    )
    incoming = writer.append(
        new_entry(
            actor,
            EntryKind.TRANSFER_IN,
            lot,
            to_location,
            quantity,
            occurred_at=when,
            counterpart_location=from_location,
            related_entry=out,
            reason=reason.strip(),
        )
    )
    audit_entry(
        actor,
        out,
        _("Moved %(mg)s mg of lot %(lot)s to %(to)s") % {**amount(out), "to": to_location.name},
        incoming_sequence=incoming.sequence,
    )
    return out, incoming


@transaction.atomic
def record_administration(
    *,
    actor: Actor,
    lot: Lot,
    location: Location,
    quantity_mg: Decimal,
    dosing_session: DosingSessionFacts,
    occurred_at: dt.datetime | None = None,
    note: str = "",
) -> LedgerEntry:
    """Take a dose for `dosing_session` out of stock (FACTS.md §5.5: what, how much, when, for
    whom, by whom). Refused when the lot has expired, the location is blocked by an open count
    discrepancy, or the lot's balance there would go below zero — checked under the locks, so
    simultaneous doses from one lot never overdraw it."""
    check_scope(actor, LedgerAction.ADMINISTER, lot, location, dosing_session)
    quantity = positive(quantity_mg, "quantity_mg")
    when = occurred(occurred_at)
    writer = ChainWriter(actor.clinic)
    balance = writer.balance(lot.pk, location.pk)
    problem = rules.stock_problem(
        balance_mg=balance,
        quantity_mg=quantity,
        expires_on=lot.expires_on,
        on=clinic_date(actor.clinic, when),
        blocked=open_case_at(location),
        location_active=location.active,
    )
    if problem:
        raise ValidationError(problem)
    entry = writer.append(
        new_entry(
            actor,
            EntryKind.ADMINISTRATION,
            lot,
            location,
            -quantity,
            occurred_at=when,
            client_id=dosing_session.client_id,
            dosing_session_id=dosing_session.pk,
            dose_order_ref=dosing_session.dose_order_id,
            reason=note.strip(),
        )
    )
    audit_entry(actor, entry, _("Administered %(mg)s mg of lot %(lot)s") % amount(entry))
    return entry


@transaction.atomic
def record_waste(
    *,
    actor: Actor,
    witness: User,
    lot: Lot,
    location: Location,
    quantity_mg: Decimal,
    reason: str,
    dosing_session: DosingSessionFacts | None = None,
    occurred_at: dt.datetime | None = None,
) -> LedgerEntry:
    """Record drug wasted (e.g. what is left of a vial after a dose), with a witness who was
    verified on the same screen. FACTS.md §5.7: wastage is recorded; a second witness is not a
    federal rule but many states require one, and kapcare always asks for one.
    Wastage of a dispensed dose needs no DEA Form 41. `occurred_at` (optional, beyond the
    dosing contract) is when it was wasted, if not now."""
    check_scope(actor, LedgerAction.WASTE, lot, location, dosing_session)
    check_witness(actor, witness)
    quantity = positive(quantity_mg, "quantity_mg")
    when = occurred(occurred_at)
    if not reason.strip():
        raise ValidationError({"reason": _("Say why and how it was wasted.")})
    entry = ChainWriter(actor.clinic).append(
        new_entry(
            actor,
            EntryKind.WASTE,
            lot,
            location,
            -quantity,
            occurred_at=when,
            witness=witness,
            witness_label=label(witness),
            client_id=dosing_session.client_id if dosing_session else None,
            dosing_session_id=dosing_session.pk if dosing_session else None,
            reason=reason.strip(),
        )
    )
    audit_entry(
        actor,
        entry,
        _("Wasted %(mg)s mg of lot %(lot)s, witnessed") % amount(entry),
        witness_id=witness.pk,
    )
    return entry


@transaction.atomic
def record_undelivered_waste(
    *,
    actor: Actor,
    witness: User,
    administration: LedgerEntry,
    quantity_mg: Decimal,
    reason: str,
    occurred_at: dt.datetime | None = None,
) -> tuple[LedgerEntry, LedgerEntry]:
    """Part of an administered dose that was drawn up but not given (an infusion stopped
    early), wasted under a witness. The administration entry over-states what the client got
    by this much, so a correction naming it gives the quantity back, and a waste entry takes
    it out again: the lot's balance does not move (the drug left stock once, when it was
    drawn), and the session's entries still add up to what was drawn. Called only by the
    dosing app's session-waste service, under the session's row lock, which checks the amount
    against what is still counted as given."""
    check_scope(actor, LedgerAction.WASTE, administration)
    check_witness(actor, witness)
    if administration.kind != EntryKind.ADMINISTRATION or administration.dosing_session_id is None:
        raise ValidationError(_("Only a dose given in a dosing session is wasted this way."))
    quantity = positive(quantity_mg, "quantity_mg")
    when = occurred(occurred_at)
    if not reason.strip():
        raise ValidationError({"reason": _("Say why and how it was wasted.")})
    writer = ChainWriter(actor.clinic)
    common = {
        "occurred_at": when,
        "witness": witness,
        "witness_label": label(witness),
        "client_id": administration.client_id,
        "dosing_session_id": administration.dosing_session_id,
        "dose_order_ref": administration.dose_order_ref,
    }
    given_back = writer.append(
        new_entry(
            actor,
            EntryKind.CORRECTION,
            administration.lot,
            administration.location,
            quantity,
            corrects=administration,
            reason=_("Drawn for the dose but not given: %(r)s") % {"r": reason.strip()},
            **common,
        )
    )
    wasted = writer.append(
        new_entry(
            actor,
            EntryKind.WASTE,
            administration.lot,
            administration.location,
            -quantity,
            related_entry=given_back,
            reason=reason.strip(),
            **common,
        )
    )
    audit_entry(
        actor,
        wasted,
        _("Wasted %(mg)s mg of lot %(lot)s drawn for a dose but not given, witnessed")
        % amount(wasted),
        witness_id=witness.pk,
        corrects_sequence=administration.sequence,
        correction_sequence=given_back.sequence,
    )
    return given_back, wasted
