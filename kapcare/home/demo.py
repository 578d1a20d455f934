"""Demo data for `make run`: one clinic, one user per role, about 30 clients. Idempotent.

Everything here is fictional. Each domain's demo data is loaded by the loaders in `DEMO_LOADERS`, in order.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable

from django.db import transaction
from django_otp.plugins.otp_totp.models import TOTPDevice

from kapcare.accounts.models import Clinic, Role, User
from kapcare.accounts.services import add_staff_member, issue_recovery_codes
from kapcare.clients.models import CareTeamMember, Client, ClientStatus
from kapcare.dosing.demo import load_dosing_demo
from kapcare.home.demo_ledger import load_ledger_demo
from kapcare.home.demo_pathway import load_pathway_demo
from kapcare.measures.demo import load_measures_demo

DEMO_PASSWORD = "kapcare-demo-2026"  # noqa: S105 — printed on purpose: demo logins only
DEMO_DOMAIN = "demo.kapcare.test"
DEMO_CLINIC = "Harbor Light KAP Clinic"

STAFF = [
    ("admin", "Dana Whitfield", "", [Role.CLINIC_ADMIN]),
    ("frontdesk", "Marco Reyes", "", [Role.FRONT_DESK]),
    ("therapist", "Dr. Priya Raman", "PsyD", [Role.THERAPIST]),
    ("therapist2", "Sam Okafor", "LCSW", [Role.THERAPIST]),
    ("prescriber", "Dr. Elena Novak", "MD", [Role.PRESCRIBER]),
    ("nurse", "Jordan Blake", "RN", [Role.NURSE]),
]

CLIENT_NAMES = [
    ("Avery", "Collins", "they/them"),
    ("Bianca", "Moreno", "she/her"),
    ("Caleb", "Nguyen", "he/him"),
    ("Dalia", "Haddad", "she/her"),
    ("Elliot", "Park", "he/him"),
    ("Farah", "Siddiqui", "she/her"),
    ("Gabriel", "Lindqvist", "he/him"),
    ("Hana", "Kobayashi", "she/her"),
    ("Isaac", "Mensah", "he/him"),
    ("Jade", "Fontaine", "she/her"),
    ("Kieran", "O'Neill", "he/him"),
    ("Leila", "Ahmadi", "she/her"),
    ("Mateo", "Rossi", "he/him"),
    ("Nora", "Castillo", "she/her"),
    ("Omar", "Farouk", "he/him"),
    ("Paige", "Sullivan", "she/her"),
    ("Quinn", "Abernathy", "they/them"),
    ("Rosa", "Delgado", "she/her"),
    ("Soren", "Halvorsen", "he/him"),
    ("Talia", "Brooks", "she/her"),
    ("Umar", "Qureshi", "he/him"),
    ("Vera", "Ivanova", "she/her"),
    ("Wes", "Carter", "he/him"),
    ("Ximena", "Ortega", "she/her"),
    ("Yusuf", "Demir", "he/him"),
    ("Zoe", "Whitaker", "she/her"),
    ("Ari", "Levin", "they/them"),
    ("Beatrice", "Osei", "she/her"),
    ("Cyrus", "Tehrani", "he/him"),
    ("Delphine", "Moreau", "she/her"),
]

STATUSES = [ClientStatus.ACTIVE] * 3 + [
    ClientStatus.PROSPECTIVE,
    ClientStatus.ON_HOLD,
    ClientStatus.ACTIVE,
    ClientStatus.DISCHARGED,
]


def demo_email(key: str) -> str:
    return f"{key}@{DEMO_DOMAIN}"


def demo_totp_key(email: str) -> str:
    """A fixed TOTP secret per demo user, so `demo_totp` works across reloads of the demo."""
    return hashlib.sha256(f"kapcare-demo-totp:{email}".encode()).hexdigest()[:40]


@transaction.atomic
def load_demo() -> tuple[Clinic, dict[str, User]]:
    clinic, _ = Clinic.objects.get_or_create(
        name=DEMO_CLINIC,
        defaults={
            "time_zone": "America/Los_Angeles",
            "address_line1": "200 Harbor Way, Suite 3",
            "city": "Portland",
            "region": "OR",
            "postal_code": "97201",
            "phone": "(503) 555-0140",
            "public_email": "hello@harborlight.example",
            "about": (
                "A small Portland clinic offering ketamine-assisted psychotherapy for adults, "
                "with the same therapist from preparation to integration."
            ),
            "opening_hours": "Monday to Thursday 8:30–17:30\nFriday 8:30–13:00",
            "fees": (
                "First consultation: $150\nPreparation or integration session: $180\n"
                "Ketamine session (about 3 hours): $650"
            ),
        },
    )
    staff: dict[str, User] = {}
    for key, name, credentials, roles in STAFF:
        email = demo_email(key)
        user = add_staff_member(
            clinic=clinic, email=email, full_name=name, roles=roles, credentials=credentials
        )
        if not user.has_usable_password() or not user.check_password(DEMO_PASSWORD):
            user.set_password(DEMO_PASSWORD)
            user.save(update_fields=["password"])
        TOTPDevice.objects.update_or_create(
            user=user,
            name="authenticator",
            defaults={"key": demo_totp_key(email), "confirmed": True},
        )
        if not user.staticdevice_set.exists():
            issue_recovery_codes(user=user)
        staff[key] = user

    for index, (first, last, pronouns) in enumerate(CLIENT_NAMES):
        client, _ = Client.objects.get_or_create(
            clinic=clinic,
            first_name=first,
            last_name=last,
            defaults={
                "date_of_birth": dt.date(
                    1965 + (index * 7) % 38, 1 + index % 12, 1 + (index * 5) % 28
                ),
                "pronouns": pronouns,
                "email": f"{first.lower()}.{last.lower().replace(chr(39), '')}@example.com",
                "phone": f"(503) 555-{1000 + index * 37:04d}",
                "emergency_contact_name": f"{CLIENT_NAMES[(index + 7) % 30][0]} {last}",
                "emergency_contact_relationship": ["partner", "sibling", "parent", "friend"][
                    index % 4
                ],
                "emergency_contact_phone": f"(503) 555-{2000 + index * 41:04d}",
                "status": STATUSES[index % len(STATUSES)],
            },
        )
        therapist = staff["therapist"] if index % 2 == 0 else staff["therapist2"]
        for user, role in [
            (therapist, Role.THERAPIST),
            (staff["prescriber"], Role.PRESCRIBER),
            (staff["nurse"], Role.NURSE),
        ]:
            CareTeamMember.objects.get_or_create(clinic=clinic, client=client, user=user, role=role)
    for extend in DEMO_LOADERS:
        extend(clinic, staff)
    return clinic, staff


# The domains' demo loaders, in order: the pathway first (clients through screening and consent
# into courses), then questionnaires, then the ledger's stock and dosing day, then dosing, which
# links the ledger's entries to its completed sessions and draws today's dose from its stock.
DEMO_LOADERS: list[Callable[[Clinic, dict[str, User]], None]] = [
    load_pathway_demo,
    load_measures_demo,
    load_ledger_demo,
    load_dosing_demo,
]
