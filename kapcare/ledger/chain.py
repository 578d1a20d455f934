"""Appending to a clinic's hash chain, and proving it has not been changed.

Every append runs inside its service's transaction and takes its locks in one fixed order:
the clinic's chain head first (so appends to one clinic's ledger are serialised and each links
to the one before), then the Balance rows it touches in primary-key order. Balances are read
only after the locks are held, so two administrations from one lot can never both see stock
that only one of them can have.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from kapcare.accounts.models import Clinic
from kapcare.audit.hashchain import locked_head, verify_rows
from kapcare.ledger import rules
from kapcare.ledger.models import GENESIS_HASH, Balance, LedgerChain, LedgerEntry

# Every recorded field of an entry, in the order they are hashed (the JSON keys are sorted
# anyway). All but the row id and the hash itself.
HASHED_FIELDS: tuple[str, ...] = (
    "clinic_id",
    "sequence",
    "kind",
    "lot_id",
    "location_id",
    "quantity_mg",
    "quantity_units",
    "volume_ml",
    "balance_after_mg",
    "occurred_at",
    "recorded_at",
    "actor_id",
    "actor_label",
    "witness_id",
    "witness_label",
    "client_id",
    "dosing_session_id",
    "dose_order_ref",
    "counterpart_location_id",
    "related_entry_id",
    "corrects_id",
    "count_id",
    "expected_mg",
    "counted_mg",
    "count_method",
    "sealed_containers",
    "discrepancy_case_id",
    "method",
    "reference",
    "reason",
    "prev_hash",
)

_DECIMAL_PLACES = {
    field.attname: Decimal(1).scaleb(-field.decimal_places)
    for field in LedgerEntry._meta.concrete_fields
    if field.get_internal_type() == "DecimalField"
}


def hashed_values(entry: LedgerEntry) -> dict:
    return {name: getattr(entry, name) for name in HASHED_FIELDS}


def seal(entry: LedgerEntry, *, sequence: int, prev_hash: str) -> LedgerEntry:
    """Number the entry, link it to the previous hash and compute its own. Decimals are
    rounded to what the column stores first, so the hash matches the row read back."""
    for name, places in _DECIMAL_PLACES.items():
        value = getattr(entry, name)
        if value is not None:
            setattr(entry, name, Decimal(value).quantize(places))
    entry.sequence = sequence
    entry.prev_hash = prev_hash
    entry.entry_hash = rules.content_hash(hashed_values(entry))
    return entry


def _locked_head(clinic: Clinic) -> LedgerChain:
    return locked_head(LedgerChain, clinic=clinic)


class ChainWriter:
    """Appends entries for one clinic inside the caller's transaction.

    Use: writer = ChainWriter(clinic); writer.lock_balances(pairs); writer.append(entry)…
    """

    def __init__(self, clinic: Clinic):
        if not transaction.get_connection().in_atomic_block:
            raise RuntimeError("ledger appends run inside the service's transaction")
        self.clinic = clinic
        self.head = _locked_head(clinic)
        self.balances: dict[tuple[int, int], Balance] = {}

    def lock_balances(self, pairs: Iterable[tuple[int, int]]) -> dict[tuple[int, int], Balance]:
        """Lock (creating at zero if new) the Balance rows for these (lot id, location id)
        pairs, in primary-key order, and return them keyed by pair."""
        wanted = set(pairs) - set(self.balances)
        if not wanted:
            return self.balances
        existing = set(
            Balance.objects.filter(
                clinic=self.clinic,
                lot_id__in={lot for lot, _loc in wanted},
                location_id__in={loc for _lot, loc in wanted},
            ).values_list("lot_id", "location_id")
        )
        # Safe without a race: every writer that could create these holds the chain head.
        Balance.objects.bulk_create(
            Balance(clinic=self.clinic, lot_id=lot, location_id=loc)
            for lot, loc in sorted(wanted - existing)
        )
        rows = Balance.objects.select_for_update().filter(
            clinic=self.clinic,
            lot_id__in={lot for lot, _loc in wanted},
            location_id__in={loc for _lot, loc in wanted},
        )
        for row in rows.order_by("pk"):
            if (row.lot_id, row.location_id) in wanted:
                self.balances[(row.lot_id, row.location_id)] = row
        return self.balances

    def balance(self, lot_id: int, location_id: int) -> Decimal:
        return self.lock_balances([(lot_id, location_id)])[(lot_id, location_id)].quantity_mg

    def append(self, entry: LedgerEntry) -> LedgerEntry:
        """Record `entry` (kind, lot, location, signed quantity_mg and its other fields set):
        refuses with ValidationError when the lot's balance at the location would go below
        zero; otherwise fills in the units, volume, running balance and hash, and saves."""
        key = (entry.lot_id, entry.location_id)
        row = self.lock_balances([key])[key]
        after = rules.balance_after(row.quantity_mg, entry.quantity_mg)
        if after is None:
            raise ValidationError(
                _(
                    "Only %(have)s mg of lot %(lot)s is at %(location)s; %(want)s mg cannot "
                    "be taken from it."
                )
                % {
                    "have": rules.canonical_value(row.quantity_mg),
                    "lot": entry.lot.lot_number,
                    "location": entry.location.name,
                    "want": rules.canonical_value(-entry.quantity_mg),
                }
            )
        product = entry.lot.product
        entry.clinic = self.clinic
        entry.quantity_units = rules.units_from_mg(entry.quantity_mg, product.mg_per_unit)
        entry.volume_ml = rules.ml_from_mg(entry.quantity_mg, product.concentration_mg_per_ml)
        entry.balance_after_mg = after
        entry.recorded_at = timezone.now()
        entry.occurred_at = entry.occurred_at or entry.recorded_at
        seal(entry, sequence=self.head.last_sequence + 1, prev_hash=self.head.last_hash)
        entry.save(force_insert=True)
        row.quantity_mg = after
        row.updated_at = entry.recorded_at
        row.save(update_fields=["quantity_mg", "updated_at"])
        self.head.last_sequence = entry.sequence
        self.head.last_hash = entry.entry_hash
        self.head.updated_at = entry.recorded_at
        self.head.save(update_fields=["last_sequence", "last_hash", "updated_at"])
        return entry


# --- Verification ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Verification:
    clinic: Clinic
    checked: int
    head_sequence: int
    head_hash: str
    problem: str = ""
    bad_entry_id: int | None = None

    @property
    def ok(self) -> bool:
        return not self.problem


def verify_chain(clinic: Clinic, *, chunk_size: int = 5000) -> Verification:
    """Recompute the clinic's chain from the first entry; stop at the first bad one.

    Checks, entry by entry in sequence order: numbering without gaps or repeats, the link to
    the previous entry's hash, the entry's own hash against its content, and its running
    balance against the entries before it. Then the chain head must end where the entries do
    (a row added after the head was not written by kapcare), and every Balance row must equal
    the sum of its entries.
    """
    head = LedgerChain.objects.filter(clinic=clinic).first()
    head_sequence = head.last_sequence if head else 0
    head_hash = head.last_hash if head else GENESIS_HASH
    rows = (
        LedgerEntry.objects.filter(clinic=clinic)
        .order_by("sequence", "id")
        .values_list("id", "entry_hash", *HASHED_FIELDS)
        .iterator(chunk_size=chunk_size)
    )
    running: dict[tuple[int, int], Decimal] = {}

    def balance_follows(values: dict) -> str:
        key = (values["lot_id"], values["location_id"])
        running[key] = running.get(key, Decimal(0)) + values["quantity_mg"]
        if running[key] != values["balance_after_mg"]:
            return (
                f"records a balance of {values['balance_after_mg']} mg but the entries "
                f"before it give {running[key]} mg"
            )
        return ""

    result = verify_rows(
        ((row[0], row[1], dict(zip(HASHED_FIELDS, row[2:], strict=True))) for row in rows),
        head_sequence=head_sequence,
        head_hash=head_hash,
        check=balance_follows,
    )
    checked = result.checked

    def broken(problem: str, entry_id: int | None = None) -> Verification:
        return Verification(clinic, checked, head_sequence, head_hash, problem, entry_id)

    if not result.ok:
        return broken(result.problem, result.bad_id)
    sums = {
        (row["lot_id"], row["location_id"]): rules.mg(row["total"])
        for row in LedgerEntry.objects.filter(clinic=clinic)
        .values("lot_id", "location_id")
        .annotate(total=Sum("quantity_mg"))
        .order_by()
    }
    for balance in Balance.objects.filter(clinic=clinic).order_by("pk"):
        total = sums.get((balance.lot_id, balance.location_id), Decimal(0))
        if rules.mg(balance.quantity_mg) != total:
            return broken(
                f"the balance of lot id {balance.lot_id} at location id {balance.location_id} "
                f"is {rules.canonical_value(balance.quantity_mg)} mg but its entries sum to "
                f"{rules.canonical_value(total)} mg"
            )
    return Verification(clinic, checked, head_sequence, head_hash)
