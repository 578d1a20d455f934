"""Every ledger page: anonymous visitors sign in first, roles outside the ledger get 403,
another clinic's records are not found, allowed roles see the page in a bounded number of
queries, and each form records through its service with errors at the field."""

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import timezone

from kapcare.accounts.actor import Actor
from kapcare.audit.models import AuditAction, AuditEvent
from kapcare.ledger.models import (
    Balance,
    CaseStatus,
    Count,
    DiscrepancyCase,
    EntryKind,
    LedgerEntry,
    LedgerSettings,
    Location,
    LossReport,
    Lot,
    Product,
    Registrant,
)
from kapcare.ledger.services import record_administration, record_waste
from kapcare.ledger.services.disposals import report_loss
from kapcare.ledger.services.reconciliation import CountLine, record_count
from tests.factories import ClientFactory, make_staff
from tests.ledger.conftest import make_product, make_session, receive, witness_data


@pytest.fixture
def world(clinic, staff, nurse, product, safe, cart, client_record):
    """A lot received, a dose and its waste, a count that found less, a loss report."""
    session = make_session(client_record)
    lot = receive(nurse, product, safe, mg="500").lot
    dose = record_administration(
        actor=nurse, lot=lot, location=safe, quantity_mg=Decimal("80"), dosing_session=session
    )
    record_waste(
        actor=nurse,
        witness=staff["prescriber"],
        lot=lot,
        location=safe,
        quantity_mg=Decimal("20"),
        reason="Remainder.",
        dosing_session=session,
    )
    count = record_count(
        actor=nurse,
        witness=staff["prescriber"],
        purpose="daily",
        timing="closing",
        location=safe,
        lines=[CountLine(lot, safe, Decimal("350"))],
    )
    loss = report_loss(
        actor=nurse,
        lot=lot,
        location=safe,
        quantity_mg=Decimal("10"),
        kind="loss",
        discovered_at=timezone.now(),
        circumstances="Spilled.",
    )
    return {
        "lot": lot,
        "entry": dose,
        "count": count,
        "case": DiscrepancyCase.objects.get(),
        "loss": loss,
        "client": client_record,
        "product": product,
        "location": safe,
    }


def foreign_world(other_clinic):
    """The same kinds of records at another clinic."""
    nurse = Actor.for_user(make_staff(other_clinic, "nurse"), other_clinic)
    witness = make_staff(other_clinic, "prescriber")
    safe = Location.objects.create(clinic=other_clinic, name="Their safe", kind="safe")
    product = make_product(other_clinic)
    entry = receive(nurse, product, safe, mg="100")
    count = record_count(
        actor=nurse,
        witness=witness,
        purpose="daily",
        timing="closing",
        location=safe,
        lines=[CountLine(entry.lot, safe, Decimal("90"))],
    )
    loss = report_loss(
        actor=nurse,
        lot=entry.lot,
        location=safe,
        quantity_mg=Decimal("5"),
        kind="loss",
        discovered_at=timezone.now(),
        circumstances="x",
    )
    return {
        "lot": entry.lot,
        "entry": entry,
        "count": count,
        "case": DiscrepancyCase.objects.get(clinic=other_clinic),
        "loss": loss,
        "client": ClientFactory(clinic=other_clinic),
        "product": product,
        "location": safe,
    }


VIEWERS = ("nurse", "prescriber", "clinic_admin")
HANDLERS = ("nurse", "prescriber", "clinic_admin")
CLINICIANS = ("nurse", "prescriber")
ADMINS = ("clinic_admin",)

