"""Fictional client identities: names, birth dates, contact details (example.com, 555)."""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass

FIRST = [
    ("Avery", "they/them"),
    ("Bianca", "she/her"),
    ("Caleb", "he/him"),
    ("Dalia", "she/her"),
    ("Elliot", "he/him"),
    ("Farah", "she/her"),
    ("Gabriel", "he/him"),
    ("Hana", "she/her"),
    ("Isaac", "he/him"),
    ("Jade", "she/her"),
    ("Kieran", "he/him"),
    ("Leila", "she/her"),
    ("Mateo", "he/him"),
    ("Nora", "she/her"),
    ("Omar", "he/him"),
    ("Paige", "she/her"),
    ("Quinn", "they/them"),
    ("Rosa", "she/her"),
    ("Soren", "he/him"),
    ("Talia", "she/her"),
    ("Umar", "he/him"),
    ("Vera", "she/her"),
    ("Wes", "he/him"),
    ("Ximena", "she/her"),
    ("Yusuf", "he/him"),
    ("Zoe", "she/her"),
    ("Ari", "they/them"),
    ("Beatrice", "she/her"),
    ("Cyrus", "he/him"),
    ("Delphine", "she/her"),
    ("Emeka", "he/him"),
    ("Freya", "she/her"),
]
LAST = [
    "Collins",
    "Moreno",
    "Nguyen",
    "Haddad",
    "Park",
    "Siddiqui",
    "Lindqvist",
    "Kobayashi",
    "Mensah",
    "Fontaine",
    "O'Neill",
    "Ahmadi",
    "Rossi",
    "Castillo",
    "Farouk",
    "Sullivan",
    "Abernathy",
    "Delgado",
    "Halvorsen",
    "Brooks",
    "Qureshi",
    "Ivanova",
    "Carter",
    "Ortega",
    "Demir",
    "Whitaker",
    "Levin",
    "Osei",
    "Tehrani",
    "Moreau",
    "Okonkwo",
    "Bergström",
    "Yamada",
    "Novak",
    "Petrov",
    "Adeyemi",
    "Kowalski",
    "Hughes",
    "Santos",
    "Lund",
]
RELATIONSHIPS = ["partner", "sibling", "parent", "friend", "spouse"]


@dataclass(frozen=True)
class Identity:
    first_name: str
    last_name: str
    pronouns: str
    date_of_birth: dt.date
    email: str
    phone: str
    emergency_name: str
    emergency_relationship: str
    emergency_phone: str


def client_identity(rng: random.Random, index: int) -> Identity:
    first, pronouns = FIRST[rng.randrange(len(FIRST))]
    last = LAST[rng.randrange(len(LAST))]
    born = dt.date(1950, 1, 1) + dt.timedelta(days=rng.randrange(365 * 52))
    handle = f"{first}.{last}".lower().replace("'", "").replace("ö", "o")
    return Identity(
        first_name=first,
        last_name=last,
        pronouns=pronouns,
        date_of_birth=born,
        email=f"{handle}.{index}@example.com",
        phone=f"(555) {rng.randrange(200, 999)}-{rng.randrange(10000):04d}",
        emergency_name=f"{FIRST[rng.randrange(len(FIRST))][0]} {last}",
        emergency_relationship=RELATIONSHIPS[rng.randrange(len(RELATIONSHIPS))],
        emergency_phone=f"(555) {rng.randrange(200, 999)}-{rng.randrange(10000):04d}",
    )
