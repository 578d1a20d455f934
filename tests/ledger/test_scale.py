"""Acceptance 6: the ledger page and reports run a bounded number of queries over 100,000
entries. The entries are bulk-inserted here (a test-only fast path that builds a valid hash
chain with the real sealing code) so the test stays quick."""

import datetime as dt
import time
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from kapcare.ledger import rules
from kapcare.ledger.chain import HASHED_FIELDS
from kapcare.ledger.models import (
    GENESIS_HASH,
    Balance,
    EntryKind,
    LedgerChain,
    LedgerEntry,
    Lot,
)
from tests.factories import ClientFactory
from tests.ledger.conftest import make_session

ENTRIES = 100_000
LOTS = 50
PER_LOT = ENTRIES // LOTS
DOSE = Decimal("-100")


def _bulk_insert(rows: list[dict]) -> None:
    """INSERT rows by executemany (PostgreSQL: COPY), skipping the ORM's per-object work."""
    fields = [f for f in LedgerEntry._meta.concrete_fields if f.attname != "id"]
    ops = connection.ops
    adapters = []
    for f in fields:
        kind = f.get_internal_type()
        if kind == "DecimalField":
            adapters.append(
                lambda v, f=f: ops.adapt_decimalfield_value(v, f.max_digits, f.decimal_places)
            )
        elif kind == "DateTimeField":
            adapters.append(ops.adapt_datetimefield_value)
        else:
            adapters.append(lambda v: v)
    values = [
        [
            None if row[f.attname] is None else adapt(row[f.attname])
            for f, adapt in zip(fields, adapters, strict=True)
        ]
        for row in rows
    ]
    columns = ", ".join(f.column for f in fields)
    table = LedgerEntry._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                for row in values:
                    copy.write_row(row)
        else:
            marks = ", ".join(["%s"] * len(fields))
            cursor.executemany(f"INSERT INTO {table} ({columns}) VALUES ({marks})", values)


@pytest.fixture
def big_ledger(clinic, staff, product, safe):
    started = time.monotonic()
    sessions = [make_session(ClientFactory(clinic=clinic)) for _ in range(20)]
    today = clinic.today()
    lots = Lot.objects.bulk_create(
        Lot(
            clinic=clinic,
            product=product,
            ndc="0409-2051-05",
            lot_number=f"BULK{n:04d}",
            expires_on=today + dt.timedelta(days=365 + n),
            supplier_name="Cardinal Health",
        )
        for n in range(LOTS)
    )
    nurse = staff["nurse"]
    start = timezone.now() - dt.timedelta(days=100)
    blank = dict.fromkeys(f.attname for f in LedgerEntry._meta.concrete_fields)
    blank.update(
        clinic_id=clinic.pk,
        location_id=safe.pk,
        actor_id=nurse.pk,
        actor_label=nurse.display_name,
        witness_label="",
        count_method="",
        method="",
        reason="",
    )
    rows, prev_hash, sequence = [], GENESIS_HASH, 0
    for lot_index, lot in enumerate(lots):
        stock = Decimal(100 * PER_LOT)
        for step in range(PER_LOT):
            sequence += 1
            at = start + dt.timedelta(minutes=sequence)
            receipt = step == 0
            change = stock if receipt else DOSE
            session = sessions[(lot_index + step) % len(sessions)]
            row = {
                **blank,
                "sequence": sequence,
                "kind": EntryKind.RECEIPT.value if receipt else EntryKind.ADMINISTRATION.value,
                "lot_id": lot.pk,
                "quantity_mg": change,
                "quantity_units": change / 100,
                "volume_ml": change / 50,
                "balance_after_mg": stock - 100 * step,
                "occurred_at": at,
                "recorded_at": at,
                "client_id": None if receipt else session.client_id,
                "dosing_session_id": None if receipt else session.pk,
                "reference": "INV-BULK" if receipt else "",
                "prev_hash": prev_hash,
            }
            row["entry_hash"] = prev_hash = rules.content_hash({k: row[k] for k in HASHED_FIELDS})
            rows.append(row)
    hashed = time.monotonic()
    _bulk_insert(rows)
    print(
        f"\nbuilt and hashed in {hashed - started:.1f}s, inserted in {time.monotonic() - hashed:.1f}s"
    )
    Balance.objects.bulk_create(
        Balance(clinic=clinic, lot=lot, location=safe, quantity_mg=Decimal(100)) for lot in lots
    )
    LedgerChain.objects.create(clinic=clinic, last_sequence=sequence, last_hash=prev_hash)
    assert LedgerEntry.objects.count() == ENTRIES
    print(f"\n100k entries inserted in {time.monotonic() - started:.1f}s")
    day = timezone.localdate(start, timezone=ZoneInfo(clinic.time_zone))
    return {
        "lot": lots[7],
        "client": sessions[3].client,
        "from": day.isoformat(),
        "to": (day + dt.timedelta(days=80)).isoformat(),
        "one_day": (day + dt.timedelta(days=3)).isoformat(),
    }


PERIOD = "?date_from={from}&date_to={to}"
PAGES = [
    ("home", {}, ""),
    ("entries", {}, ""),
    ("entries", {}, "?page=1500"),
    ("entries", {}, "?kind=administration&date_from={from}"),
    ("lots", {}, "?page=2"),
    ("lot", {"lot_id": "lot"}, "?page=5"),
    ("counts", {}, ""),
    ("reports", {}, "?q=Lastname3"),
    ("period", {}, PERIOD + "&page=900"),
    ("period_export", {"fmt": "summary.csv"}, PERIOD),
    ("period_export", {"fmt": "csv"}, "?date_from={one_day}&date_to={one_day}"),
    ("period_export", {"fmt": "pdf"}, PERIOD),
    ("client_report", {"client_id": "client"}, "?page=3"),
    ("client_export", {"client_id": "client", "fmt": "pdf"}, ""),
    ("lot_export", {"lot_id": "lot", "fmt": "csv"}, ""),
    ("lot_export", {"lot_id": "lot", "fmt": "pdf"}, ""),
]


def test_ledger_pages_and_reports_stay_bounded_over_100k_entries(
    big_ledger, login, staff, django_assert_max_num_queries
):
    http = login(staff["clinic_admin"])
    for name, kwargs, query in PAGES:
        resolved = {k: (big_ledger[v].pk if k != "fmt" else v) for k, v in kwargs.items()}
        url = reverse(f"ledger:{name}", kwargs=resolved) + query.format(**big_ledger)
        started = time.monotonic()
        # 27: the audit row's hash chain head is locked and moved (+2).
        with django_assert_max_num_queries(27):
            response = http.get(url)
            if hasattr(response, "streaming_content"):
                size = sum(len(chunk) for chunk in response.streaming_content)
            else:
                size = len(response.content)
        assert response.status_code == 200, url
        assert size > 1000, url
        print(f"{url}: {size} bytes in {time.monotonic() - started:.2f}s")