# (url name, kwargs from the world, roles allowed)
PAGES = [
    ("home", {}, VIEWERS),
    ("entries", {}, VIEWERS),
    ("entry", {"entry_id": "entry"}, VIEWERS),
    ("correct", {"entry_id": "entry"}, ADMINS),
    ("lots", {}, VIEWERS),
    ("lot", {"lot_id": "lot"}, VIEWERS),
    ("lot_export", {"lot_id": "lot", "fmt": "csv"}, VIEWERS),
    ("receive", {}, HANDLERS),
    ("transfer", {}, HANDLERS),
    ("waste", {}, CLINICIANS),
    ("dispose", {}, HANDLERS),
    ("losses", {}, VIEWERS),
    ("loss_new", {}, HANDLERS),
    ("loss", {"report_id": "loss"}, VIEWERS),
    ("counts", {}, VIEWERS),
    ("count_new", {}, HANDLERS),
    ("count", {"count_id": "count"}, VIEWERS),
    ("count_export", {"count_id": "count", "fmt": "csv"}, VIEWERS),
    ("case", {"case_id": "case"}, VIEWERS),
    ("reports", {}, VIEWERS),
    ("period", {}, VIEWERS),
    ("client_report", {"client_id": "client"}, VIEWERS),
    ("client_export", {"client_id": "client", "fmt": "csv"}, VIEWERS),
    ("setup", {}, ADMINS),
    ("product_new", {}, ADMINS),
    ("product_edit", {"product_id": "product"}, ADMINS),
    ("location_new", {}, ADMINS),
    ("location_edit", {"location_id": "location"}, ADMINS),
]
OBJECT_PAGES = [
    page
    for page in PAGES
    if any(
        isinstance(v, str)
        and v in {"entry", "lot", "count", "case", "loss", "client", "product", "location"}
        for v in page[1].values()
    )
]


def url_for(name: str, kwargs: dict, objects: dict) -> str:
    resolved = {
        key: (objects[value].pk if key != "fmt" else value) for key, value in kwargs.items()
    }
    return reverse(f"ledger:{name}", kwargs=resolved)


@pytest.mark.parametrize(("name", "kwargs", "roles"), PAGES, ids=[p[0] for p in PAGES])
def test_anonymous_visitors_are_sent_to_sign_in(client, world, name, kwargs, roles):
    response = client.get(url_for(name, kwargs, world))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


@pytest.mark.parametrize(("name", "kwargs", "roles"), PAGES, ids=[p[0] for p in PAGES])
def test_roles_without_the_ledger_are_refused(login, staff, world, name, kwargs, roles):
    for role in {"front_desk", "therapist", "nurse", "prescriber", "clinic_admin"} - set(roles):
        response = login(staff[role]).get(url_for(name, kwargs, world))
        assert response.status_code == 403, role
        assert "Ashby" not in response.content.decode()


@pytest.mark.parametrize(
    ("name", "kwargs", "roles"), OBJECT_PAGES, ids=[p[0] for p in OBJECT_PAGES]
)
def test_another_clinics_records_are_not_found(
    login, staff, world, other_clinic, name, kwargs, roles
):
    elsewhere = foreign_world(other_clinic)
    response = login(staff[roles[0]]).get(url_for(name, kwargs, elsewhere))
    assert response.status_code == 404


@pytest.mark.parametrize(("name", "kwargs", "roles"), PAGES, ids=[p[0] for p in PAGES])
def test_allowed_roles_see_the_page_in_bounded_queries(
    login, staff, world, name, kwargs, roles, django_assert_max_num_queries
):
    http = login(staff[roles[0]])
    url = url_for(name, kwargs, world)
    with django_assert_max_num_queries(30):
        response = http.get(url)
        if hasattr(response, "streaming_content"):
            body = b"".join(response.streaming_content).decode()
        else:
            body = response.content.decode()
    assert response.status_code == 200, body[:500]


def test_the_nav_shows_the_ledger_to_its_roles_only(login, staff, world):
    for role in ("nurse", "prescriber", "clinic_admin"):
        assert 'href="/ledger/"' in login(staff[role]).get(reverse("home:home")).content.decode()
    for role in ("front_desk", "therapist"):
        assert (
            'href="/ledger/"' not in login(staff[role]).get(reverse("home:home")).content.decode()
        )


def test_home_shows_stock_blocked_location_and_counts(login, staff, world):
    body = login(staff["nurse"]).get(reverse("ledger:home")).content.decode()
    assert "Main safe" in body and "KX1001" in body
    assert "Administrations from Main safe are blocked" in body
    assert "390 mg" in body  # 500 − 80 − 20 − 10


def test_listing_pages_audit_the_clients_they_show(login, staff, world):
    login(staff["nurse"]).get(reverse("ledger:entries"))
    event = AuditEvent.objects.filter(action=AuditAction.LIST, object_type="ledger.entries").get()
    assert event.details["client_ids"] == [world["client"].pk]


