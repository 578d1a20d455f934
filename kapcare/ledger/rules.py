"""Pure rules of the controlled-substance ledger: quantities, hashing, DEA numbers, count
methods and deadlines. No ORM, no request: unit-tested on their own.

Sources are sections of ../shared/clinical/FACTS.md (§5: US record keeping for Schedule III).
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Iterable
from decimal import ROUND_HALF_EVEN, Decimal

from django.utils.translation import gettext as _

from kapcare.audit import hashchain

MG = Decimal("0.001")
UNITS = Decimal("0.0001")
ML = Decimal("0.001")


# --- Quantities -----------------------------------------------------------------------------


def mg(value: Decimal | int | str) -> Decimal:
    """A quantity in mg as the ledger stores it (three decimal places)."""
    return Decimal(value).quantize(MG, rounding=ROUND_HALF_EVEN)


def units_from_mg(quantity_mg: Decimal, mg_per_unit: Decimal) -> Decimal:
    """The same quantity in vials, devices or lozenges (FACTS.md §5.5: mg and units)."""
    return (Decimal(quantity_mg) / Decimal(mg_per_unit)).quantize(UNITS, rounding=ROUND_HALF_EVEN)


def ml_from_mg(quantity_mg: Decimal, concentration_mg_per_ml: Decimal | None) -> Decimal | None:
    """The volume of a liquid (FACTS.md §5.5: mg and mL for liquids); None for solids."""
    if not concentration_mg_per_ml:
        return None
    return (Decimal(quantity_mg) / Decimal(concentration_mg_per_ml)).quantize(
        ML, rounding=ROUND_HALF_EVEN
    )


def to_mg(
    quantity: Decimal, unit: str, *, mg_per_unit: Decimal, concentration: Decimal | None
) -> Decimal:
    """A quantity typed in mg, units or mL, in mg. ValueError when mL is asked of a solid."""
    if unit == "mg":
        return mg(quantity)
    if unit == "unit":
        return mg(Decimal(quantity) * Decimal(mg_per_unit))
    if unit == "ml":
        if not concentration:
            raise ValueError("mL only applies to liquids")
        return mg(Decimal(quantity) * Decimal(concentration))
    raise ValueError(f"unknown unit {unit!r}")


def stock_problem(
    *,
    balance_mg: Decimal,
    quantity_mg: Decimal,
    expires_on: dt.date,
    on: dt.date,
    blocked: bool,
    location_active: bool = True,
) -> str | None:
    """Why `quantity_mg` cannot be taken from this lot at this location for a dose on `on`,
    or None when it can."""
    if quantity_mg <= 0:
        return _("The quantity must be more than 0 mg.")
    if not location_active:
        return _("This storage location is no longer in use.")
    if expires_on < on:
        return _("This lot expired on %(date)s.") % {"date": expires_on.isoformat()}
    if blocked:
        return _(
            "A count at this location found a discrepancy that is not resolved yet; a clinic "
            "admin must resolve it before doses are taken from here."
        )
    if balance_mg < quantity_mg:
        return _("Only %(have)s mg of this lot is here; %(want)s mg is needed.") % {
            "have": canonical_value(Decimal(balance_mg)),
            "want": canonical_value(Decimal(quantity_mg)),
        }
    return None


def balance_after(balance: Decimal, change: Decimal) -> Decimal | None:
    """The balance after `change`, or None when it would go below zero."""
    after = Decimal(balance) + Decimal(change)
    return None if after < 0 else after


# --- Hash chain -----------------------------------------------------------------------------

# The canonical form and hash are the kernel's (kapcare/core/hashchain.py), shared with the
# audit trail; re-exported here because the ledger's callers know them as rules.*.
canonical_value = hashchain.canonical_value
canonical_content = hashchain.canonical_content
content_hash = hashchain.content_hash


# --- DEA registration numbers ---------------------------------------------------------------

# First letter: the registrant type (practitioners A, B, F, G; mid-level M; distributors P, R…).
DEA_FIRST_LETTERS = frozenset("ABCDEFGHJKLMPRSTUX")


def dea_number_valid(number: str) -> bool:
    """Two letters and seven digits whose last is the check digit: the units digit of
    (d1 + d3 + d5) + 2 × (d2 + d4 + d6)."""
    number = (number or "").strip().upper()
    if len(number) != 9 or number[0] not in DEA_FIRST_LETTERS:
        return False
    if not (number[1].isalpha() or number[1] == "9") or not number[2:].isdigit():
        return False
    d = [int(c) for c in number[2:]]
    return (d[0] + d[2] + d[4] + 2 * (d[1] + d[3] + d[5])) % 10 == d[6]


# --- Counts and inventories (FACTS.md §5.3) -------------------------------------------------

# 21 CFR 1304.11(e)(3): an opened container of more than 1,000 tablets or capsules is counted
# exactly even in Schedules III–V.
EXACT_COUNT_ABOVE_UNITS = 1000


def estimate_allowed(
    *, sealed: bool, solid_units: bool, units_per_container: int, clinic_requires_exact: bool
) -> bool:
    """Whether a count of this container may be an estimate (FACTS.md §5.3).

    Sealed containers are counted (containers × unit size). An opened Schedule III container
    may be estimated, unless it holds more than 1,000 tablets/capsules (lozenges treated the
    same), or the clinic requires exact counts of open containers (its default, §5.3 note)."""
    if sealed or clinic_requires_exact:
        return False
    return not (solid_units and units_per_container > EXACT_COUNT_ABOVE_UNITS)


def differs(expected: Decimal, counted: Decimal) -> bool:
    return mg(expected) != mg(counted)


def count_status(*, now: dt.time, at: dt.time, enabled: bool, done: bool, closing: bool) -> str:
    """One location's opening or closing count today: "off", "done", "due" or "later".

    The opening count is due from when the day starts; the closing count from an hour before
    the day ends, so it can be done before the cabinet is locked for the night."""
    if not enabled:
        return "off"
    if done:
        return "done"
    starts = at
    if closing:
        starts = (dt.datetime.combine(dt.date(2000, 1, 2), at) - dt.timedelta(hours=1)).time()
    return "due" if now >= starts else "later"


def biennial_due(last_inventory: dt.date) -> dt.date:
    """The last day for the next complete inventory: 2 years after the previous (§5.3)."""
    year = last_inventory.year + 2
    day = min(last_inventory.day, calendar.monthrange(year, last_inventory.month)[1])
    return last_inventory.replace(year=year, day=day)


# --- Theft or loss (FACTS.md §5.6) ----------------------------------------------------------

FORM_106_DAYS = 45


def next_business_day(day: dt.date, holidays: Iterable[dt.date] = ()) -> dt.date:
    """The first Monday–Friday after `day` that is not a listed holiday."""
    closed = set(holidays)
    day += dt.timedelta(days=1)
    while day.weekday() >= 5 or day in closed:
        day += dt.timedelta(days=1)
    return day


def dea_notice_due(discovered_on: dt.date, holidays: Iterable[dt.date] = ()) -> dt.date:
    """Written notice to the DEA field office within 1 business day of discovery (88 FR 40707).
    Federal holidays are not built in; pass the clinic's if it keeps them."""
    return next_business_day(discovered_on, holidays)


def form_106_due(discovered_on: dt.date) -> dt.date:
    """DEA Form 106 within 45 days of discovery (88 FR 40707)."""
    return discovered_on + dt.timedelta(days=FORM_106_DAYS)
