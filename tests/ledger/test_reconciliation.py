"""Acceptance 4: a count with a discrepancy blocks administrations from that location; a clinic
admin's resolution (a witnessed adjustment, or a reason) unblocks it; both are audited. Also
the count rules (every lot counted, estimates only where FACTS.md §5.3 allows them)."""

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction

from kapcare.audit.models import AuditAction, AuditEvent
from kapcare.ledger.chain import verify_chain
from kapcare.ledger.models import (
    Balance,
    CaseStatus,
    Count,
    CountMethod,
    CountPurpose,
    CountTiming,
    DiscrepancyCase,
    EntryKind,
    LedgerEntry,
    LedgerSettings,
)
from kapcare.ledger.selectors import stock_problem
from kapcare.ledger.services import record_administration
from kapcare.ledger.services.reconciliation import CountLine, record_count, transition_case
from tests.ledger.conftest import make_product, receive


def _count(actor, witness, location, lines, purpose=CountPurpose.DAILY, timing="closing"):
    return record_count(
        actor=actor,
        witness=witness,
        purpose=purpose,
        timing=timing,
        location=location,
        lines=lines,
    )


def _administer(nurse, lot, location, session, mg="50"):
    return record_administration(
        actor=nurse, lot=lot, location=location, quantity_mg=Decimal(mg), dosing_session=session
    )


@pytest.fixture
def short_count(nurse, staff, stocked_lot, safe):
    """A closing count of the safe that finds 400 mg where the books say 500 mg."""
    return _count(nurse, staff["prescriber"], safe, [CountLine(stocked_lot, safe, Decimal("400"))])


def test_a_matching_count_opens_no_case(nurse, staff, stocked_lot, safe, session):
    count = _count(nurse, staff["prescriber"], safe, [CountLine(stocked_lot, safe, Decimal("500"))])

    assert not count.has_discrepancy and not DiscrepancyCase.objects.exists()
    line = LedgerEntry.objects.get(kind=EntryKind.COUNT)
    assert (line.expected_mg, line.counted_mg, line.quantity_mg) == (500, 500, 0)
    assert line.witness == staff["prescriber"] and line.count == count
    assert count.timing == CountTiming.CLOSING and count.business_date == nurse.clinic.today()
    _administer(nurse, stocked_lot, safe, session)


def test_a_discrepancy_blocks_the_location_until_an_adjustment_resolves_it(
    nurse, admin, staff, stocked_lot, safe, session, short_count
):
    # Given a count that found 100 mg less than the books
    case = DiscrepancyCase.objects.get()
    assert short_count.has_discrepancy and case.status == CaseStatus.OPEN and case.location == safe
    assert AuditEvent.objects.filter(
        object_type="discrepancycase", action=AuditAction.CREATE
    ).exists()

    # Then no dose can come from the safe
    with pytest.raises(ValidationError, match="discrepancy"):
        _administer(nurse, stocked_lot, safe, session)
    assert "discrepancy" in stock_problem(
        clinic_id=nurse.clinic_id, lot=stocked_lot, location=safe, quantity_mg=1
    )

    # When the admin resolves it with a witnessed adjustment
    transition_case(
        actor=admin,
        case=case,
        to=CaseStatus.RESOLVED,
        reason="One vial broken in the safe, found in the sharps bin; documented.",
        witness=staff["nurse"],
    )

    # Then the books match the count, the location is unblocked, and both steps are audited
    adjustment = LedgerEntry.objects.get(kind=EntryKind.ADJUSTMENT)
    assert adjustment.quantity_mg == Decimal("-100") and adjustment.discrepancy_case == case
    assert adjustment.witness == staff["nurse"] and adjustment.actor == staff["clinic_admin"]
    assert Balance.objects.get(lot=stocked_lot, location=safe).quantity_mg == 400
    case.refresh_from_db()
    assert case.status == CaseStatus.RESOLVED and case.closed_by == staff["clinic_admin"]
    update = AuditEvent.objects.get(object_type="discrepancycase", action=AuditAction.UPDATE)
    assert update.details["adjustment_sequences"] == [adjustment.sequence]
    assert update.details["witness_id"] == staff["nurse"].pk
    assert AuditEvent.objects.filter(
        object_id=str(adjustment.pk), action=AuditAction.CREATE
    ).exists()
    _administer(nurse, stocked_lot, safe, session)
    assert verify_chain(nurse.clinic).ok


def test_an_admin_may_close_a_case_with_a_reason_and_no_adjustment(
    nurse, admin, stocked_lot, safe, session, short_count
):
    case = DiscrepancyCase.objects.get()
    transition_case(
        actor=admin, case=case, to=CaseStatus.OVERRIDDEN, reason="Recounted with the admin: 500 mg."
    )
    assert not LedgerEntry.objects.filter(kind=EntryKind.ADJUSTMENT).exists()
    assert Balance.objects.get(lot=stocked_lot, location=safe).quantity_mg == 500
    event = AuditEvent.objects.get(object_type="discrepancycase", action=AuditAction.UPDATE)
    assert event.details["to"] == "overridden" and "Recounted" in event.details["reason"]
    _administer(nurse, stocked_lot, safe, session)


