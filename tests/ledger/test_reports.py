"""Reports: the period summary's arithmetic, per-lot and per-client histories, inventories laid
out as FACTS.md §5.3 asks, CSV and PDF exports (audited), and the 2-year retention floor."""

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from kapcare.audit.models import AuditAction, AuditEvent
from kapcare.ledger import reports
from kapcare.ledger.models import LedgerEntry, LedgerSettings, Registrant
from kapcare.ledger.services import record_administration, record_waste, transfer_stock
from kapcare.ledger.services.disposals import report_loss
from kapcare.ledger.services.reconciliation import CountLine, record_count
from tests.ledger.conftest import receive


@pytest.fixture
def month(clinic, staff, nurse, product, safe, cart, session):
    """A receipt last month; this month a transfer, a dose, its waste and a loss."""
    last_month = timezone.now() - dt.timedelta(days=40)
    lot = receive(nurse, product, safe, mg="1000", occurred_at=last_month).lot
    transfer_stock(actor=nurse, lot=lot, from_location=safe, to_location=cart, quantity_mg=300)
    record_administration(
        actor=nurse, lot=lot, location=cart, quantity_mg=Decimal("70"), dosing_session=session
    )
    record_waste(
        actor=nurse,
        witness=staff["prescriber"],
        lot=lot,
        location=cart,
        quantity_mg=Decimal("30"),
        reason="Rest of the vial.",
        dosing_session=session,
    )
    report_loss(
        actor=nurse,
        lot=lot,
        location=safe,
        quantity_mg=Decimal("100"),
        kind="loss",
        discovered_at=timezone.now(),
        circumstances="Dropped vial.",
    )
    Registrant.objects.create(
        clinic=clinic,
        name="Harbor Light KAP PC",
        dea_number="FH1234563",
        address_line1="200 Harbor Way",
        city="Portland",
        region="OR",
        postal_code="97201",
    )
    return lot


def test_the_period_summary_adds_up(clinic, month):
    today = clinic.today()
    (row,) = reports.period_summary(clinic=clinic, start=today - dt.timedelta(days=10), end=today)
    assert row["lot"] == month
    assert row["opening"] == 1000 and row["received"] == 0
    assert (row["transferred_in"], row["transferred_out"]) == (300, -300)
    assert (row["administered"], row["wasted"], row["lost"]) == (-70, -30, -100)
    assert row["closing"] == 800 == sum(b.quantity_mg for b in month.balances.all())


def test_a_period_before_anything_happened_is_empty(clinic, month):
    start = clinic.today() - dt.timedelta(days=400)
    assert reports.period_summary(clinic=clinic, start=start, end=start) == []


def _download(response) -> str:
    return b"".join(response.streaming_content).decode()


def test_entries_csv_has_every_entry_of_the_period_and_is_audited(clinic, staff, login, month):
    today = clinic.today()
    url = reverse("ledger:period_export", args=["csv"])
    response = login(staff["nurse"]).get(
        url
        + f"?date_from={(today - dt.timedelta(days=60)).isoformat()}&date_to={today.isoformat()}"
    )
    lines = _download(response).strip().splitlines()
    assert lines[0].split(",") == reports.ENTRY_COLUMNS
    assert len(lines) == 1 + LedgerEntry.objects.count()
    assert "Rowan Ashby" in lines[4] and "-70.000" in lines[4]
    assert response["Content-Disposition"].startswith('attachment; filename="kapcare-ledger-')
    assert AuditEvent.objects.filter(
        action=AuditAction.EXPORT, object_type="ledger.period"
    ).exists()


def test_summary_csv(clinic, staff, login, month):
    today = clinic.today().isoformat()
    response = login(staff["clinic_admin"]).get(
        reverse("ledger:period_export", args=["summary.csv"])
        + f"?date_from={today}&date_to={today}"
    )
    header, row = _download(response).strip().splitlines()
    assert header.split(",") == reports.SUMMARY_COLUMNS
    assert row.split(",")[-1] == "800.000"


def test_an_unknown_format_is_not_found(clinic, staff, login, month):
    response = login(staff["nurse"]).get(reverse("ledger:period_export", args=["xlsx"]))
    assert response.status_code == 404


