"""The ledger's reports: per-lot history, per-client administrations, a period report and the
initial and biennial inventories (FACTS.md §5.3), as rows shared by the pages, CSV and PDF.

Totals are aggregated in SQL and entry lists are streamed or paginated, so a report costs the
same few queries over a hundred entries or a hundred thousand.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from zoneinfo import ZoneInfo

from django.db.models import Q, QuerySet, Sum
from django.utils import timezone

from kapcare.accounts.models import Clinic
from kapcare.ledger import rules
from kapcare.ledger.models import Balance, Count, EntryKind, LedgerEntry, Lot, Registrant

K = EntryKind
MOVEMENT_COLUMNS: list[tuple[str, tuple[str, ...]]] = [
    ("received", (K.RECEIPT,)),
    ("transferred_in", (K.TRANSFER_IN,)),
    ("transferred_out", (K.TRANSFER_OUT,)),
    ("administered", (K.ADMINISTRATION,)),
    ("wasted", (K.WASTE,)),
    ("disposed", (K.DISPOSAL,)),
    ("lost", (K.LOSS,)),
    ("adjusted", (K.ADJUSTMENT, K.CORRECTION)),
]

# WeasyPrint lays out a table row in roughly 25 ms, so a PDF lists entries only up to this many;
# beyond it the PDF gives the totals and says that the CSV export holds every entry.
PDF_ENTRY_LIMIT = 250


def entries_for_pdf(entries: QuerySet[LedgerEntry]) -> tuple[list[LedgerEntry], int | None]:
    """(the entries to list, None) when few enough; otherwise ([], how many there are)."""
    listed = list(entries.select_related("corrects")[: PDF_ENTRY_LIMIT + 1])
    if len(listed) <= PDF_ENTRY_LIMIT:
        return listed, None
    return [], entries.count()


def period_bounds(clinic: Clinic, start: dt.date, end: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """Whole days in the clinic's time zone, end day included."""
    zone = ZoneInfo(clinic.time_zone)
    return (
        dt.datetime.combine(start, dt.time.min, zone),
        dt.datetime.combine(end + dt.timedelta(days=1), dt.time.min, zone),
    )


def _opening_and_movements(
    clinic: Clinic, since: dt.datetime, until: dt.datetime
) -> dict[int, dict]:
    """Per lot: "opening" (on hand at `since`) and each movement column's sum in the period.

    Two ways to the same numbers, whichever reads fewer entries: counting forward sums the
    entries before the start; counting back takes the lots' balances (each the sum of its
    entries, kept with every entry) less everything since the start. A recent period, the
    usual one, thus reads a few days of entries, not the ledger's whole history."""
    entries = LedgerEntry.objects.filter(clinic=clinic).order_by()
    first = entries.order_by("occurred_at").values_list("occurred_at", flat=True).first()
    if first is None:
        return {}
    in_period = Q(occurred_at__gte=since, occurred_at__lt=until)
    movements = {
        name: Sum("quantity_mg", filter=Q(kind__in=kinds) & in_period)
        for name, kinds in MOVEMENT_COLUMNS
    }
    if since - first <= timezone.now() - since:
        rows = (
            entries.filter(occurred_at__lt=until)
            .values("lot_id")
            .annotate(opening=Sum("quantity_mg", filter=Q(occurred_at__lt=since)), **movements)
        )
        return {row["lot_id"]: row for row in rows}
    on_hand = dict(
        Balance.objects.filter(clinic=clinic, quantity_mg__gt=0)
        .order_by()
        .values("lot_id")
        .annotate(total=Sum("quantity_mg"))
        .values_list("lot_id", "total")
    )
    rows = (
        entries.filter(occurred_at__gte=since)
        .values("lot_id")
        .annotate(since_start=Sum("quantity_mg"), **movements)
    )
    found = {row["lot_id"]: row for row in rows}
    for lot_id in set(on_hand) | set(found):
        row = found.setdefault(lot_id, {})
        row["opening"] = (on_hand.get(lot_id) or 0) - (row.get("since_start") or 0)
    return found


