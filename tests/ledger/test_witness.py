"""Acceptance 3: a witness re-authenticates on the same screen; self-witness and a wrong code
are refused, and nothing is recorded when they are (kapcare.accounts.witness)."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken

from kapcare.accounts.services import issue_recovery_codes
from kapcare.accounts.witness import verify_witness
from kapcare.audit.models import AuditAction, AuditEvent
from kapcare.ledger.models import Balance, EntryKind, LedgerEntry
from kapcare.ledger.services import record_waste
from tests.factories import make_staff
from tests.ledger.conftest import totp_code, witness_data


def _fields_at_fault(error: ValidationError) -> set[str]:
    return set(error.message_dict)


def test_a_colleague_with_password_and_current_code_is_the_witness(nurse, staff):
    prescriber = staff["prescriber"]
    assert verify_witness(actor=nurse, **_args(prescriber)) == prescriber


def _args(user, **overrides):
    data = witness_data(user, **overrides)
    return {
        "email": data["witness_email"],
        "password": data["witness_password"],
        "token": data["witness_token"],
    }


def test_self_witness_is_refused_at_the_email(nurse, staff):
    with pytest.raises(ValidationError) as error:
        verify_witness(actor=nurse, **_args(staff["nurse"]))
    assert _fields_at_fault(error.value) == {"witness_email"}
    assert "own record" in str(error.value)


def test_a_wrong_code_is_refused_at_the_code_and_audited(nurse, staff):
    prescriber = staff["prescriber"]
    with pytest.raises(ValidationError) as error:
        verify_witness(
            actor=nurse, **_args(prescriber, token=totp_code(prescriber, offset_steps=20))
        )
    assert _fields_at_fault(error.value) == {"witness_token"}
    failed = AuditEvent.objects.get(action=AuditAction.MFA_FAILED)
    assert failed.actor == staff["nurse"] and failed.object_id == str(prescriber.pk)


def test_a_wrong_password_is_refused_at_the_password(nurse, staff):
    with pytest.raises(ValidationError) as error:
        verify_witness(actor=nurse, **_args(staff["prescriber"], password="not it at all"))
    assert _fields_at_fault(error.value) == {"witness_password"}


def test_a_code_works_once(nurse, staff):
    prescriber = staff["prescriber"]
    code = totp_code(prescriber)
    verify_witness(actor=nurse, **_args(prescriber, token=code))
    with pytest.raises(ValidationError) as error:
        verify_witness(actor=nurse, **_args(prescriber, token=code))
    assert _fields_at_fault(error.value) == {"witness_token"}


def test_a_recovery_code_is_accepted_once(nurse, staff):
    prescriber = staff["prescriber"]
    code = issue_recovery_codes(user=prescriber)[0]
    assert verify_witness(actor=nurse, **_args(prescriber, token=code)) == prescriber
    assert not StaticToken.objects.filter(
        device__in=StaticDevice.objects.filter(user=prescriber), token=code
    ).exists()


def test_someone_from_another_clinic_or_switched_off_cannot_witness(nurse, staff, other_clinic):
    outsider = make_staff(other_clinic, "nurse")
    with pytest.raises(ValidationError) as error:
        verify_witness(actor=nurse, **_args(outsider))
    assert _fields_at_fault(error.value) == {"witness_email"}

    staff["prescriber"].is_active = False
    staff["prescriber"].save()
    with pytest.raises(ValidationError) as error:
        verify_witness(actor=nurse, **_args(staff["prescriber"]))
    assert _fields_at_fault(error.value) == {"witness_email"}


def test_the_waste_service_refuses_a_self_witness_and_records_nothing(
    nurse, staff, stocked_lot, safe
):
    with pytest.raises(ValidationError):
        record_waste(
            actor=nurse,
            witness=staff["nurse"],
            lot=stocked_lot,
            location=safe,
            quantity_mg=Decimal("10"),
            reason="Drawn up and not given.",
        )
    assert not LedgerEntry.objects.filter(kind=EntryKind.WASTE).exists()
    assert Balance.objects.get(lot=stocked_lot, location=safe).quantity_mg == Decimal("500")


@pytest.mark.parametrize(
    ("who", "override", "field"),
    [
        ("nurse", {}, "witness_email"),
        ("prescriber", {"witness_token": "000000"}, "witness_token"),
        ("prescriber", {"witness_password": "wrong password here"}, "witness_password"),
        ("prescriber", {"witness_token": ""}, "witness_token"),
    ],
)
def test_waste_page_shows_the_witness_error_at_its_field_and_records_nothing(
    clinic, staff, login, stocked_lot, safe, who, override, field
):
    entries_before = LedgerEntry.objects.count()
    creates_before = AuditEvent.objects.filter(action=AuditAction.CREATE).count()
    balance = Balance.objects.get(lot=stocked_lot, location=safe)
    data = {
        "balance": balance.pk,
        "quantity": "20",
        "unit": "mg",
        "reason": "Remainder of the vial.",
        **witness_data(staff[who]),
        **override,
    }

    response = login(staff["nurse"]).post(reverse("ledger:waste"), data)

    assert response.status_code == 200
    form = response.context["form"]
    assert field in form.errors, form.errors
    assert LedgerEntry.objects.count() == entries_before
    assert AuditEvent.objects.filter(action=AuditAction.CREATE).count() == creates_before
    balance.refresh_from_db()
    assert balance.quantity_mg == Decimal("500")