def test_only_an_admin_closes_a_case_and_only_once(nurse, admin, staff, short_count):
    case = DiscrepancyCase.objects.get()
    with pytest.raises(PermissionDenied):
        transition_case(actor=nurse, case=case, to=CaseStatus.OVERRIDDEN, reason="Fine.")
    with pytest.raises(ValidationError) as error:
        transition_case(actor=admin, case=case, to=CaseStatus.RESOLVED, reason="Broken vial.")
    assert "witness_email" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        transition_case(actor=admin, case=case, to=CaseStatus.OVERRIDDEN, reason=" ")
    assert "reason" in error.value.message_dict

    transition_case(actor=admin, case=case, to=CaseStatus.OVERRIDDEN, reason="Recount correct.")
    with pytest.raises(ValidationError, match="cannot change"):
        transition_case(
            actor=admin, case=case, to=CaseStatus.RESOLVED, reason="x", witness=staff["nurse"]
        )
    # The database refuses too: a closed case is final.
    with (
        pytest.raises(IntegrityError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("UPDATE ledger_discrepancycase SET status = 'open'")


def test_every_lot_held_at_the_location_must_be_counted(nurse, staff, product, safe):
    first = receive(nurse, product, safe, lot_number="A1").lot
    receive(nurse, product, safe, lot_number="B2")
    with pytest.raises(ValidationError, match="missing: B2"):
        _count(nurse, staff["prescriber"], safe, [CountLine(first, safe, Decimal("500"))])
    assert not Count.objects.exists() and LedgerEntry.objects.count() == 2


def test_a_count_needs_a_witness_who_is_someone_else(nurse, staff, stocked_lot, safe):
    with pytest.raises(ValidationError):
        _count(nurse, staff["nurse"], safe, [CountLine(stocked_lot, safe, Decimal("500"))])
    assert not Count.objects.exists()


def test_daily_counts_say_opening_or_closing(nurse, staff, stocked_lot, safe):
    with pytest.raises(ValidationError) as error:
        _count(nurse, staff["prescriber"], safe, [CountLine(stocked_lot, safe, 500)], timing="")
    assert "timing" in error.value.message_dict
    spot = _count(
        nurse,
        staff["prescriber"],
        safe,
        [CountLine(stocked_lot, safe, Decimal("500"))],
        purpose=CountPurpose.SPOT,
        timing="",
    )
    assert spot.timing == ""


def test_estimates_are_refused_while_the_clinic_counts_open_containers_exactly(
    nurse, staff, stocked_lot, safe
):
    line = CountLine(stocked_lot, safe, Decimal("480"), method=CountMethod.ESTIMATED)
    with pytest.raises(ValidationError, match="exactly"):
        _count(nurse, staff["prescriber"], safe, [line])

    LedgerSettings.objects.update_or_create(
        clinic=nurse.clinic, defaults={"exact_count_for_open_containers": False}
    )
    count = _count(nurse, staff["prescriber"], safe, [line])
    assert LedgerEntry.objects.get(count=count).count_method == CountMethod.ESTIMATED


def test_a_big_container_of_lozenges_is_never_estimated(nurse, staff, safe):
    LedgerSettings.objects.create(clinic=nurse.clinic, exact_count_for_open_containers=False)
    bottle = make_product(
        nurse.clinic,
        name="Ketamine 25 mg troche, bottle of 1200",
        dosage_form="sublingual_lozenge",
        concentration_mg_per_ml=None,
        volume_ml_per_unit=None,
        mg_per_unit=Decimal("25"),
        unit_label="lozenge",
        units_per_container=1200,
        routes=["sublingual"],
    )
    lot = receive(nurse, bottle, safe, mg="30000", lot_number="T1").lot
    line = CountLine(lot, safe, Decimal("29000"), method=CountMethod.ESTIMATED)
    with pytest.raises(ValidationError, match="1,000"):
        _count(nurse, staff["prescriber"], safe, [line])


def test_an_initial_inventory_covers_every_location(nurse, staff, product, safe, cart):
    in_safe = receive(nurse, product, safe, lot_number="S1").lot
    in_cart = receive(nurse, product, cart, lot_number="C1", mg="200").lot
    with pytest.raises(ValidationError, match="missing: C1"):
        _count(
            nurse,
            staff["prescriber"],
            None,
            [CountLine(in_safe, safe, Decimal("500"))],
            purpose=CountPurpose.INITIAL_INVENTORY,
            timing="opening",
        )
    inventory = _count(
        nurse,
        staff["prescriber"],
        None,
        [
            CountLine(in_safe, safe, Decimal("500"), sealed_containers=5),
            CountLine(in_cart, cart, Decimal("150"), sealed_containers=1),
        ],
        purpose=CountPurpose.INITIAL_INVENTORY,
        timing="opening",
    )
    assert inventory.location is None and inventory.has_discrepancy
    assert [c.location for c in DiscrepancyCase.objects.all()] == [cart]
    assert LedgerEntry.objects.filter(count=inventory).count() == 2
