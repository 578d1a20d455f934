"""Demo ledger for `make run`: products, storage, lots received three weeks ago, a resolved
discrepancy, and the most recent dosing day in full — opening counts, an administration for each
of that day's demo dosing sessions with the rest of the vial wasted under a witness, and
closing counts that match. Everything goes through the real services, so `verify_ledger`
passes. Idempotent: a clinic that already has the demo lots is left alone."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from kapcare.accounts.actor import Actor
from kapcare.accounts.models import Clinic, User
from kapcare.dosing.models import DosingSession, DosingStatus
from kapcare.ledger import services
from kapcare.ledger.models import (
    Balance,
    CaseStatus,
    CountPurpose,
    CountTiming,
    DosageForm,
    LedgerSettings,
    Location,
    LocationKind,
    Lot,
    Product,
    Registrant,
    UnitLabel,
)
from kapcare.ledger.services import reconciliation
from kapcare.ledger.services.drafts import clinic_date
from kapcare.ledger.services.reconciliation import CountLine

PRODUCTS = [
    # name, esketamine, form, mg/mL, mL per unit, mg per unit, unit, per container, routes
    (
        "Ketamine HCl 50 mg/mL, 2 mL vial",
        False,
        DosageForm.INJECTABLE,
        "50",
        "2",
        "100",
        UnitLabel.VIAL,
        1,
        ["iv", "im"],
    ),
    (
        "Ketamine HCl 100 mg/mL, 5 mL vial",
        False,
        DosageForm.INJECTABLE,
        "100",
        "5",
        "500",
        UnitLabel.VIAL,
        1,
        ["im"],
    ),
    (
        "Esketamine 28 mg nasal spray device",
        True,
        DosageForm.NASAL_SPRAY,
        None,
        None,
        "28",
        UnitLabel.DEVICE,
        1,
        ["intranasal"],
    ),
    (
        "Ketamine 100 mg sublingual troche",
        False,
        DosageForm.LOZENGE,
        None,
        None,
        "100",
        UnitLabel.LOZENGE,
        30,
        ["sublingual"],
    ),
]

# lot number, product index, containers received, supplier invoice
RECEIPTS = [
    ("KT50-24117", 0, 20, "CAH-INV-778120"),
    ("KT100-23988", 1, 4, "CAH-INV-778120"),
    ("SPV-4H21A", 2, 12, "JNJ-PS-55012"),
    ("TRC-0924-B", 3, 30, "CMP-INV-2093"),
]
DOSES_MG = [
    Decimal("70"),
    Decimal("56"),
    Decimal("80"),
    Decimal("64"),
    Decimal("75"),
    Decimal("60"),
]


def load_ledger_demo(clinic: Clinic, staff: dict[str, User]) -> None:
    # The first demo lot marks a loaded demo (the dosing demo may post entries after this one).
    if Lot.objects.filter(clinic=clinic, lot_number=RECEIPTS[0][0]).exists():
        return
    with transaction.atomic():
        _load(clinic, staff)


def _load(clinic: Clinic, staff: dict[str, User]) -> None:
    nurse = Actor.for_user(staff["nurse"], clinic)
    admin = Actor.for_user(staff["admin"], clinic)
    prescriber = staff["prescriber"]
    Registrant.objects.get_or_create(
        clinic=clinic,
        defaults={
            "name": f"{clinic.name} PC",
            "dea_number": "FH1234563",  # fictional; passes the check-digit rule
            "state_license": "OR-CS-000000",
            "address_line1": clinic.address_line1 or "200 Harbor Way, Suite 3",
            "city": clinic.city or "Portland",
            "region": clinic.region or "OR",
            "postal_code": clinic.postal_code or "97201",
        },
    )
    LedgerSettings.objects.get_or_create(clinic=clinic)
    products = [
        Product.objects.get_or_create(
            clinic=clinic,
            name=name,
            defaults={
                "is_esketamine": esketamine,
                "dosage_form": form,
                "concentration_mg_per_ml": Decimal(conc) if conc else None,
                "volume_ml_per_unit": Decimal(volume) if volume else None,
                "mg_per_unit": Decimal(per_unit),
                "unit_label": unit,
                "units_per_container": per_container,
                "routes": routes,
            },
        )[0]
        for name, esketamine, form, conc, volume, per_unit, unit, per_container, routes in PRODUCTS
    ]
    safe = Location.objects.get_or_create(
        clinic=clinic, name="Main safe", defaults={"kind": LocationKind.SAFE}
    )[0]
    cart = Location.objects.get_or_create(
        clinic=clinic, name="Dosing cart", defaults={"kind": LocationKind.CART}
    )[0]

    sessions = _last_dosing_day(clinic)
    day_start = min((s.dose_started_at for s in sessions), default=timezone.now())
    began = day_start - dt.timedelta(days=21)
    # The clinic's first day with controlled substances: a zero initial inventory (§5.3).
    reconciliation.record_count(
        actor=nurse,
        witness=prescriber,
        purpose=CountPurpose.INITIAL_INVENTORY,
        timing=CountTiming.OPENING,
        location=None,
        lines=[],
        taken_at=began,
        note="Zero inventory: no controlled substances on hand before the first order.",
    )
    lots = {}
    for lot_number, index, containers, invoice in RECEIPTS:
        product = products[index]
        entry = services.receive_stock(
            actor=nurse,
            product=product,
            lot_number=lot_number,
            ndc=f"0409-{2051 + index}-0{index + 1}",
            expires_on=clinic_date(clinic, began) + dt.timedelta(days=540),
            supplier_name="Cardinal Health" if index < 2 else "Central Medical Pharmacy",
            supplier_address="7000 Cardinal Pl, Dublin, OH 43017",
            supplier_dea_number="RC1234563",
            location=safe,
            quantity_mg=product.mg_per_unit * product.units_per_container * containers,
            reference=invoice,
            occurred_at=began + dt.timedelta(hours=1, minutes=index),
        )
        lots[index] = entry.lot
    vial = lots[0]
    services.transfer_stock(
        actor=nurse,
        lot=vial,
        from_location=safe,
        to_location=cart,
        quantity_mg=Decimal("1000"),
        reason="Stocking the dosing cart.",
        occurred_at=began + dt.timedelta(hours=2),
    )
    _resolved_discrepancy(clinic, nurse, admin, staff, safe, began + dt.timedelta(days=10))
    _dosing_day(clinic, nurse, prescriber, sessions, vial, cart, safe)


def _last_dosing_day(clinic: Clinic) -> list[DosingSession]:
    """The demo's discharged sessions from its most recent dosing day, earliest first."""
    sessions = list(
        DosingSession.objects.filter(
            clinic=clinic, status=DosingStatus.DISCHARGED, dose_started_at__isnull=False
        ).order_by("dose_started_at")
    )
    if not sessions:
        return []
    last_day = clinic_date(clinic, sessions[-1].dose_started_at)
    return [s for s in sessions if clinic_date(clinic, s.dose_started_at) == last_day]