def period_summary(*, clinic: Clinic, start: dt.date, end: dt.date) -> list[dict]:
    """Per lot with something to report (stock at the start, or a movement in the period): on
    hand at the start, each kind of movement in the period, on hand at the end (all locations
    together). A lot used up before the period is left out. At most four queries whatever the
    number of entries."""
    since, until = period_bounds(clinic, start, end)
    sums = _opening_and_movements(clinic, since, until)
    lots = Lot.objects.filter(pk__in=set(sums)).select_related("product")
    rows = []
    for lot in sorted(lots, key=lambda lot: (lot.product.name, lot.expires_on, lot.lot_number)):
        found = sums[lot.pk]
        row = {"lot": lot, "opening": rules.mg(found.get("opening") or 0)}
        for name, _kinds in MOVEMENT_COLUMNS:
            row[name] = rules.mg(found.get(name) or 0)
        if not row["opening"] and not any(row[name] for name, _kinds in MOVEMENT_COLUMNS):
            continue
        row["closing"] = row["opening"] + sum(row[name] for name, _kinds in MOVEMENT_COLUMNS)
        rows.append(row)
    return rows


def product_totals(rows: list[dict]) -> list[dict]:
    """The period summary added up per product (the page's short view; the lots are in the
    exports)."""
    totals: dict[int, dict] = {}
    for row in rows:
        product = row["lot"].product
        total = totals.setdefault(
            product.pk, {"product": product, "lots": 0, "opening": 0, "closing": 0}
        )
        total["lots"] += 1
        for name in ["opening", "closing", *(name for name, _kinds in MOVEMENT_COLUMNS)]:
            total[name] = total.get(name, 0) + row[name]
    return list(totals.values())


def period_entries(*, clinic: Clinic, start: dt.date, end: dt.date) -> QuerySet[LedgerEntry]:
    since, until = period_bounds(clinic, start, end)
    return (
        LedgerEntry.objects.filter(clinic=clinic, occurred_at__gte=since, occurred_at__lt=until)
        .select_related("lot__product", "location", "counterpart_location", "client")
        .order_by("sequence")
    )


def lot_entries(*, lot: Lot) -> QuerySet[LedgerEntry]:
    return (
        LedgerEntry.objects.filter(clinic_id=lot.clinic_id, lot=lot)
        .select_related("location", "counterpart_location", "client")
        .order_by("sequence")
    )


# --- Rows for CSV and PDF -------------------------------------------------------------------

ENTRY_COLUMNS = [
    "sequence",
    "occurred_at",
    "recorded_at",
    "kind",
    "product",
    "ndc",
    "lot",
    "expires_on",
    "location",
    "quantity_mg",
    "quantity_units",
    "unit",
    "volume_ml",
    "balance_after_mg",
    "client_id",
    "client",
    "dosing_session_id",
    "dose_order_id",
    "by",
    "witness",
    "other_location",
    "expected_mg",
    "counted_mg",
    "count_method",
    "method",
    "reference",
    "reason",
    "corrects_sequence",
    "entry_hash",
]


def entry_row(entry: LedgerEntry, zone) -> list:
    lot = entry.lot
    return [
        entry.sequence,
        timezone.localtime(entry.occurred_at, zone).isoformat(timespec="seconds"),
        timezone.localtime(entry.recorded_at, zone).isoformat(timespec="seconds"),
        entry.kind,
        lot.product.name,
        lot.ndc,
        lot.lot_number,
        lot.expires_on.isoformat(),
        entry.location.name,
        entry.quantity_mg,
        entry.quantity_units,
        lot.product.unit_label,
        entry.volume_ml if entry.volume_ml is not None else "",
        entry.balance_after_mg,
        entry.client_id or "",
        entry.client.full_name if entry.client_id else "",
        entry.dosing_session_id or "",
        entry.dose_order_ref or "",
        entry.actor_label,
        entry.witness_label,
        entry.counterpart_location.name if entry.counterpart_location_id else "",
        "" if entry.expected_mg is None else entry.expected_mg,
        "" if entry.counted_mg is None else entry.counted_mg,
        entry.count_method,
        entry.method,
        entry.reference,
        entry.reason,
        entry.corrects.sequence if entry.corrects_id else "",
        entry.entry_hash,
    ]