@pytest.fixture
def captured_pdf_html(monkeypatch):
    """Keep the HTML each PDF was made from, to read what it says."""
    from kapcare.ledger import report_views

    seen = []
    real = report_views.render_pdf

    def capture(template, context):
        from django.template.loader import render_to_string

        seen.append(render_to_string(template, context))
        return real(template, context)

    monkeypatch.setattr(report_views, "render_pdf", capture)
    return seen


def test_period_pdf_names_the_registrant_and_the_chain_head(
    clinic, staff, login, month, captured_pdf_html
):
    today = clinic.today().isoformat()
    response = login(staff["nurse"]).get(
        reverse("ledger:period_export", args=["pdf"]) + f"?date_from={today}&date_to={today}"
    )
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    html = captured_pdf_html[0]
    assert "DEA FH1234563" in html and "Rowan Ashby" in html
    head = LedgerEntry.objects.order_by("-sequence").first()
    assert head.entry_hash in html


def test_a_pdf_with_too_many_entries_points_to_the_csv(
    clinic, staff, login, month, captured_pdf_html, monkeypatch
):
    monkeypatch.setattr(reports, "PDF_ENTRY_LIMIT", 2)
    login(staff["nurse"]).get(reverse("ledger:lot_export", args=[month.pk, "pdf"]))
    assert "more than a PDF lists (2)" in captured_pdf_html[0]
    assert "There are 6 entries" in captured_pdf_html[0]


def test_client_report_lists_their_doses_and_waste(clinic, staff, login, month, client_record):
    http = login(staff["prescriber"])
    body = http.get(reverse("ledger:client_report", args=[client_record.pk])).content.decode()
    assert body.count("kc-entry-administration") == 1 and body.count("kc-entry-waste") == 1
    event = AuditEvent.objects.get(action=AuditAction.VIEW, object_type="ledger.client")
    assert event.client == client_record
    csv = _download(http.get(reverse("ledger:client_export", args=[client_record.pk, "csv"])))
    assert len(csv.strip().splitlines()) == 3
    pdf = http.get(reverse("ledger:client_export", args=[client_record.pk, "pdf"]))
    assert pdf.content.startswith(b"%PDF")


def test_an_inventory_report_shows_sealed_and_opened_containers(
    clinic, staff, nurse, product, safe, login, captured_pdf_html
):
    lot = receive(nurse, product, safe, mg="500").lot
    inventory = record_count(
        actor=nurse,
        witness=staff["prescriber"],
        purpose="biennial_inventory",
        timing="closing",
        location=None,
        lines=[CountLine(lot, safe, Decimal("460"), sealed_containers=4)],
    )
    (line,) = reports.inventory_lines(inventory)
    assert line["sealed"] == 4 and line["opened_mg"] == Decimal("60")
    assert line["strength"] == "50 mg/mL, 100 mg per vial"
    http = login(staff["nurse"])
    csv = _download(http.get(reverse("ledger:count_export", args=[inventory.pk, "csv"])))
    header, row = csv.strip().splitlines()
    assert header.split(",") == reports.INVENTORY_COLUMNS
    assert row.startswith("Main safe,ketamine,7285,CIII,")
    pdf = http.get(reverse("ledger:count_export", args=[inventory.pk, "pdf"]))
    assert pdf.content.startswith(b"%PDF")
    assert "at the close of business" in captured_pdf_html[0]
    assert "Witnessed by" in captured_pdf_html[0]


def test_records_are_kept_at_least_two_years(clinic):
    # There is no purge path at all (entries cannot be deleted, test_chain); the retention
    # setting cannot go below the federal two years, even past the form.
    with pytest.raises(IntegrityError), transaction.atomic():
        LedgerSettings.objects.create(clinic=clinic, retention_years=1)
    assert LedgerSettings.objects.create(clinic=clinic, retention_years=5).retention_years == 5


def test_csv_cells_cannot_start_a_formula(clinic, staff, nurse, product, safe, login):
    receive(nurse, product, safe, reference='=HYPERLINK("http://x")')
    today = clinic.today().isoformat()
    csv = _download(
        login(staff["nurse"]).get(
            reverse("ledger:period_export", args=["csv"]) + f"?date_from={today}&date_to={today}"
        )
    )
    assert "'=HYPERLINK" in csv


def test_the_verify_command_prints_each_clinic(month, clinic):
    from django.core.management import call_command

    out = io.StringIO()
    call_command("verify_ledger", stdout=out)
    assert f"Clinic {clinic.pk} (Harbor Light): 6 entries verified" in out.getvalue()
