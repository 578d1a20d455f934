"""The ledger's pure rules: quantities, the canonical hash, DEA numbers, count methods and
deadlines (FACTS.md §5.3, §5.6)."""

import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kapcare.ledger import rules

quantities = st.decimals(min_value=0, max_value=100_000, places=3, allow_nan=False)


@given(quantities, quantities)
def test_balance_after_is_never_negative(balance, change):
    for delta in (change, -change):
        after = rules.balance_after(balance, delta)
        assert after is None or after >= 0
        assert (after is None) == (balance + delta < 0)


def test_units_and_volume_follow_the_product():
    assert rules.units_from_mg(Decimal("250"), Decimal("100")) == Decimal("2.5000")
    assert rules.ml_from_mg(Decimal("-75"), Decimal("50")) == Decimal("-1.500")
    assert rules.ml_from_mg(Decimal("56"), None) is None


def test_to_mg_reads_mg_units_and_ml():
    common = {"mg_per_unit": Decimal("100"), "concentration": Decimal("50")}
    assert rules.to_mg(Decimal("2"), "unit", **common) == Decimal("200.000")
    assert rules.to_mg(Decimal("1.5"), "ml", **common) == Decimal("75.000")
    assert rules.to_mg(Decimal("12.3456"), "mg", **common) == Decimal("12.346")
    with pytest.raises(ValueError):
        rules.to_mg(Decimal("1"), "ml", mg_per_unit=Decimal("28"), concentration=None)


@given(st.decimals(min_value=-10_000, max_value=10_000, places=3, allow_nan=False))
def test_canonical_decimal_ignores_trailing_zeros(value):
    padded = Decimal(f"{value:.3f}")
    assert rules.canonical_value(value) == rules.canonical_value(padded)
    assert rules.canonical_value(padded) == rules.canonical_value(padded.normalize())


def test_canonical_content_is_deterministic_and_sensitive_to_every_field():
    at = dt.datetime(2026, 3, 1, 9, 30, 0, 120, tzinfo=dt.UTC)
    base = {"sequence": 4, "quantity_mg": Decimal("-80.000"), "occurred_at": at, "prev_hash": "a"}
    reordered = dict(reversed(list(base.items())))
    assert rules.content_hash(base) == rules.content_hash(reordered)
    assert rules.content_hash(base) == rules.content_hash({**base, "quantity_mg": Decimal("-80")})
    for key, other in [
        ("sequence", 5),
        ("quantity_mg", Decimal("-80.001")),
        ("occurred_at", at + dt.timedelta(microseconds=1)),
        ("prev_hash", "b"),
    ]:
        assert rules.content_hash(base) != rules.content_hash({**base, key: other}), key


def test_the_same_instant_in_another_zone_hashes_the_same():
    at = dt.datetime(2026, 3, 1, 9, 30, tzinfo=dt.UTC)
    pacific = at.astimezone(dt.timezone(dt.timedelta(hours=-8)))
    assert rules.canonical_value(at) == rules.canonical_value(pacific)
    with pytest.raises(ValueError):
        rules.canonical_value(dt.datetime(2026, 3, 1, 9, 30))


@pytest.mark.parametrize(
    ("number", "valid"),
    [
        ("AB1234563", True),  # 1+3+5 + 2×(2+4+6) = 33 → check digit 3
        ("FN9876543", False),
        ("ab1234563", True),
        ("AB123456", False),
        ("ZB1234563", False),  # no registrant type Z
        ("A91234563", True),
        ("AB12345X3", False),
        ("", False),
    ],
)
def test_dea_number_check_digit(number, valid):
    assert rules.dea_number_valid(number) is valid


@given(st.from_regex(r"[ABFGM][A-Z][0-9]{6}", fullmatch=True))
def test_exactly_one_check_digit_makes_a_dea_number_valid(stem):
    assert sum(rules.dea_number_valid(f"{stem}{d}") for d in range(10)) == 1


@pytest.mark.parametrize(
    ("sealed", "solid", "per_container", "clinic_exact", "allowed"),
    [
        (True, False, 1, False, False),  # sealed containers are counted, never estimated
        (False, False, 1, False, True),  # an opened vial of a CIII may be estimated…
        (False, False, 1, True, False),  # …unless the clinic counts open containers exactly
        (False, True, 1000, False, True),
        (False, True, 1001, False, False),  # more than 1,000 units: exact count
    ],
)
def test_estimates_follow_the_schedule_iii_inventory_rule(
    sealed, solid, per_container, clinic_exact, allowed
):
    assert (
        rules.estimate_allowed(
            sealed=sealed,
            solid_units=solid,
            units_per_container=per_container,
            clinic_requires_exact=clinic_exact,
        )
        is allowed
    )


@pytest.mark.parametrize(
    ("discovered", "notice_by"),
    [
        (dt.date(2026, 3, 2), dt.date(2026, 3, 3)),  # Monday → Tuesday
        (dt.date(2026, 3, 6), dt.date(2026, 3, 9)),  # Friday → Monday
        (dt.date(2026, 3, 7), dt.date(2026, 3, 9)),  # Saturday → Monday
    ],
)
def test_dea_notice_is_due_the_next_business_day(discovered, notice_by):
    assert rules.dea_notice_due(discovered) == notice_by
    assert rules.form_106_due(discovered) == discovered + dt.timedelta(days=45)


def test_a_holiday_pushes_the_notice_on():
    assert rules.dea_notice_due(dt.date(2026, 3, 6), [dt.date(2026, 3, 9)]) == dt.date(2026, 3, 10)


def test_biennial_inventory_is_due_two_years_after_the_last():
    assert rules.biennial_due(dt.date(2026, 5, 4)) == dt.date(2028, 5, 4)
    assert rules.biennial_due(dt.date(2028, 2, 29)) == dt.date(2030, 2, 28)


@pytest.mark.parametrize(
    ("now", "closing", "done", "enabled", "status"),
    [
        (dt.time(7, 59), False, False, True, "later"),
        (dt.time(8, 0), False, False, True, "due"),
        (dt.time(8, 0), False, True, True, "done"),
        (dt.time(16, 59), True, False, True, "later"),
        (dt.time(17, 0), True, False, True, "due"),
        (dt.time(17, 0), True, False, False, "off"),
    ],
)
def test_count_status_through_the_day(now, closing, done, enabled, status):
    at = dt.time(18, 0) if closing else dt.time(8, 0)
    assert rules.count_status(now=now, at=at, enabled=enabled, done=done, closing=closing) == status


@pytest.mark.parametrize(
    ("kwargs", "problem"),
    [
        ({}, None),
        ({"quantity_mg": Decimal("0")}, "more than 0"),
        ({"location_active": False}, "no longer in use"),
        ({"expires_on": dt.date(2026, 2, 28)}, "expired"),
        ({"blocked": True}, "discrepancy"),
        ({"balance_mg": Decimal("79.999")}, "Only 79.999 mg"),
    ],
)
def test_stock_problem_names_the_first_reason(kwargs, problem):
    values = {
        "balance_mg": Decimal("80"),
        "quantity_mg": Decimal("80"),
        "expires_on": dt.date(2026, 3, 1),
        "on": dt.date(2026, 3, 1),
        "blocked": False,
        **kwargs,
    }
    result = rules.stock_problem(**values)
    assert (result is None) if problem is None else (problem in result)