def entry_rows(entries: QuerySet[LedgerEntry], zone) -> Iterator[list]:
    """Streamed in chunks: a CSV of every entry never holds them all in memory."""
    for entry in entries.select_related("lot__product", "corrects").iterator(chunk_size=2000):
        yield entry_row(entry, zone)


SUMMARY_COLUMNS = (
    ["product", "ndc", "lot", "expires_on", "opening_mg"]
    + [f"{name}_mg" for name, _kinds in MOVEMENT_COLUMNS]
    + ["closing_mg"]
)


def summary_row(row: dict) -> list:
    lot = row["lot"]
    return (
        [lot.product.name, lot.ndc, lot.lot_number, lot.expires_on.isoformat(), row["opening"]]
        + [row[name] for name, _kinds in MOVEMENT_COLUMNS]
        + [row["closing"]]
    )


# --- Inventories (FACTS.md §5.3) ------------------------------------------------------------

INVENTORY_COLUMNS = [
    "location",
    "substance",
    "drug_code",
    "schedule",
    "product",
    "dosage_form",
    "strength",
    "ndc",
    "lot",
    "expires_on",
    "units_per_container",
    "unit",
    "sealed_containers",
    "opened_quantity_mg",
    "count_method",
    "total_counted_mg",
    "total_counted_units",
    "expected_mg",
]


def inventory_lines(count: Count) -> list[dict]:
    """Each line as §5.3 asks: substance, form, strength, units per container, sealed
    containers, what is in opened containers (and how it was counted)."""
    lines = []
    for entry in (
        LedgerEntry.objects.filter(clinic_id=count.clinic_id, count=count)
        .select_related("lot__product", "location")
        .order_by("location__name", "lot__lot_number")
    ):
        product = entry.lot.product
        container_mg = product.mg_per_unit * product.units_per_container
        sealed = entry.sealed_containers
        opened = entry.counted_mg - (sealed or 0) * container_mg if sealed is not None else None
        strength = (
            f"{rules.canonical_value(product.concentration_mg_per_ml)} mg/mL, "
            f"{rules.canonical_value(product.mg_per_unit)} mg per {product.unit_label}"
            if product.concentration_mg_per_ml
            else f"{rules.canonical_value(product.mg_per_unit)} mg per {product.unit_label}"
        )
        lines.append(
            {
                "entry": entry,
                "product": product,
                "strength": strength,
                "sealed": sealed,
                "opened_mg": opened,
                "units": rules.units_from_mg(entry.counted_mg, product.mg_per_unit),
                "differs": rules.differs(entry.expected_mg, entry.counted_mg),
            }
        )
    return lines


def inventory_row(line: dict) -> list:
    entry, product = line["entry"], line["product"]
    return [
        entry.location.name,
        "esketamine" if product.is_esketamine else "ketamine",
        product.drug_code,
        product.schedule,
        product.name,
        product.get_dosage_form_display(),
        line["strength"],
        entry.lot.ndc,
        entry.lot.lot_number,
        entry.lot.expires_on.isoformat(),
        product.units_per_container,
        product.unit_label,
        "" if line["sealed"] is None else line["sealed"],
        "" if line["opened_mg"] is None else line["opened_mg"],
        entry.count_method,
        entry.counted_mg,
        line["units"],
        entry.expected_mg,
    ]


def registrant_for(clinic_id: int) -> Registrant | None:
    return Registrant.objects.filter(clinic_id=clinic_id).first()
