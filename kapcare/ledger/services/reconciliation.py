"""Counts, inventories and discrepancy cases: the writes that reconcile the books with what is
physically on the shelf.

A count records, for each lot at each counted location, what the ledger expected and what was
found (one COUNT entry each, in the hash chain). Where they differ, a DiscrepancyCase opens and
administrations from that location stop until a clinic admin closes it: with a witnessed
adjustment entry per lot, or with a reason and no adjustment.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kapcare.accounts.actor import Actor, staff_user
from kapcare.accounts.models import User
from kapcare.audit.models import AuditAction
from kapcare.audit.services import record_event
from kapcare.core.transitions import StateMachine, transition
from kapcare.ledger import rules, states
from kapcare.ledger.chain import ChainWriter
from kapcare.ledger.models import (
    INVENTORY_PURPOSES,
    Balance,
    CaseStatus,
    Count,
    CountMethod,
    CountPurpose,
    CountTiming,
    DiscrepancyCase,
    EntryKind,
    LedgerEntry,
    Location,
    Lot,
    UnitLabel,
)
from kapcare.ledger.permissions import LedgerAction, require
from kapcare.ledger.selectors import count_differences
from kapcare.ledger.services.drafts import (
    audit_entry,
    check_scope,
    check_witness,
    clinic_date,
    label,
    ledger_settings,
    new_entry,
    occurred,
)


@dataclass(frozen=True)
class CountLine:
    """What was found of one lot at one location."""

    lot: Lot
    location: Location
    counted_mg: Decimal
    method: str = CountMethod.EXACT
    sealed_containers: int | None = None


def method_problem(line: CountLine, *, clinic_requires_exact: bool) -> str | None:
    """Why this line's count method is not allowed (FACTS.md §5.3), or None."""
    if line.method == CountMethod.EXACT:
        return None
    if line.method != CountMethod.ESTIMATED:
        return _("Choose exact or estimated.")
    product = line.lot.product
    if not rules.estimate_allowed(
        sealed=False,
        solid_units=product.unit_label == UnitLabel.LOZENGE,
        units_per_container=product.units_per_container,
        clinic_requires_exact=clinic_requires_exact,
    ):
        if clinic_requires_exact:
            return _("The clinic counts opened containers exactly: no estimates.")
        return _("A container of more than 1,000 units is counted exactly.")
    return None


def _check_timing(purpose: str, timing: str, location: Location | None) -> None:
    if purpose not in CountPurpose.values:
        raise ValidationError({"purpose": _("Choose what kind of count this is.")})
    if purpose != CountPurpose.SPOT and timing not in (CountTiming.OPENING, CountTiming.CLOSING):
        raise ValidationError(
            {"timing": _("Say whether this count is at the start or the end of the day.")}
        )
    if purpose in INVENTORY_PURPOSES and location is not None:
        raise ValidationError(_("An inventory covers every location at once."))
    if purpose not in INVENTORY_PURPOSES and location is None:
        raise ValidationError({"location": _("Choose the location you counted.")})


@transaction.atomic
def record_count(
    *,
    actor: Actor,
    witness: User,
    purpose: str,
    timing: str,
    location: Location | None,
    lines: list[CountLine],
    note: str = "",
    taken_at: dt.datetime | None = None,
) -> Count:
    """Record a witnessed physical count of `location` (or, for an initial or biennial
    inventory, of every location: FACTS.md §5.3). Every lot the ledger holds there must be
    counted. Differences open a DiscrepancyCase per location."""
    check_scope(
        actor,
        LedgerAction.COUNT,
        location,
        *(line.lot for line in lines),
        *(line.location for line in lines),
    )
    check_witness(actor, witness)
    _check_timing(purpose, timing, location)
    when = occurred(taken_at)
    writer = ChainWriter(actor.clinic)
    on_hand = Balance.objects.filter(clinic=actor.clinic, quantity_mg__gt=0)
    if location is not None:
        on_hand = on_hand.filter(location=location)
    required = set(on_hand.values_list("lot_id", "location_id"))
    given = {(line.lot.pk, line.location.pk) for line in lines}
    if len(given) != len(lines):
        raise ValidationError(_("Each lot is counted once per location."))
    if location is not None and any(line.location.pk != location.pk for line in lines):
        raise ValidationError(_("Every line must be at the location being counted."))
    balances = writer.lock_balances(sorted(required | given))
    missing = sorted(required - given)
    if missing:
        names = Lot.objects.filter(pk__in=[lot for lot, _loc in missing]).values_list(
            "lot_number", flat=True
        )
        raise ValidationError(
            _("Count every lot held here; missing: %(lots)s.") % {"lots": ", ".join(names)}
        )
    exact_only = ledger_settings(actor.clinic).exact_count_for_open_containers
    for line in lines:
        problem = method_problem(line, clinic_requires_exact=exact_only)
        if line.counted_mg < 0:
            problem = _("A count cannot be below zero.")
        if problem:
            raise ValidationError(f"{line.lot.lot_number}: {problem}")
    expected = {pair: balances[pair].quantity_mg for pair in given}
    differing = {
        (line.lot.pk, line.location.pk)
        for line in lines
        if rules.differs(expected[(line.lot.pk, line.location.pk)], line.counted_mg)
    }
    count = Count.objects.create(
        clinic=actor.clinic,
        location=location,
        purpose=purpose,
        timing=timing if purpose != CountPurpose.SPOT else CountTiming.NONE,
        business_date=clinic_date(actor.clinic, when),
        taken_at=when,
        counted_by=staff_user(actor),
        counted_by_label=label(staff_user(actor)),
        witness=witness,
        witness_label=label(witness),
        has_discrepancy=bool(differing),
        note=note.strip(),
    )
    ordered = sorted(lines, key=lambda line: (line.location.name, line.lot.lot_number))
    for line in ordered:
        writer.append(
            new_entry(
                actor,
                EntryKind.COUNT,
                line.lot,
                line.location,
                Decimal(0),
                occurred_at=when,
                witness=witness,
                witness_label=label(witness),
                count=count,
                expected_mg=expected[(line.lot.pk, line.location.pk)],
                counted_mg=rules.mg(line.counted_mg),
                count_method=line.method,
                sealed_containers=line.sealed_containers,
            )
        )
    record_event(
        actor=actor,
        action=AuditAction.CREATE,
        obj=count,
        summary=_("%(purpose)s recorded: %(result)s")
        % {
            "purpose": count.get_purpose_display(),
            "result": _("discrepancy") if differing else _("matches the ledger"),
        },
        details={"lines": len(lines), "differing": len(differing), "witness_id": witness.pk},
    )
    for location_id in sorted({loc for _lot, loc in differing}):
        case = DiscrepancyCase.objects.create(
            clinic=actor.clinic, location_id=location_id, count=count, opened_at=when
        )
        record_event(
            actor=actor,
            action=AuditAction.CREATE,
            obj=case,
            summary=_("Discrepancy case opened: administrations from this location are blocked"),
            details={"count_id": count.pk, "location_id": location_id},
        )
    return count


