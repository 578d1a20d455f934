"""The period report stays bounded as the ledger grows: a lot used up before the period is not
listed, the opening is counted from whichever side reads fewer entries (same numbers either
way), and the page lists the first lots and the totals per product, the exports every lot."""

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from kapcare.ledger import reports
from kapcare.ledger.report_views import SUMMARY_LOTS
from kapcare.ledger.services import record_administration, transfer_stock
from tests.ledger.conftest import receive


@pytest.fixture
def history(nurse, product, safe, cart, session):
    """A lot received 300 days ago and used up 290 days ago; one received 100 days ago, moved
    and partly given since."""
    now = timezone.now()
    gone = receive(
        nurse, product, safe, mg="100", lot_number="OLD1", occurred_at=now - dt.timedelta(300)
    ).lot
    transfer_stock(
        actor=nurse,
        lot=gone,
        from_location=safe,
        to_location=cart,
        quantity_mg=100,
        occurred_at=now - dt.timedelta(295),
    )
    record_administration(
        actor=nurse,
        lot=gone,
        location=cart,
        quantity_mg=Decimal("100"),
        dosing_session=session,
        occurred_at=now - dt.timedelta(290),
    )
    kept = receive(
        nurse, product, safe, mg="1000", lot_number="NEW1", occurred_at=now - dt.timedelta(100)
    ).lot
    transfer_stock(
        actor=nurse,
        lot=kept,
        from_location=safe,
        to_location=cart,
        quantity_mg=300,
        occurred_at=now - dt.timedelta(50),
    )
    record_administration(
        actor=nurse,
        lot=kept,
        location=cart,
        quantity_mg=Decimal("70"),
        dosing_session=session,
        occurred_at=now - dt.timedelta(5),
    )
    return {"gone": gone, "kept": kept}


def summary(clinic, days_back: int, days_long: int) -> dict[str, dict]:
    start = clinic.today() - dt.timedelta(days=days_back)
    end = start + dt.timedelta(days=days_long)
    rows = reports.period_summary(clinic=clinic, start=start, end=end)
    return {row["lot"].lot_number: row for row in rows}


def test_a_lot_used_up_before_the_period_is_left_out(clinic, history):
    assert set(summary(clinic, 10, 10)) == {"NEW1"}
    assert set(summary(clinic, 200, 200)) == {"NEW1"}
    # A period that saw the old lot's stock lists it.
    assert set(summary(clinic, 299, 5)) == {"OLD1"}
    assert set(summary(clinic, 310, 310)) == {"OLD1", "NEW1"}


@pytest.mark.parametrize(
    # Starts near the end count back from the balances; starts near the beginning count forward.
    ("days_back", "days_long"),
    [(10, 10), (60, 60), (60, 20), (120, 120), (290, 0), (299, 100)],
)
def test_counting_back_and_forward_give_the_ledgers_own_numbers(
    clinic, history, days_back, days_long
):
    start = clinic.today() - dt.timedelta(days=days_back)
    since, until = reports.period_bounds(clinic, start, start + dt.timedelta(days=days_long))
    for lot_number, row in summary(clinic, days_back, days_long).items():
        lot = history["kept" if lot_number == "NEW1" else "gone"]
        entries = reports.lot_entries(lot=lot)
        assert row["opening"] == sum(e.quantity_mg for e in entries if e.occurred_at < since)
        assert row["closing"] == sum(e.quantity_mg for e in entries if e.occurred_at < until)
        moved = sum(e.quantity_mg for e in entries if since <= e.occurred_at < until)
        assert row["closing"] - row["opening"] == moved


def test_the_page_lists_the_first_lots_and_the_exports_every_lot(
    clinic, staff, login, nurse, product, safe, django_assert_max_num_queries
):
    many = SUMMARY_LOTS + 3
    for n in range(many):
        receive(nurse, product, safe, mg="10", lot_number=f"L{n:03}")
    today = clinic.today().isoformat()
    query = f"?date_from={today}&date_to={today}"
    http = login(staff["prescriber"])
    http.get(reverse("ledger:period") + query)
    with django_assert_max_num_queries(16):
        page = http.get(reverse("ledger:period") + query)
    assert page.status_code == 200
    rows = page.context["rows"]
    assert (len(rows.rows), rows.total) == (SUMMARY_LOTS, many)
    text = page.content.decode()
    assert f"The first {SUMMARY_LOTS} of {many} lots" in text
    assert [r["lot"].lot_number for r in rows] == [f"L{n:03}" for n in range(SUMMARY_LOTS)]
    (total,) = page.context["totals"]
    assert (total["lots"], total["received"], total["closing"]) == (many, 10 * many, 10 * many)
    export = http.get(reverse("ledger:period_export", args=["summary.csv"]) + query)
    lines = b"".join(export.streaming_content).decode().strip().splitlines()
    assert len(lines) == 1 + many


def test_the_page_size_does_not_grow_with_used_up_lots(
    clinic, staff, login, nurse, product, safe, cart, session
):
    """Lots used up long ago add nothing to today's page (they were most of its 184 KB)."""
    http = login(staff["prescriber"])
    url = reverse("ledger:period")
    receive(nurse, product, safe, mg="10", lot_number="NOW1")
    before = len(http.get(url).content)
    long_ago = timezone.now() - dt.timedelta(days=200)
    for n in range(10):
        lot = receive(nurse, product, cart, mg="10", lot_number=f"U{n}", occurred_at=long_ago).lot
        record_administration(
            actor=nurse,
            lot=lot,
            location=cart,
            quantity_mg=Decimal("10"),
            dosing_session=session,
            occurred_at=long_ago + dt.timedelta(hours=1),
        )
    after = http.get(url)
    assert "U0" not in after.content.decode()
    assert abs(len(after.content) - before) < 200