def _count_everything_at(nurse, witness, location, timing, at, note="") -> None:
    rows = Balance.objects.filter(clinic=nurse.clinic, location=location, quantity_mg__gt=0)
    lines = [
        CountLine(row.lot, location, row.quantity_mg) for row in rows.select_related("lot__product")
    ]
    reconciliation.record_count(
        actor=nurse,
        witness=witness,
        purpose=CountPurpose.DAILY,
        timing=timing,
        location=location,
        lines=lines,
        taken_at=at,
        note=note,
    )


def _resolved_discrepancy(clinic, nurse, admin, staff, safe, at) -> None:
    """A closing count that found one 100 mg/mL vial short; the admin adjusted the books."""
    rows = Balance.objects.filter(clinic=clinic, location=safe, quantity_mg__gt=0)
    lines = []
    for row in rows.select_related("lot__product").order_by("lot__lot_number"):
        found = row.quantity_mg
        if row.lot.lot_number == "KT100-23988":
            found -= row.lot.product.mg_per_unit
        lines.append(CountLine(row.lot, safe, found))
    count = reconciliation.record_count(
        actor=nurse,
        witness=staff["prescriber"],
        purpose=CountPurpose.DAILY,
        timing=CountTiming.CLOSING,
        location=safe,
        lines=lines,
        taken_at=at,
    )
    reconciliation.transition_case(
        actor=admin,
        case=count.cases.get(),
        to=CaseStatus.RESOLVED,
        reason=(
            "Vial found cracked at the back of the safe and put in the sharps bin without a "
            "record. Staff re-trained on recording breakage at once."
        ),
        witness=staff["nurse"],
    )


def _dosing_day(clinic, nurse, prescriber, sessions, vial, cart, safe) -> None:
    if not sessions:
        return
    first, last = sessions[0].dose_started_at, sessions[-1].dose_started_at
    for location in (safe, cart):
        _count_everything_at(
            nurse, prescriber, location, CountTiming.OPENING, first - dt.timedelta(minutes=50)
        )
    for index, session in enumerate(sessions):
        dose = DOSES_MG[index % len(DOSES_MG)]
        services.record_administration(
            actor=nurse,
            lot=vial,
            location=cart,
            quantity_mg=dose,
            dosing_session=session,
            occurred_at=session.dose_started_at,
            note="IM, deltoid.",
        )
        services.record_waste(
            actor=nurse,
            witness=prescriber,
            lot=vial,
            location=cart,
            quantity_mg=vial.product.mg_per_unit - dose,
            reason="Remainder of the vial after the dose; squirted into the drug-waste container.",
            dosing_session=session,
            occurred_at=session.dose_started_at + dt.timedelta(minutes=2),
        )
    closing = min(last + dt.timedelta(hours=3), timezone.now() - dt.timedelta(minutes=1))
    for location in (safe, cart):
        _count_everything_at(nurse, prescriber, location, CountTiming.CLOSING, closing)
