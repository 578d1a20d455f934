"""The controlled-substance ledger of a generated clinic, in time order: lots received into the
dosing cart as stock runs low, an administration entry for every dose given, the rest of an
opened vial wasted under a witness, and the dosing Administration row that points at both.

Entries are sealed with the ledger's own `seal` (kapcare.ledger.chain) one after another, with
the running balance of each lot at the cart, so `manage.py verify_ledger` passes; the Balance
rows and the chain head are written once, at the end."""

from __future__ import annotations

import datetime as dt
import math
import random
from decimal import Decimal

from kapcare.dosing.models import Administration, AdministrationKind
from kapcare.home.synthetic.audit import AuditTrail
from kapcare.home.synthetic.clinics import ClinicSetup
from kapcare.home.synthetic.dosing import Dose
from kapcare.home.synthetic.sink import Sink
from kapcare.ledger import rules
from kapcare.ledger.chain import seal
from kapcare.ledger.models import GENESIS_HASH, Balance, EntryKind, LedgerChain, LedgerEntry, Lot

SITES = {"im": "left_deltoid", "iv": "left_arm", "sublingual": "sublingual"}
RECEIPT_CONTAINERS = {"injectable_solution": 200, "sublingual_lozenge": 20}


class LedgerWriter:
    def __init__(self, setup: ClinicSetup, sink: Sink, trail: AuditTrail, rng: random.Random):
        self.setup, self.sink, self.trail, self.rng = setup, sink, trail, rng
        self.sequence, self.prev_hash = 0, GENESIS_HASH
        self.balances: dict[tuple[int, int], Decimal] = {}
        self.current_lot: dict[int, tuple[Lot, Decimal]] = {}  # product id → (lot, mg left)
        self.labels = {m.id: m.full_name for m in setup.staff.values()}
        self.receipts = 0

    def write(self, doses: list[Dose], *, progress=None) -> None:
        doses.sort(key=lambda d: (d.at, d.session_id))
        for index, dose in enumerate(doses, start=1):
            self._dose(dose)
            if index % 10000 == 0:
                self.sink.flush([Lot, LedgerEntry, Administration])
                if progress:
                    progress(10000)
        self.sink.flush([Lot, LedgerEntry, Administration])
        if progress:
            progress(len(doses) % 10000)
        clinic_id = self.setup.clinic.pk
        for (lot_id, location_id), quantity in sorted(self.balances.items()):
            self.sink.add(
                Balance,
                clinic_id=clinic_id,
                lot_id=lot_id,
                location_id=location_id,
                quantity_mg=quantity,
            )
        self.sink.flush([Balance])
        if self.sequence:
            LedgerChain.objects.create(
                clinic_id=clinic_id, last_sequence=self.sequence, last_hash=self.prev_hash
            )

    def _dose(self, dose: Dose) -> None:
        product = self.setup.products[dose.route]
        per_unit = product.mg_per_unit
        units = math.ceil(dose.amount_mg / per_unit)
        drawn = per_unit * units
        lot = self._lot_with(product, drawn, dose.at - dt.timedelta(hours=3))
        cart = self.setup.cart
        given = self._append(
            kind=EntryKind.ADMINISTRATION,
            lot=lot,
            quantity=-dose.amount_mg,
            at=dose.at,
            actor=dose.nurse_id,
            client_id=dose.client_id,
            session_id=dose.session_id,
            dose_order_ref=dose.order_id,
        )
        waste = None
        if drawn > dose.amount_mg:
            waste = self._append(
                kind=EntryKind.WASTE,
                lot=lot,
                quantity=dose.amount_mg - drawn,
                at=dose.at + dt.timedelta(minutes=2),
                actor=dose.nurse_id,
                witness=dose.witness_id,
                client_id=dose.client_id,
                session_id=dose.session_id,
                method="drug_waste_container",
                reason="Remainder of the vial after the dose; into the drug-waste container.",
            )
        self.sink.add(
            Administration,
            clinic_id=self.setup.clinic.pk,
            session_id=dose.session_id,
            kind=AdministrationKind.DOSE,
            administered_by_id=dose.nurse_id,
            started_at=dose.at,
            stopped_at=dose.at + dt.timedelta(minutes=40) if dose.route == "iv" else None,
            route=dose.route,
            site=SITES[dose.route],
            amount_mg=dose.amount_mg,
            lot_id=lot.pk,
            location_id=cart.pk,
            units_opened=units,
            waste_mg=drawn - dose.amount_mg if waste else None,
            undelivered_mg=Decimal(0),
            rate_mg_per_hour=(dose.amount_mg * Decimal("1.5")) if dose.route == "iv" else None,
            ledger_entry_id=given,
            waste_entry_id=waste,
            medication="",
            rescue_dose="",
            adverse_event_id=None,
            note="",
            created_at=dose.at,
        )

    def _lot_with(self, product, drawn: Decimal, at: dt.datetime) -> Lot:
        """The product's open lot at the cart, or a new lot received when it cannot cover the
        draw (the old lot's few mg left stay on the books, as they would)."""
        held = self.current_lot.get(product.pk)
        if held is not None and held[1] >= drawn:
            self.current_lot[product.pk] = (held[0], held[1] - drawn)
            return held[0]
        self.receipts += 1
        setup = self.setup
        lot = Lot(
            pk=self.sink.table(Lot).allocate(),
            clinic_id=setup.clinic.pk,
            product_id=product.pk,
            ndc=f"0409-2051-{self.receipts % 100:02d}",
            lot_number=f"SYN{setup.number}-{self.receipts:05d}",
            expires_on=(at + dt.timedelta(days=540)).date(),
            supplier_name="Cardinal Health",
            supplier_address="7000 Cardinal Pl, Dublin, OH 43017",
            supplier_dea_number="RC1234563",
            created_at=at,
        )
        lot.product = product
        self.sink.add(
            Lot, **{f.attname: getattr(lot, f.attname) for f in Lot._meta.concrete_fields}
        )
        containers = RECEIPT_CONTAINERS.get(product.dosage_form, 100)
        quantity = product.mg_per_unit * product.units_per_container * containers
        nurse = setup.of_role("nurse")[0].id
        self._append(
            kind=EntryKind.RECEIPT,
            lot=lot,
            quantity=quantity,
            at=at,
            actor=nurse,
            reference=f"CAH-INV-{700000 + self.receipts}",
        )
        self.trail.created(
            at,
            nurse,
            "ledgerentry",
            self.sequence,
            f"Received {quantity} mg of lot {lot.lot_number}",
        )
        self.current_lot[product.pk] = (lot, quantity - drawn)
        return lot

    def _append(
        self,
        *,
        kind,
        lot,
        quantity: Decimal,
        at,
        actor,
        witness=None,
        client_id=None,
        session_id=None,
        dose_order_ref=None,
        method="",
        reason="",
        reference="",
    ) -> int:
        key = (lot.pk, self.setup.cart.pk)
        after = rules.balance_after(self.balances.get(key, Decimal(0)), quantity)
        assert after is not None, "the generator never draws more than the lot holds"
        product = lot.product
        entry = LedgerEntry(
            pk=self.sink.table(LedgerEntry).allocate(),
            clinic_id=self.setup.clinic.pk,
            kind=kind,
            lot_id=lot.pk,
            location_id=self.setup.cart.pk,
            quantity_mg=quantity,
            quantity_units=rules.units_from_mg(quantity, product.mg_per_unit),
            volume_ml=rules.ml_from_mg(quantity, product.concentration_mg_per_ml),
            balance_after_mg=after,
            occurred_at=at,
            recorded_at=at + dt.timedelta(minutes=1),
            actor_id=actor,
            actor_label=self.labels[actor],
            witness_id=witness,
            witness_label=self.labels[witness] if witness else "",
            client_id=client_id,
            dosing_session_id=session_id,
            dose_order_ref=dose_order_ref,
            method=method,
            reason=reason,
            reference=reference,
            count_method="",
        )
        seal(entry, sequence=self.sequence + 1, prev_hash=self.prev_hash)
        self.sequence, self.prev_hash = entry.sequence, entry.entry_hash
        self.balances[key] = after
        self.sink.add(
            LedgerEntry,
            **{f.attname: getattr(entry, f.attname) for f in LedgerEntry._meta.concrete_fields},
        )
        return entry.pk