def test_entries_filter_by_kind_returns_the_table_for_htmx(login, staff, world):
    response = login(staff["nurse"]).get(
        reverse("ledger:entries") + "?kind=waste", HTTP_HX_REQUEST="true"
    )
    body = response.content.decode()
    assert "<html" not in body and "Waste" in body and "Administration" not in body


# --- Forms -------------------------------------------------------------------------------


def test_a_nurse_receives_stock_in_vials(login, staff, product, safe):
    data = {
        "product": product.pk,
        "lot_number": "NEW-77",
        "ndc": "0409-2051-05",
        "expires_on": (dt.date.today() + dt.timedelta(days=400)).isoformat(),
        "quantity": "3",
        "unit": "unit",
        "location": safe.pk,
        "supplier_name": "Cardinal Health",
        "supplier_dea_number": "rc1234563",
        "reference": "PS-1001",
    }
    response = login(staff["nurse"]).post(reverse("ledger:receive"), data)
    assert response.status_code == 302
    entry = LedgerEntry.objects.get()
    assert entry.quantity_mg == Decimal("300") and entry.lot.supplier_dea_number == "RC1234563"


def test_receive_errors_are_shown_at_their_fields_and_nothing_is_saved(login, staff, product, safe):
    data = {
        "product": product.pk,
        "lot_number": "NEW-77",
        "ndc": "0409-2051-05",
        "expires_on": "2020-01-01",
        "quantity": "3",
        "unit": "unit",
        "location": safe.pk,
        "supplier_name": "Cardinal Health",
        "supplier_dea_number": "RC1234567",
        "reference": "PS-1001",
    }
    response = login(staff["nurse"]).post(reverse("ledger:receive"), data)
    form = response.context["form"]
    assert set(form.errors) == {"supplier_dea_number"}
    data["supplier_dea_number"] = ""
    form = login(staff["nurse"]).post(reverse("ledger:receive"), data).context["form"]
    assert set(form.errors) == {"expires_on"}
    assert not LedgerEntry.objects.exists() and not Lot.objects.exists()


def test_ml_is_refused_for_a_product_that_is_not_liquid(login, staff, nurse, safe):
    lozenge = make_product(
        nurse.clinic,
        name="Ketamine 100 mg lozenge",
        dosage_form="sublingual_lozenge",
        concentration_mg_per_ml=None,
        volume_ml_per_unit=None,
        unit_label="lozenge",
        routes=["sublingual"],
    )
    receive(nurse, lozenge, safe, mg="1000")
    row = Balance.objects.get()
    response = login(staff["nurse"]).post(
        reverse("ledger:transfer"),
        {"balance": row.pk, "to_location": safe.pk, "quantity": "1", "unit": "ml"},
    )
    assert "unit" in response.context["form"].errors


def test_a_transfer_to_the_same_place_is_refused_at_the_field(
    login, staff, stocked_lot, safe, cart
):
    row = Balance.objects.get()
    http = login(staff["nurse"])
    response = http.post(
        reverse("ledger:transfer"),
        {"balance": row.pk, "to_location": safe.pk, "quantity": "1", "unit": "unit"},
    )
    assert "to_location" in response.context["form"].errors
    response = http.post(
        reverse("ledger:transfer"),
        {"balance": row.pk, "to_location": cart.pk, "quantity": "6", "unit": "unit"},
    )
    assert "Only 500 mg" in response.content.decode()
    http.post(
        reverse("ledger:transfer"),
        {"balance": row.pk, "to_location": cart.pk, "quantity": "2", "unit": "unit"},
    )
    assert Balance.objects.get(lot=stocked_lot, location=cart).quantity_mg == 200


def test_witnessed_waste_through_the_page(login, staff, stocked_lot, safe):
    row = Balance.objects.get()
    response = login(staff["nurse"]).post(
        reverse("ledger:waste"),
        {
            "balance": row.pk,
            "quantity": "0.5",
            "unit": "ml",
            "reason": "Drawn up, not given.",
            **witness_data(staff["prescriber"]),
        },
    )
    assert response.status_code == 302
    waste = LedgerEntry.objects.get(kind=EntryKind.WASTE)
    assert waste.quantity_mg == Decimal("-25") and waste.witness == staff["prescriber"]


