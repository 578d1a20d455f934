"""Reads of the ledger shared by pages, reports, the dosing app and (later) the API. Every
query is scoped to one clinic and bounded: lists are querysets the caller paginates, totals are
aggregated in SQL."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import TypedDict
from zoneinfo import ZoneInfo

from django.db.models import F, Q, QuerySet, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from kapcare.accounts.models import Clinic
from kapcare.ledger import rules
from kapcare.ledger.models import (
    Balance,
    CaseStatus,
    Count,
    CountPurpose,
    CountTiming,
    DiscrepancyCase,
    EntryKind,
    LedgerChain,
    LedgerEntry,
    LedgerSettings,
    Location,
    LossReport,
    Lot,
    Product,
)


@dataclass(frozen=True)
class AvailableStock:
    """Stock of one lot at one location that a dose can be taken from now."""

    lot: Lot
    location: Location
    balance_mg: Decimal

    @property
    def product(self) -> Product:
        return self.lot.product

    @property
    def units(self) -> Decimal:
        return rules.units_from_mg(self.balance_mg, self.lot.product.mg_per_unit)

    @property
    def label(self) -> str:
        return _("%(product)s · lot %(lot)s (exp. %(exp)s) · %(location)s · %(mg)s mg") % {
            "product": self.lot.product.name,
            "lot": self.lot.lot_number,
            "exp": self.lot.expires_on.isoformat(),
            "location": self.location.name,
            "mg": rules.canonical_value(self.balance_mg),
        }


def blocked_location_ids(*, clinic_id: int) -> set[int]:
    """Locations with an open discrepancy case: no administrations from them."""
    return set(
        DiscrepancyCase.objects.filter(clinic_id=clinic_id, status=CaseStatus.OPEN).values_list(
            "location_id", flat=True
        )
    )


def stock_problem(
    *, clinic_id: int, lot: Lot, location: Location, quantity_mg: Decimal
) -> str | None:
    """Why a dose of `quantity_mg` cannot come from `lot` at `location` now, or None when the
    stock can cover it: enough balance, not expired, location not blocked. The dosing app's
    stock gate reads this; record_administration checks the same again under its locks."""
    if lot.clinic_id != clinic_id or location.clinic_id != clinic_id:
        return _("This lot or location belongs to another clinic.")
    zone = Clinic.objects.filter(pk=clinic_id).values_list("time_zone", flat=True).get()
    balance = (
        Balance.objects.filter(clinic_id=clinic_id, lot=lot, location=location)
        .values_list("quantity_mg", flat=True)
        .first()
    )
    return rules.stock_problem(
        balance_mg=balance or Decimal(0),
        quantity_mg=rules.mg(quantity_mg),
        expires_on=lot.expires_on,
        on=timezone.localdate(timezone=ZoneInfo(zone)),
        blocked=location.pk in blocked_location_ids(clinic_id=clinic_id),
        location_active=location.active,
    )


def available_lots(*, clinic_id: int, product: Product | None = None) -> list[AvailableStock]:
    """Lots with stock a dose can be taken from, per location: positive balance, not expired,
    location in use and not blocked. Soonest expiry first (use it before it goes off)."""
    zone = Clinic.objects.filter(pk=clinic_id).values_list("time_zone", flat=True).get()
    today = timezone.localdate(timezone=ZoneInfo(zone))
    rows = (
        Balance.objects.filter(
            clinic_id=clinic_id,
            quantity_mg__gt=0,
            lot__expires_on__gte=today,
            location__active=True,
        )
        .exclude(location_id__in=blocked_location_ids(clinic_id=clinic_id))
        .select_related("lot__product", "location")
        .order_by("lot__expires_on", "lot__lot_number", "location__name")
    )
    if product is not None:
        rows = rows.filter(lot__product=product)
    return [AvailableStock(row.lot, row.location, row.quantity_mg) for row in rows]


def stock_balances(*, clinic_id: int) -> QuerySet[Balance]:
    """Every lot with stock, at every location (for choosing what to move, waste or count)."""
    return (
        Balance.objects.filter(clinic_id=clinic_id, quantity_mg__gt=0)
        .select_related("lot__product", "location")
        .order_by("location__name", "lot__expires_on", "lot__lot_number")
    )


class LocationStock(TypedDict):
    location: Location
    blocked: bool
    rows: list[Balance]


def stock_by_location(*, clinic_id: int, today: dt.date) -> list[LocationStock]:
    """Each location with the lots held there and whether it is blocked (two queries)."""
    blocked = blocked_location_ids(clinic_id=clinic_id)
    locations: dict[int, LocationStock] = {
        loc.pk: {"location": loc, "blocked": loc.pk in blocked, "rows": []}
        for loc in Location.objects.filter(clinic_id=clinic_id)
        .filter(Q(active=True) | Q(balances__quantity_mg__gt=0))
        .distinct()
    }
    for row in stock_balances(clinic_id=clinic_id):
        # Display attributes the stock page reads off each balance row.
        row.units = rules.units_from_mg(row.quantity_mg, row.lot.product.mg_per_unit)  # type: ignore[attr-defined]
        row.volume_ml = rules.ml_from_mg(row.quantity_mg, row.lot.product.concentration_mg_per_ml)  # type: ignore[attr-defined]
        row.expired = row.lot.is_expired(today)  # type: ignore[attr-defined]
        locations[row.location_id]["rows"].append(row)
    return sorted(locations.values(), key=lambda item: item["location"].name)


def lots_with_totals(*, clinic_id: int) -> QuerySet[Lot]:
    """Lots with their total on hand across locations, summed in SQL."""
    return (
        Lot.objects.filter(clinic_id=clinic_id)
        .select_related("product")
        .annotate(on_hand_mg=Sum("balances__quantity_mg"))
        # Lots with stock first; a lot never put anywhere sums to NULL, which PostgreSQL would
        # otherwise sort before everything when descending.
        .order_by(F("on_hand_mg").desc(nulls_last=True), "expires_on", "id")
    )


def ledger_entries(
    *,
    clinic: Clinic,
    kind: str = "",
    location_id: int | None = None,
    lot_id: int | None = None,
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
) -> QuerySet[LedgerEntry]:
    """The clinic's entries, newest first, with what a row shows joined in (one query a page).
    Dates are whole days in the clinic's time zone."""
    entries = LedgerEntry.objects.filter(clinic=clinic).select_related(
        "lot__product", "location", "counterpart_location", "client"
    )
    if kind:
        entries = entries.filter(kind=kind)
    if location_id:
        entries = entries.filter(location_id=location_id)
    if lot_id:
        entries = entries.filter(lot_id=lot_id)
    zone = ZoneInfo(clinic.time_zone)
    if date_from:
        entries = entries.filter(occurred_at__gte=dt.datetime.combine(date_from, dt.time.min, zone))
    if date_to:
        end = dt.datetime.combine(date_to + dt.timedelta(days=1), dt.time.min, zone)
        entries = entries.filter(occurred_at__lt=end)
    return entries.order_by("-sequence")


