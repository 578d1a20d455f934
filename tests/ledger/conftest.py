"""Ledger fixtures: a clinic with a ketamine product, two storage locations and helpers that
put stock on the books through the real services."""

import datetime as dt
import time
from decimal import Decimal

import pytest
from django.utils import timezone
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from kapcare.accounts.actor import Actor
from kapcare.courses.models import TreatmentCourse
from kapcare.dosing.models import DosingSession, DosingStatus
from kapcare.ledger.models import DosageForm, Location, LocationKind, Product, UnitLabel
from kapcare.ledger.services import receive_stock
from tests.factories import TEST_PASSWORD


def make_product(clinic, **fields) -> Product:
    values = {
        "name": "Ketamine HCl 50 mg/mL, 2 mL vial",
        "dosage_form": DosageForm.INJECTABLE,
        "concentration_mg_per_ml": Decimal("50"),
        "volume_ml_per_unit": Decimal("2"),
        "mg_per_unit": Decimal("100"),
        "unit_label": UnitLabel.VIAL,
        "routes": ["iv", "im"],
        **fields,
    }
    return Product.objects.create(clinic=clinic, **values)


def receive(actor, product, location, mg="500", lot_number="KX1001", expires_on=None, **extra):
    return receive_stock(
        actor=actor,
        product=product,
        lot_number=lot_number,
        ndc="0409-2051-05",
        expires_on=expires_on or actor.clinic.today() + dt.timedelta(days=365),
        supplier_name="Cardinal Health",
        supplier_dea_number="RC1234563",
        location=location,
        quantity_mg=Decimal(mg),
        reference=extra.pop("reference", "INV-5521"),
        **extra,
    )


def make_session(client, number=1) -> DosingSession:
    course = TreatmentCourse.objects.filter(
        client=client
    ).first() or TreatmentCourse.objects.create(
        clinic=client.clinic, client=client, condition="depression", status="active"
    )
    return DosingSession.objects.create(
        clinic=client.clinic,
        client=client,
        course=course,
        number=number,
        scheduled_for=timezone.now(),
        status=DosingStatus.DOSING,
        dose_started_at=timezone.now(),
    )


@pytest.fixture
def product(clinic):
    return make_product(clinic)


@pytest.fixture
def safe(clinic):
    return Location.objects.create(clinic=clinic, name="Main safe", kind=LocationKind.SAFE)


@pytest.fixture
def cart(clinic):
    return Location.objects.create(clinic=clinic, name="Dosing cart", kind=LocationKind.CART)


@pytest.fixture
def nurse(clinic, staff):
    return Actor.for_user(staff["nurse"], clinic)


@pytest.fixture
def admin(clinic, staff):
    return Actor.for_user(staff["clinic_admin"], clinic)


@pytest.fixture
def stocked_lot(nurse, product, safe):
    """Lot KX1001: five 100 mg vials in the main safe."""
    return receive(nurse, product, safe).lot


@pytest.fixture
def session(client_record):
    return make_session(client_record)


def totp_code(user, *, offset_steps: int = 0) -> str:
    """The code the user's authenticator shows now (or `offset_steps` × 30 s away)."""
    device = TOTPDevice.objects.get(user=user, confirmed=True)
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time() + offset_steps * device.step
    return f"{totp.token():0{device.digits}d}"


def witness_data(user, *, password=TEST_PASSWORD, token=None) -> dict:
    return {
        "witness_email": user.email,
        "witness_password": password,
        "witness_token": token if token is not None else totp_code(user),
    }