def test_on_site_destruction_through_the_page_needs_the_witness(login, staff, stocked_lot, safe):
    row = Balance.objects.get()
    data = {
        "balance": row.pk,
        "quantity": "1",
        "unit": "unit",
        "method": "on_site_destruction",
        "reference": "F41-001",
    }
    http = login(staff["nurse"])
    response = http.post(reverse("ledger:dispose"), data)
    assert "witness_email" in response.context["form"].errors
    response = http.post(reverse("ledger:dispose"), {**data, **witness_data(staff["prescriber"])})
    assert response.status_code == 302
    assert LedgerEntry.objects.get(kind=EntryKind.DISPOSAL).witness == staff["prescriber"]


def _clinic_now(clinic) -> str:
    """Now, as a datetime-local field in the clinic's time zone shows it."""
    return timezone.localtime(timezone=ZoneInfo(clinic.time_zone)).strftime("%Y-%m-%dT%H:%M")


def test_a_loss_is_reported_and_its_notices_recorded(login, staff, clinic, stocked_lot, safe):
    row = Balance.objects.get()
    http = login(staff["nurse"])
    response = http.post(
        reverse("ledger:loss_new"),
        {
            "balance": row.pk,
            "quantity": "1",
            "unit": "unit",
            "kind": "theft",
            "discovered_at": _clinic_now(clinic),
            "circumstances": "Vial missing at the closing count.",
        },
    )
    report = LossReport.objects.get()
    assert response.status_code == 302 and response["Location"].endswith(f"/losses/{report.pk}/")
    body = http.get(response["Location"]).content.decode()
    assert "DEA notice due" in body and "Form 106 due" in body
    http.post(
        reverse("ledger:loss", args=[report.pk]),
        {"form_106_reference": "TL-99", "form_106_submitted_at": _clinic_now(clinic)},
    )
    report.refresh_from_db()
    assert report.form_106_reference == "TL-99"


def test_a_blind_count_through_the_page(login, staff, stocked_lot, safe):
    http = login(staff["nurse"])
    page = http.get(reverse("ledger:count_new") + f"?location={safe.pk}").content.decode()
    assert "KX1001" in page and "500" not in page  # the expected amount is not shown
    row = Balance.objects.get()
    response = http.post(
        reverse("ledger:count_new") + f"?location={safe.pk}",
        {
            "purpose": "daily",
            "timing": "opening",
            "unit": "unit",
            f"counted_{row.pk}": "5",
            **witness_data(staff["prescriber"]),
        },
        follow=True,
    )
    assert "matches the ledger" in response.content.decode()
    count = Count.objects.get()
    assert not count.has_discrepancy and count.timing == "opening"


def test_a_count_that_differs_blocks_and_the_admin_resolves_it_on_the_page(
    login, staff, stocked_lot, safe
):
    row = Balance.objects.get()
    login(staff["nurse"]).post(
        reverse("ledger:count_new") + f"?location={safe.pk}",
        {
            "purpose": "daily",
            "timing": "closing",
            "unit": "mg",
            f"counted_{row.pk}": "450",
            **witness_data(staff["prescriber"]),
        },
    )
    case = DiscrepancyCase.objects.get()
    url = reverse("ledger:case", args=[case.pk])
    assert (
        login(staff["nurse"]).post(url, {"outcome": "overridden", "reason": "x"}).status_code == 403
    )

    admin = login(staff["clinic_admin"])
    response = admin.post(url, {"outcome": "resolved", "reason": "Vial broken."})
    assert "witness_email" in response.context["form"].errors
    response = admin.post(
        url, {"outcome": "resolved", "reason": "Vial broken.", **witness_data(staff["nurse"])}
    )
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.status == CaseStatus.RESOLVED
    assert LedgerEntry.objects.get(kind=EntryKind.ADJUSTMENT).quantity_mg == Decimal("-50")