def client_administrations(*, clinic_id: int, client_id: int) -> QuerySet[LedgerEntry]:
    """A client's administrations and the waste from their doses, oldest first."""
    return (
        LedgerEntry.objects.filter(clinic_id=clinic_id, client_id=client_id)
        .select_related("lot__product", "location", "counterpart_location", "client")
        .order_by("occurred_at", "sequence")
    )


def open_cases(*, clinic_id: int) -> QuerySet[DiscrepancyCase]:
    return (
        DiscrepancyCase.objects.filter(clinic_id=clinic_id, status=CaseStatus.OPEN)
        .select_related("location", "count")
        .order_by("opened_at", "id")
    )


def chain_head(*, clinic_id: int) -> LedgerChain | None:
    return LedgerChain.objects.filter(clinic_id=clinic_id).first()


def settings_for(clinic: Clinic) -> LedgerSettings:
    """The clinic's settings, or the unsaved defaults when it has never changed them."""
    return LedgerSettings.objects.filter(clinic=clinic).first() or LedgerSettings(clinic=clinic)


CountCell = dict[str, bool | str | Count | dt.time | None]


def counts_today(
    *, clinic: Clinic, now: dt.datetime | None = None
) -> list[dict[str, Location | CountCell]]:
    """Each active location's opening and closing count today: done (with the count), due,
    later, or off (clinic setting)."""
    local = timezone.localtime(now or timezone.now(), ZoneInfo(clinic.time_zone))
    config = settings_for(clinic)
    done = {
        (count.location_id, count.timing): count
        for count in Count.objects.filter(
            clinic=clinic,
            business_date=local.date(),
            purpose=CountPurpose.DAILY,
            location__isnull=False,
        )
        .select_related("clinic")
        .order_by("taken_at")
    }
    rows = []
    for location in Location.objects.filter(clinic=clinic, active=True).order_by("name"):
        row: dict[str, Location | CountCell] = {"location": location}
        for timing, enabled, at, closing in [
            (CountTiming.OPENING, config.count_at_opening, config.day_opens_at, False),
            (CountTiming.CLOSING, config.count_at_closing, config.day_closes_at, True),
        ]:
            count = done.get((location.pk, timing))
            late = (
                count is not None
                and timing == CountTiming.OPENING
                and bool(doses_before_opening_count(count))
            )
            row[timing] = {
                "late": late,
                "status": rules.count_status(
                    now=local.time(),
                    at=at,
                    enabled=enabled,
                    done=count is not None,
                    closing=closing,
                ),
                "count": count,
                "at": at,
            }
        rows.append(row)
    return rows