# How a case's status changes: the table in states.py; a case keeps no history rows (it
# closes once, and its closing fields say who, when and why).
MACHINE: StateMachine[DiscrepancyCase] = StateMachine(
    table=states.TRANSITIONS,
    refused=lambda a, b: (
        _("This case is %(status)s and cannot change.") % {"status": CaseStatus(a).label.lower()}
    ),
    summary=lambda case, a, b: (
        _("Discrepancy case %(to)s") % {"to": case.get_status_display().lower()}
    ),
)


@transaction.atomic
def transition_case(
    *,
    actor: Actor,
    case: DiscrepancyCase,
    to: str,
    reason: str,
    witness: User | None = None,
) -> DiscrepancyCase:
    """Close a discrepancy case. RESOLVED appends one witnessed ADJUSTMENT per differing lot
    (found − expected) so the books match the count; OVERRIDDEN closes it with the reason
    only. Either way the location is no longer blocked and the change is audited."""
    require(actor, LedgerAction.RESOLVE)
    if case.clinic_id != actor.clinic_id:
        raise PermissionDenied(_("That record belongs to another clinic."))
    if not reason.strip():
        raise ValidationError({"reason": _("Record what was found and why this closes it.")})
    writer = ChainWriter(actor.clinic)  # chain head first, then the case: the fixed lock order
    if to not in states.WITNESS_REQUIRED:
        witness = None

    def close(locked: DiscrepancyCase) -> dict:
        checked = check_witness(actor, witness) if to in states.WITNESS_REQUIRED else None
        adjustments = []
        if to == CaseStatus.RESOLVED:
            assert checked is not None  # a resolution is always witnessed (WITNESS_REQUIRED)
            for line in count_differences(locked):
                adjustments.append(
                    writer.append(
                        new_entry(
                            actor,
                            EntryKind.ADJUSTMENT,
                            line.lot,
                            line.location,
                            line.difference,
                            witness=checked,
                            witness_label=label(checked),
                            discrepancy_case=locked,
                            reason=reason.strip(),
                        )
                    )
                )
        for entry in adjustments:
            audit_entry(
                actor, entry, _("Adjustment for discrepancy case %(id)s") % {"id": locked.pk}
            )
        return {"adjustment_sequences": [entry.sequence for entry in adjustments]}

    return transition(
        case,
        machine=MACHINE,
        to=to,
        actor=actor,
        fields={
            "closed_at": timezone.now(),
            "closed_by": actor.user,
            "witness": witness,
            "reason": reason.strip(),
        },
        apply=close,
        details={"reason": reason.strip(), "witness_id": witness.pk if witness else None},
    )


@transaction.atomic
def record_correction(
    *, actor: Actor, witness: User, entry: LedgerEntry, quantity_mg: Decimal, reason: str
) -> LedgerEntry:
    """Correct an earlier entry's quantity with a new, witnessed entry that names it
    (FACTS.md §5.2: never overwrite; append the correction with who, when and why)."""
    check_scope(actor, LedgerAction.CORRECT, entry)
    check_witness(actor, witness)
    change = rules.mg(quantity_mg)
    if change == 0:
        raise ValidationError({"quantity_mg": _("A correction changes the quantity by some mg.")})
    if entry.kind == EntryKind.COUNT:
        raise ValidationError(_("A count is corrected by counting again, not by a correction."))
    if not reason.strip():
        raise ValidationError({"reason": _("Say what was wrong and how it was found.")})
    correction = ChainWriter(actor.clinic).append(
        new_entry(
            actor,
            EntryKind.CORRECTION,
            entry.lot,
            entry.location,
            change,
            witness=witness,
            witness_label=label(witness),
            client_id=entry.client_id,
            corrects=entry,
            reason=reason.strip(),
        )
    )
    audit_entry(
        actor,
        correction,
        _("Corrected entry #%(n)s by %(mg)s mg") % {"n": entry.sequence, "mg": change},
        corrects_sequence=entry.sequence,
    )
    return correction