def test_an_initial_inventory_through_the_page(login, staff, stocked_lot, safe):
    row = Balance.objects.get()
    url = reverse("ledger:inventory_new") + "?purpose=initial_inventory"
    response = login(staff["nurse"]).post(
        url,
        {
            "purpose": "initial_inventory",
            "timing": "opening",
            "unit": "unit",
            f"counted_{row.pk}": "5",
            f"sealed_{row.pk}": "6",
            **witness_data(staff["prescriber"]),
        },
    )
    assert f"sealed_{row.pk}" in response.context["form"].errors
    assert (
        login(staff["nurse"]).get(reverse("ledger:inventory_new") + "?purpose=x").status_code == 404
    )


def test_an_admin_corrects_an_entry_on_the_page(login, staff, stocked_lot):
    entry = LedgerEntry.objects.get()
    response = login(staff["clinic_admin"]).post(
        reverse("ledger:correct", args=[entry.pk]),
        {
            "quantity_mg": "-100",
            "reason": "Typed 5 vials, invoice says 4.",
            **witness_data(staff["nurse"]),
        },
    )
    assert response.status_code == 302
    assert LedgerEntry.objects.get(kind=EntryKind.CORRECTION).corrects == entry


def test_setup_saves_registrant_and_refuses_a_short_retention(login, staff, clinic):
    http = login(staff["clinic_admin"])
    response = http.post(
        reverse("ledger:setup"),
        {
            "form": "registrant",
            "registrant-name": "Harbor Light KAP Clinic PC",
            "registrant-dea_number": "FH1234563",
            "registrant-address_line1": "200 Harbor Way",
            "registrant-city": "Portland",
            "registrant-region": "OR",
            "registrant-postal_code": "97201",
        },
    )
    assert response.status_code == 302
    assert Registrant.objects.get(clinic=clinic).dea_number == "FH1234563"
    response = http.post(
        reverse("ledger:setup"),
        {
            "form": "settings",
            "settings-count_at_opening": "on",
            "settings-day_opens_at": "08:00",
            "settings-day_closes_at": "18:00",
            "settings-retention_years": "1",
        },
    )
    assert "retention_years" in response.context["settings_form"].errors
    assert not LedgerSettings.objects.exists()


def test_admin_adds_a_product_and_a_location(login, staff, clinic):
    http = login(staff["clinic_admin"])
    response = http.post(
        reverse("ledger:product_new"),
        {
            "name": "Esketamine 28 mg nasal device",
            "is_esketamine": "on",
            "dosage_form": "nasal_spray",
            "mg_per_unit": "28",
            "unit_label": "device",
            "units_per_container": "1",
            "routes": ["intranasal"],
            "active": "on",
        },
    )
    assert response.status_code == 302
    assert Product.objects.get(clinic=clinic).routes == ["intranasal"]
    response = http.post(
        reverse("ledger:product_new"),
        {
            "name": "Bad vial",
            "dosage_form": "injectable_solution",
            "concentration_mg_per_ml": "50",
            "volume_ml_per_unit": "10",
            "mg_per_unit": "100",
            "unit_label": "vial",
            "units_per_container": "1",
            "routes": ["iv"],
        },
    )
    assert "mg_per_unit" in response.context["form"].errors
    http.post(reverse("ledger:location_new"), {"name": "Safe B", "kind": "safe", "active": "on"})
    response = http.post(reverse("ledger:location_new"), {"name": "Safe B", "kind": "safe"})
    assert "name" in response.context["form"].errors or "__all__" in response.context["form"].errors
    assert Location.objects.filter(clinic=clinic).count() == 1


def test_a_count_now_link_preselects_its_timing(login, staff, stocked_lot, safe):
    url = reverse("ledger:count_new") + f"?location={safe.pk}&timing=closing"
    form = login(staff["nurse"]).get(url).context["form"]
    assert form["timing"].value() == "closing"


def test_counting_another_clinics_location_is_not_found(login, staff, other_clinic):
    elsewhere = Location.objects.create(clinic=other_clinic, name="Their safe", kind="safe")
    http = login(staff["nurse"])
    assert http.get(reverse("ledger:count_new") + f"?location={elsewhere.pk}").status_code == 404
    assert http.get(reverse("ledger:count_new") + "?location=abc").status_code == 404


def test_a_front_desk_user_cannot_post_a_receipt(login, staff, product, safe):
    response = login(staff["front_desk"]).post(reverse("ledger:receive"), {"product": product.pk})
    assert response.status_code == 403 and not LedgerEntry.objects.exists()