def doses_before_opening_count(count: Count) -> int:
    """How many administrations (and waste) the ledger holds at the count's location earlier on
    the count's clinic day. A start-of-day count is the baseline the day's doses are checked
    against (FACTS.md §5.3: an inventory states opening or close of business); recorded after
    doses it is not a start-of-day count, and the count's page and the day's list flag it."""
    if count.timing != CountTiming.OPENING or count.location_id is None:
        return 0
    zone = ZoneInfo(count.clinic.time_zone)
    day_start = dt.datetime.combine(count.business_date, dt.time.min, tzinfo=zone)
    return LedgerEntry.objects.filter(
        clinic_id=count.clinic_id,
        location_id=count.location_id,
        kind__in=[EntryKind.ADMINISTRATION, EntryKind.WASTE],
        occurred_at__gte=day_start,
        occurred_at__lt=count.taken_at,
    ).count()


def inventories(*, clinic_id: int) -> QuerySet[Count]:
    return Count.objects.filter(
        clinic_id=clinic_id,
        purpose__in=[CountPurpose.INITIAL_INVENTORY, CountPurpose.BIENNIAL_INVENTORY],
    ).order_by("-taken_at", "-id")


def inventory_status(*, clinic_id: int) -> dict:
    """Whether the initial inventory exists and when the next biennial one is due (§5.3)."""
    latest = inventories(clinic_id=clinic_id).first()
    initial = inventories(clinic_id=clinic_id).filter(purpose=CountPurpose.INITIAL_INVENTORY)
    return {
        "has_initial": initial.exists(),
        "latest": latest,
        "biennial_due": rules.biennial_due(latest.business_date) if latest else None,
    }


def loss_reports(*, clinic_id: int) -> QuerySet[LossReport]:
    return LossReport.objects.filter(clinic_id=clinic_id).select_related(
        "entry__lot__product", "entry__location"
    )


@dataclass(frozen=True)
class CountDifference:
    """One count line where what was found differs from the books."""

    lot: Lot
    location: Location
    expected_mg: Decimal
    counted_mg: Decimal

    @property
    def difference(self) -> Decimal:
        return self.counted_mg - self.expected_mg


def count_differences(case: DiscrepancyCase) -> list[CountDifference]:
    """The count lines at the case's location where what was found differs from the books."""
    lines = LedgerEntry.objects.filter(
        clinic_id=case.clinic_id, count_id=case.count_id, location_id=case.location_id
    ).select_related("lot__product")
    differing = []
    for line in lines:
        expected, counted = line.expected_mg, line.counted_mg
        if expected is None or counted is None:
            continue  # not a count line: every count line records both
        if rules.differs(expected, counted):
            differing.append(CountDifference(line.lot, case.location, expected, counted))
    return differing
