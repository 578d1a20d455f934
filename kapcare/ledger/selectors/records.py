"""Reads behind the ledger's record pages: one entry, a lot's history, a count and what it
found, a discrepancy case, the clinic's catalogue, the client search of the reports page.
Every query is scoped to one clinic; a page that opens one record passes the queryset given
here to get_object_or_404, so another clinic's record is a 404."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from kapcare.accounts.models import Clinic
from kapcare.clients.models import Client
from kapcare.ledger.models import (
    Balance,
    Count,
    DiscrepancyCase,
    LedgerEntry,
    Location,
    LossReport,
    Lot,
    Product,
)

CLIENT_SEARCH_LIMIT = 20


def entries_with_detail(*, clinic_id: int) -> QuerySet[LedgerEntry]:
    """The clinic's entries with everything the entry page shows beside them."""
    return LedgerEntry.objects.filter(clinic_id=clinic_id).select_related(
        "lot__product",
        "location",
        "counterpart_location",
        "client",
        "corrects",
        "count",
        "discrepancy_case",
    )


def correctable_entries(*, clinic_id: int) -> QuerySet[LedgerEntry]:
    """The clinic's entries with the lot and location a correction names."""
    return LedgerEntry.objects.filter(clinic_id=clinic_id).select_related(
        "lot__product", "location"
    )


def corrections_of(entry: LedgerEntry) -> list[LedgerEntry]:
    return list(entry.corrections.order_by("sequence"))


def loss_report_for(entry: LedgerEntry) -> LossReport | None:
    return LossReport.objects.filter(entry=entry).first()


def losses_awaiting_form_106(clinic: Clinic) -> int:
    """Loss reports with no DEA Form 106 reference yet: the home page's reminder."""
    return LossReport.objects.filter(clinic=clinic, form_106_reference="").count()


def lots(*, clinic_id: int) -> QuerySet[Lot]:
    """The clinic's lots with their product, for a page that opens one."""
    return Lot.objects.filter(clinic_id=clinic_id).select_related("product")


def lot_history(lot: Lot) -> QuerySet[LedgerEntry]:
    """Every entry of the lot, in chain order, with what the history table shows."""
    return (
        LedgerEntry.objects.filter(clinic_id=lot.clinic_id, lot=lot)
        .select_related("location", "counterpart_location", "client")
        .order_by("sequence")
    )


def lot_stock_by_location(lot: Lot) -> list[Balance]:
    """Where the lot is held now (locations with some left), by location name."""
    return list(
        lot.balances.filter(quantity_mg__gt=0).select_related("location").order_by("location__name")
    )


def counts(*, clinic_id: int) -> QuerySet[Count]:
    """The clinic's counts and inventories with their location (newest first, the model's
    order)."""
    return Count.objects.filter(clinic_id=clinic_id).select_related("location")


def lots_to_count(*, clinic: Clinic, location: Location | None) -> list[Balance]:
    """What a count asks about: every lot held at the location(s), and lots there that are
    empty but still in date (in case some turns up)."""
    rows = Balance.objects.filter(clinic=clinic).filter(
        Q(quantity_mg__gt=0) | Q(lot__expires_on__gte=clinic.today())
    )
    if location is not None:
        rows = rows.filter(location=location)
    return list(
        rows.select_related("lot__product", "location").order_by(
            "location__name", "lot__product__name", "lot__lot_number"
        )
    )


def cases_of_count(count: Count) -> list[DiscrepancyCase]:
    return list(count.cases.select_related("location"))


def discrepancy_cases(*, clinic_id: int) -> QuerySet[DiscrepancyCase]:
    """The clinic's discrepancy cases with what the case page shows of them."""
    return DiscrepancyCase.objects.filter(clinic_id=clinic_id).select_related(
        "location", "count", "closed_by", "witness"
    )


def case_adjustments(case: DiscrepancyCase) -> list[LedgerEntry]:
    """The adjustment entries that closed the case, in chain order."""
    return list(
        LedgerEntry.objects.filter(clinic_id=case.clinic_id, discrepancy_case=case)
        .select_related("lot")
        .order_by("sequence")
    )


def products(*, clinic_id: int) -> QuerySet[Product]:
    return Product.objects.filter(clinic_id=clinic_id)


def locations(*, clinic_id: int) -> QuerySet[Location]:
    return Location.objects.filter(clinic_id=clinic_id)


def clients_named(*, clinic: Clinic, query: str) -> list[Client]:
    """Clients of the clinic whose first or last name holds every word of `query`: the
    reports page looks up whose doses to report, so it searches the whole clinic, not only
    the clients on the searcher's care teams."""
    clients = Client.objects.filter(clinic=clinic)
    for word in query.split():
        clients = clients.filter(Q(first_name__icontains=word) | Q(last_name__icontains=word))
    return list(clients.order_by("last_name", "first_name")[:CLIENT_SEARCH_LIMIT])
