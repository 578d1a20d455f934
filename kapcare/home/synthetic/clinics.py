"""Clinics and their staff, set up the way a real clinic is: version 1 of every setting, the
shipped instruments and the ledger's catalogue come from the same functions the demo loader
and first use call. A handful of rows per clinic, so the ORM and services are fine here."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.contrib.auth.hashers import make_password
from django_otp.plugins.otp_totp.models import TOTPDevice

from kapcare.accounts.models import Clinic, Membership, Role, User
from kapcare.audit.hashchain import GENESIS_HASH
from kapcare.audit.models import AuditChain
from kapcare.consent.models import ConsentDocument
from kapcare.consent.services import ensure_document, text_sha256
from kapcare.courses.models import CareProtocol
from kapcare.courses.selectors import current_care_protocol
from kapcare.dosing.models import DosingProtocol
from kapcare.dosing.services.protocol import ensure_dosing_protocol
from kapcare.home.demo import DEMO_DOMAIN, DEMO_PASSWORD, demo_totp_key
from kapcare.home.demo_ledger import PRODUCTS
from kapcare.ledger.models import (
    LedgerSettings,
    Location,
    LocationKind,
    Product,
    Registrant,
)
from kapcare.measures.models import InstrumentDefinition, MeasureSettings
from kapcare.measures.services.instruments import ensure_shipped_instruments, measure_settings
from kapcare.screening.models import ScreeningProtocol
from kapcare.screening.selectors import rules_as_dicts
from kapcare.screening.services import ensure_protocol

CITIES = [
    ("Portland", "OR", "97201", "America/Los_Angeles"),
    ("Denver", "CO", "80202", "America/Denver"),
    ("Austin", "TX", "78701", "America/Chicago"),
    ("Asheville", "NC", "28801", "America/New_York"),
    ("Tucson", "AZ", "85701", "America/Phoenix"),
    ("Burlington", "VT", "05401", "America/New_York"),
]
CLINIC_WORDS = ["Harbor", "Cedar", "Juniper", "Lantern", "Meadow", "Summit", "Willow", "Tide"]

# key, full name, credentials, roles. Several therapists and nurses: care teams are spread.
STAFF = [
    ("admin", "Clinic Admin", "", [Role.CLINIC_ADMIN]),
    ("frontdesk", "Front Desk", "", [Role.FRONT_DESK]),
    ("prescriber", "Prescriber", "MD", [Role.PRESCRIBER]),
    ("prescriber2", "Second Prescriber", "NP", [Role.PRESCRIBER]),
    ("therapist", "Therapist", "LCSW", [Role.THERAPIST]),
    ("therapist2", "Second Therapist", "PsyD", [Role.THERAPIST]),
    ("therapist3", "Third Therapist", "LMFT", [Role.THERAPIST]),
    ("nurse", "Nurse", "RN", [Role.NURSE]),
    ("nurse2", "Second Nurse", "RN", [Role.NURSE]),
]
FIRST_NAMES = ["Alex", "Robin", "Jamie", "Casey", "Morgan", "Taylor", "Riley", "Jordan", "Avery"]


@dataclass
class StaffMember:
    id: int
    email: str
    full_name: str


@dataclass
class ClinicSetup:
    """What the generators need to know about one clinic, loaded once."""

    clinic: Clinic
    number: int
    staff: dict[str, StaffMember]
    screening_protocol: ScreeningProtocol
    screening_rules: list[dict]
    consent: ConsentDocument
    consent_sha256: str
    care_protocol: CareProtocol
    dosing_protocol: DosingProtocol
    measure_settings: MeasureSettings
    instruments: dict[str, InstrumentDefinition]
    products: dict[str, Product]
    cart: Location
    safe: Location
    extra: dict[str, Any] = field(default_factory=dict)

    def of_role(self, prefix: str) -> list[StaffMember]:
        return [m for key, m in self.staff.items() if key.startswith(prefix)]


def staff_email(key: str, number: int) -> str:
    # The demo domain, so `manage.py demo_totp` prints these users' codes too.
    return f"{key}.clinic{number}@{DEMO_DOMAIN}"


def create_clinics(count: int, *, rng, first_number: int, created_at: dt.datetime):
    """`count` new clinics, each with staff and version 1 of its settings."""
    password = make_password(DEMO_PASSWORD)  # hashed once: the hasher is slow on purpose
    setups = []
    for offset in range(count):
        number = first_number + offset
        city, region, postal, zone = CITIES[(number - 1) % len(CITIES)]
        word = CLINIC_WORDS[rng.randrange(len(CLINIC_WORDS))]
        clinic = Clinic.objects.create(
            name=f"{word} KAP Clinic {number}",
            time_zone=zone,
            address_line1=f"{100 + number * 7} Main Street",
            city=city,
            region=region,
            postal_code=postal,
            phone=f"(555) 010-{number:04d}",
            about="Synthetic clinic for load and scale testing. Every record here is fictional.",
            created_at=created_at,
        )
        staff = _create_staff(clinic, number, password, created_at)
        setups.append(_settings(clinic, number, staff))
    return setups


def _create_staff(clinic, number, password, created_at) -> dict[str, StaffMember]:
    staff = {}
    for index, (key, title, credentials, roles) in enumerate(STAFF):
        email = staff_email(key, number)
        full_name = f"{FIRST_NAMES[(number + index) % len(FIRST_NAMES)]} {title} {number}"
        user = User.objects.create(
            email=email,
            full_name=full_name,
            credentials=credentials,
            password=password,
            date_joined=created_at,
        )
        Membership.objects.bulk_create(
            Membership(clinic=clinic, user=user, role=role, created_at=created_at) for role in roles
        )
        TOTPDevice.objects.create(
            user=user, name="authenticator", key=demo_totp_key(email), confirmed=True
        )
        staff[key] = StaffMember(user.pk, email, full_name)
    return staff


def _settings(clinic: Clinic, number: int, staff: dict[str, StaffMember]) -> ClinicSetup:
    screening_protocol = ensure_protocol(clinic=clinic)
    consent = ensure_document(clinic=clinic)
    ensure_shipped_instruments(clinic=clinic)
    settings = measure_settings(clinic)
    dosing_protocol = ensure_dosing_protocol(clinic=clinic)
    care_protocol = current_care_protocol(clinic.pk)
    instruments = {
        d.code: d for d in InstrumentDefinition.objects.filter(clinic=clinic, is_active=True)
    }
    Registrant.objects.create(
        clinic=clinic,
        name=f"{clinic.name} PC",
        dea_number="FH1234563",  # fictional; passes the check-digit rule
        state_license=f"{clinic.region}-CS-{number:06d}",
        address_line1=clinic.address_line1,
        city=clinic.city,
        region=clinic.region,
        postal_code=clinic.postal_code,
    )
    LedgerSettings.objects.create(clinic=clinic)
    products = {}
    for name, esketamine, form, conc, volume, per_unit, unit, per_container, routes in PRODUCTS:
        product = Product.objects.create(
            clinic=clinic,
            name=name,
            is_esketamine=esketamine,
            dosage_form=form,
            concentration_mg_per_ml=Decimal(conc) if conc else None,
            volume_ml_per_unit=Decimal(volume) if volume else None,
            mg_per_unit=Decimal(per_unit),
            unit_label=unit,
            units_per_container=per_container,
            routes=routes,
        )
        for route in routes:
            products.setdefault(route, product)
    safe = Location.objects.create(clinic=clinic, name="Main safe", kind=LocationKind.SAFE)
    cart = Location.objects.create(clinic=clinic, name="Dosing cart", kind=LocationKind.CART)
    return ClinicSetup(
        clinic=clinic,
        number=number,
        staff=staff,
        screening_protocol=screening_protocol,
        screening_rules=rules_as_dicts(screening_protocol),
        consent=consent,
        consent_sha256=text_sha256(consent),
        care_protocol=care_protocol,
        dosing_protocol=dosing_protocol,
        measure_settings=settings,
        instruments=instruments,
        products=products,
        cart=cart,
        safe=safe,
    )


def audit_head(clinic: Clinic) -> tuple[int, str]:
    """Where the clinic's audit chain ends after setup (the settings publications)."""
    head = AuditChain.objects.filter(scope=clinic.pk).first()
    if head is None:
        return 0, GENESIS_HASH
    return head.last_sequence, head.last_hash
