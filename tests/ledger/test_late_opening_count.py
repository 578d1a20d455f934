"""Issue 10 item 25: a start-of-day count recorded after the day's doses is flagged."""

from decimal import Decimal

import pytest
from django.urls import reverse

from kapcare.ledger.models import CountPurpose, CountTiming
from kapcare.ledger.selectors import counts_today, doses_before_opening_count
from kapcare.ledger.services import record_administration
from kapcare.ledger.services.reconciliation import CountLine, record_count

pytestmark = pytest.mark.django_db


def _opening(nurse, witness, safe, lot, mg):
    return record_count(
        actor=nurse,
        witness=witness,
        purpose=CountPurpose.DAILY,
        timing=CountTiming.OPENING,
        location=safe,
        lines=[CountLine(lot, safe, Decimal(mg))],
    )


def test_an_opening_count_before_any_dose_is_not_flagged(nurse, staff, stocked_lot, safe):
    count = _opening(nurse, staff["prescriber"], safe, stocked_lot, "500")

    assert doses_before_opening_count(count) == 0


def test_an_opening_count_after_the_days_doses_is_flagged(
    nurse, staff, stocked_lot, safe, session, login
):
    record_administration(
        actor=nurse,
        lot=stocked_lot,
        location=safe,
        quantity_mg=Decimal("50"),
        dosing_session=session,
    )

    count = _opening(nurse, staff["prescriber"], safe, stocked_lot, "450")

    assert doses_before_opening_count(count) == 1
    row = next(r for r in counts_today(clinic=nurse.clinic) if r["location"] == safe)
    assert row[CountTiming.OPENING]["late"] is True
    page = login(staff["nurse"]).get(reverse("ledger:count", args=[count.pk])).content.decode()
    assert "it is not a start-of-day count" in page
    listing = login(staff["nurse"]).get(reverse("ledger:counts")).content.decode()
    assert "after the day&#x27;s doses" in listing or "after the day's doses" in listing


def test_a_closing_count_after_doses_is_what_it_should_be(nurse, staff, stocked_lot, safe, session):
    record_administration(
        actor=nurse,
        lot=stocked_lot,
        location=safe,
        quantity_mg=Decimal("50"),
        dosing_session=session,
    )
    count = record_count(
        actor=nurse,
        witness=staff["prescriber"],
        purpose=CountPurpose.DAILY,
        timing=CountTiming.CLOSING,
        location=safe,
        lines=[CountLine(stocked_lot, safe, Decimal("450"))],
    )

    assert doses_before_opening_count(count) == 0
