"""Stock movements: receipts, transfers, administrations (the dosing contract), waste,
returns and disposal, theft or loss, corrections, and the stock selectors."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from kapcare.accounts.actor import Actor
from kapcare.audit.models import AuditAction, AuditEvent
from kapcare.ledger import rules
from kapcare.ledger.chain import verify_chain
from kapcare.ledger.models import (
    Balance,
    CaseStatus,
    Count,
    DiscrepancyCase,
    DisposalMethod,
    EntryKind,
    LedgerEntry,
    Location,
    LossKind,
    Lot,
)
from kapcare.ledger.selectors import available_lots, stock_problem
from kapcare.ledger.services import record_administration, record_waste, transfer_stock
from kapcare.ledger.services.disposals import record_disposal, report_loss, update_loss_report
from kapcare.ledger.services.reconciliation import record_correction
from tests.factories import ClientFactory, make_staff
from tests.ledger.conftest import make_product, make_session, receive


def _balance(lot, location) -> Decimal:
    return Balance.objects.get(lot=lot, location=location).quantity_mg


def _administer(actor, lot, location, session, mg="80", **extra):
    return record_administration(
        actor=actor,
        lot=lot,
        location=location,
        quantity_mg=Decimal(mg),
        dosing_session=session,
        **extra,
    )


# --- Receipts ---------------------------------------------------------------------------------


def test_a_receipt_creates_the_lot_and_records_mg_units_and_volume(nurse, product, safe):
    entry = receive(nurse, product, safe, mg="500")

    assert entry.kind == EntryKind.RECEIPT and entry.sequence == 1
    assert (entry.quantity_mg, entry.quantity_units, entry.volume_ml) == (
        Decimal("500.000"),
        Decimal("5.0000"),
        Decimal("10.000"),
    )
    assert entry.balance_after_mg == Decimal("500.000") == _balance(entry.lot, safe)
    assert entry.reference == "INV-5521" and entry.actor_label == nurse.user.display_name
    assert entry.lot.supplier_dea_number == "RC1234563"
    event = AuditEvent.objects.get(action=AuditAction.CREATE, object_type="ledgerentry")
    assert event.details["entry_hash"] == entry.entry_hash


def test_a_second_receipt_of_a_known_lot_must_match_its_label(nurse, product, safe, stocked_lot):
    receive(nurse, product, safe, mg="200", expires_on=stocked_lot.expires_on)
    assert _balance(stocked_lot, safe) == Decimal("700")

    with pytest.raises(ValidationError) as error:
        receive(nurse, product, safe, mg="100", expires_on=stocked_lot.expires_on + dt.timedelta(1))
    assert "lot_number" in error.value.message_dict
    assert _balance(stocked_lot, safe) == Decimal("700")


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        ({"reference": " "}, "reference"),
        ({"mg": "0"}, "quantity"),
        ({"expires_on": dt.date(2020, 1, 1)}, "expires_on"),
        ({"occurred_at": timezone.now() + dt.timedelta(hours=2)}, "occurred_at"),
    ],
)
def test_a_receipt_with_bad_details_is_refused_at_the_field(nurse, product, safe, extra, field):
    with pytest.raises(ValidationError) as error:
        receive(nurse, product, safe, **extra)
    assert field in error.value.message_dict
    assert not LedgerEntry.objects.exists() and not Lot.objects.exists()


def test_front_desk_and_therapists_cannot_receive(clinic, staff, product, safe):
    for role in ("front_desk", "therapist"):
        with pytest.raises(PermissionDenied):
            receive(Actor.for_user(staff[role], clinic), product, safe)


def test_another_clinics_location_is_refused(nurse, product, other_clinic):
    elsewhere = Location.objects.create(clinic=other_clinic, name="Their safe", kind="safe")
    with pytest.raises(PermissionDenied):
        receive(nurse, product, elsewhere)


# --- Transfers --------------------------------------------------------------------------------


def test_a_transfer_is_two_linked_entries(nurse, stocked_lot, safe, cart):
    out, incoming = transfer_stock(
        actor=nurse,
        lot=stocked_lot,
        from_location=safe,
        to_location=cart,
        quantity_mg=Decimal("200"),
    )
    assert (out.kind, out.quantity_mg, out.counterpart_location) == (
        EntryKind.TRANSFER_OUT,
        Decimal("-200"),
        cart,
    )
    assert incoming.related_entry == out and incoming.sequence == out.sequence + 1
    assert (_balance(stocked_lot, safe), _balance(stocked_lot, cart)) == (300, 200)


def test_a_transfer_cannot_overdraw_or_go_nowhere(nurse, stocked_lot, safe, cart):
    with pytest.raises(ValidationError, match="Only 500 mg"):
        transfer_stock(
            actor=nurse, lot=stocked_lot, from_location=safe, to_location=cart, quantity_mg=501
        )
    with pytest.raises(ValidationError) as error:
        transfer_stock(
            actor=nurse, lot=stocked_lot, from_location=safe, to_location=safe, quantity_mg=1
        )
    assert "to_location" in error.value.message_dict
    assert LedgerEntry.objects.count() == 1


# --- Administration (the dosing contract) -----------------------------------------------------


def test_an_administration_links_session_client_and_order(nurse, stocked_lot, safe, session):
    session.dose_order_id = 4242  # the dosing app's order, when it has set one

    entry = _administer(nurse, stocked_lot, safe, session, note="IM, left deltoid")

    assert entry.kind == EntryKind.ADMINISTRATION
    assert (entry.dosing_session_id, entry.client_id, entry.dose_order_ref) == (
        session.pk,
        session.client_id,
        4242,
    )
    assert entry.quantity_mg == Decimal("-80") and entry.volume_ml == Decimal("-1.600")
    assert entry.balance_after_mg == Decimal("420") == _balance(stocked_lot, safe)
    event = AuditEvent.objects.get(object_id=str(entry.pk))
    assert event.client_id == session.client_id


def test_an_overdraw_is_refused_and_nothing_is_recorded(nurse, product, safe, session):
    lot = receive(nurse, product, safe, mg="100").lot
    _administer(nurse, lot, safe, session, mg="60")

    with pytest.raises(ValidationError, match="Only 40 mg of this lot is here"):
        _administer(nurse, lot, safe, session, mg="60")

    assert _balance(lot, safe) == Decimal("40")
    assert LedgerEntry.objects.count() == 2
    assert verify_chain(nurse.clinic).ok


def test_an_expired_lot_cannot_be_administered(nurse, stocked_lot, safe, session):
    Lot.objects.filter(pk=stocked_lot.pk).update(expires_on=nurse.clinic.today() - dt.timedelta(1))
    stocked_lot.refresh_from_db()
    with pytest.raises(ValidationError, match="expired"):
        _administer(nurse, stocked_lot, safe, session)
    assert stock_problem(
        clinic_id=nurse.clinic_id, lot=stocked_lot, location=safe, quantity_mg=Decimal("1")
    )


def test_an_open_discrepancy_blocks_administrations_from_that_location_only(
    nurse, staff, stocked_lot, safe, cart, session
):
    transfer_stock(
        actor=nurse, lot=stocked_lot, from_location=safe, to_location=cart, quantity_mg=100
    )
    count = Count.objects.create(
        clinic=nurse.clinic,
        location=safe,
        purpose="spot",
        business_date=nurse.clinic.today(),
        counted_by=staff["nurse"],
        counted_by_label="n",
        witness=staff["prescriber"],
        witness_label="p",
        has_discrepancy=True,
    )
    DiscrepancyCase.objects.create(clinic=nurse.clinic, location=safe, count=count)

    with pytest.raises(ValidationError, match="discrepancy"):
        _administer(nurse, stocked_lot, safe, session)
    _administer(nurse, stocked_lot, cart, session)  # the cart is fine
    assert [s.location for s in available_lots(clinic_id=nurse.clinic_id)] == [cart]


@pytest.mark.parametrize("role", ["front_desk", "therapist", "clinic_admin"])
def test_only_nurses_and_prescribers_administer(clinic, staff, stocked_lot, safe, session, role):
    with pytest.raises(PermissionDenied):
        _administer(Actor.for_user(staff[role], clinic), stocked_lot, safe, session)


def test_a_prescriber_may_administer(clinic, staff, stocked_lot, safe, session):
    _administer(Actor.for_user(staff["prescriber"], clinic), stocked_lot, safe, session)
    assert _balance(stocked_lot, safe) == Decimal("420")


def test_another_clinics_session_is_refused(nurse, stocked_lot, safe, other_clinic):
    foreign = make_session(ClientFactory(clinic=other_clinic))
    with pytest.raises(PermissionDenied):
        _administer(nurse, stocked_lot, safe, foreign)


# --- Waste -----------------------------------------------------------------------------------


def test_witnessed_waste_of_a_doses_remainder(nurse, staff, product, safe, session):
    lot = receive(nurse, product, safe, mg="100").lot
    _administer(nurse, lot, safe, session, mg="80")

    waste = record_waste(
        actor=nurse,
        witness=staff["prescriber"],
        lot=lot,
        location=safe,
        quantity_mg=Decimal("20"),
        reason="Remainder of the vial, into the waste container.",
        dosing_session=session,
    )

    assert (waste.kind, waste.quantity_mg, waste.balance_after_mg) == (EntryKind.WASTE, -20, 0)
    assert waste.witness == staff["prescriber"] and waste.client_id == session.client_id
    assert waste.witness_label == staff["prescriber"].display_name


def test_waste_needs_a_reason(nurse, staff, stocked_lot, safe):
    with pytest.raises(ValidationError) as error:
        record_waste(
            actor=nurse,
            witness=staff["prescriber"],
            lot=stocked_lot,
            location=safe,
            quantity_mg=Decimal("5"),
            reason=" ",
        )
    assert "reason" in error.value.message_dict


# --- Returns, disposal, loss -------------------------------------------------------------------


def test_on_site_destruction_needs_a_witness_and_form_41(nurse, staff, stocked_lot, safe):
    common = {"actor": nurse, "lot": stocked_lot, "location": safe, "quantity_mg": Decimal("100")}
    with pytest.raises(ValidationError) as error:
        record_disposal(**common, method=DisposalMethod.ON_SITE, reference="F41-2026-03")
    assert "witness_email" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        record_disposal(
            **common, method=DisposalMethod.ON_SITE, reference="", witness=staff["prescriber"]
        )
    assert "reference" in error.value.message_dict

    entry = record_disposal(
        **common,
        method=DisposalMethod.ON_SITE,
        reference="F41-2026-03",
        witness=staff["prescriber"],
    )
    assert (entry.kind, entry.method, entry.reference) == (
        EntryKind.DISPOSAL,
        "on_site_destruction",
        "F41-2026-03",
    )
    assert _balance(stocked_lot, safe) == Decimal("400")


def test_a_return_to_a_reverse_distributor_names_them(nurse, stocked_lot, safe):
    common = {
        "actor": nurse,
        "lot": stocked_lot,
        "location": safe,
        "quantity_mg": Decimal("500"),
        "method": DisposalMethod.REVERSE_DISTRIBUTOR,
        "reference": "RD-INV-88",
    }
    with pytest.raises(ValidationError) as error:
        record_disposal(**common)
    assert "counterparty" in error.value.message_dict
    entry = record_disposal(**common, counterparty="Returns Co, DEA RR1234563")
    assert "Returns Co" in entry.reason and _balance(stocked_lot, safe) == 0


def test_a_loss_takes_stock_off_and_tracks_the_dea_deadlines(nurse, stocked_lot, safe):
    discovered = timezone.now() - dt.timedelta(hours=3)
    report = report_loss(
        actor=nurse,
        lot=stocked_lot,
        location=safe,
        quantity_mg=Decimal("100"),
        kind=LossKind.THEFT,
        discovered_at=discovered,
        circumstances="One vial missing from the safe at the closing count.",
        police_report="PPD-26-0441",
    )
    assert report.entry.kind == EntryKind.LOSS and report.entry.quantity_mg == -100
    assert _balance(stocked_lot, safe) == Decimal("400")

    updated = update_loss_report(
        actor=nurse,
        report=report,
        dea_notified_at=timezone.now(),
        form_106_reference="TL-123456",
        form_106_submitted_at=timezone.now(),
        police_report="PPD-26-0441",
    )
    assert updated.form_106_reference == "TL-123456"
    assert AuditEvent.objects.filter(action=AuditAction.UPDATE, object_type="lossreport").exists()
    with pytest.raises(ValidationError) as error:
        update_loss_report(
            actor=nurse,
            report=report,
            dea_notified_at=discovered - dt.timedelta(days=1),
            form_106_reference="",
            form_106_submitted_at=None,
            police_report="",
        )
    assert "dea_notified_at" in error.value.message_dict


# --- Corrections -----------------------------------------------------------------------------


def test_an_admin_corrects_an_entry_with_a_new_witnessed_entry(admin, nurse, staff, product, safe):
    wrong = receive(nurse, product, safe, mg="600")
    correction = record_correction(
        actor=admin,
        witness=staff["nurse"],
        entry=wrong,
        quantity_mg=Decimal("-100"),
        reason="Invoice says 5 vials; 6 were typed.",
    )
    assert correction.corrects == wrong and correction.kind == EntryKind.CORRECTION
    assert _balance(wrong.lot, safe) == Decimal("500")
    wrong.refresh_from_db()
    assert wrong.quantity_mg == Decimal("600")  # the original stays as it was


def test_only_an_admin_corrects_and_never_below_zero(admin, nurse, staff, stocked_lot, safe):
    entry = LedgerEntry.objects.get()
    with pytest.raises(PermissionDenied):
        record_correction(
            actor=nurse, witness=staff["prescriber"], entry=entry, quantity_mg=-1, reason="x"
        )
    with pytest.raises(ValidationError, match="Only 500 mg"):
        record_correction(
            actor=admin, witness=staff["nurse"], entry=entry, quantity_mg=-501, reason="x"
        )


# --- Selectors for the dosing app ------------------------------------------------------------


def test_available_lots_lists_usable_stock_soonest_expiry_first(nurse, product, safe, cart):
    today = nurse.clinic.today()
    later = receive(nurse, product, safe, lot_number="LATE", expires_on=today + dt.timedelta(300))
    sooner = receive(nurse, product, cart, lot_number="SOON", expires_on=today + dt.timedelta(30))
    lozenges = make_product(
        nurse.clinic,
        name="Ketamine 100 mg lozenge",
        dosage_form="sublingual_lozenge",
        concentration_mg_per_ml=None,
        volume_ml_per_unit=None,
        unit_label="lozenge",
        routes=["sublingual"],
    )
    receive(nurse, lozenges, safe, lot_number="LZ1", mg="1000")

    stock = available_lots(clinic_id=nurse.clinic_id, product=product)

    assert [s.lot for s in stock] == [sooner.lot, later.lot]
    assert stock[0].balance_mg == Decimal("500") and stock[0].units == Decimal("5")
    assert "SOON" in stock[0].label and "Dosing cart" in stock[0].label
    assert len(available_lots(clinic_id=nurse.clinic_id)) == 3


def test_stock_problem_is_none_when_stock_can_cover_the_dose(nurse, stocked_lot, safe):
    assert (
        stock_problem(clinic_id=nurse.clinic_id, lot=stocked_lot, location=safe, quantity_mg=500)
        is None
    )
    assert "Only 500 mg" in stock_problem(
        clinic_id=nurse.clinic_id, lot=stocked_lot, location=safe, quantity_mg=Decimal("500.001")
    )


def test_stock_problem_refuses_another_clinics_lot(nurse, stocked_lot, safe, other_clinic):
    assert "another clinic" in stock_problem(
        clinic_id=other_clinic.pk, lot=stocked_lot, location=safe, quantity_mg=1
    )


def test_a_case_resolved_elsewhere_does_not_block(nurse, stocked_lot, safe, session, staff):
    count = Count.objects.create(
        clinic=nurse.clinic,
        location=safe,
        purpose="spot",
        business_date=nurse.clinic.today(),
        counted_by=staff["nurse"],
        counted_by_label="n",
        witness=staff["prescriber"],
        witness_label="p",
    )
    DiscrepancyCase.objects.create(
        clinic=nurse.clinic,
        location=safe,
        count=count,
        status=CaseStatus.OVERRIDDEN,
        closed_at=timezone.now(),
        closed_by=staff["clinic_admin"],
        reason="Recounted: correct.",
    )
    assert _administer(nurse, stocked_lot, safe, session).balance_after_mg == 420
    assert rules.mg(_balance(stocked_lot, safe)) == Decimal("420.000")


def test_staff_at_two_clinics_keep_two_separate_chains(nurse, product, safe, other_clinic):
    receive(nurse, product, safe)
    there = Actor.for_user(make_staff(other_clinic, "nurse"), other_clinic)
    elsewhere = Location.objects.create(clinic=other_clinic, name="Safe", kind="safe")
    entry = receive(there, make_product(other_clinic), elsewhere)
    assert entry.sequence == 1
    assert verify_chain(nurse.clinic).ok and verify_chain(other_clinic).ok
