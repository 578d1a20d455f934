"""Issue 10 item 23: at tablet width (820 px) the client's active tab is visible; at desktop
width (1280 px) the ledger's "Client or reference" column is not cut off."""

import os
from decimal import Decimal

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from kapcare.accounts.actor import Actor
from kapcare.ledger.models import DosageForm, Location, LocationKind, Product, UnitLabel
from kapcare.ledger.services import receive_stock, record_administration
from tests.browser.conftest import DESKTOP, TABLET, log_in
from tests.ledger.conftest import make_session

SHOTS = os.environ.get("KAPCARE_SHOTS_DIR", "")


def _shot(page, name: str) -> None:
    if SHOTS:
        page.screenshot(path=f"{SHOTS}/{name}.png", full_page=False)


def _right_edge_visible(page, selector: str, container: str) -> bool:
    return page.evaluate(
        """([sel, box]) => {
          const el = document.querySelector(sel), c = el.closest(box);
          const r = el.getBoundingClientRect(), b = c.getBoundingClientRect();
          return r.left >= b.left - 1 && r.right <= b.right + 1 && r.right <= window.innerWidth;
        }""",
        [selector, container],
    )


@pytest.mark.django_db(transaction=True)
def test_the_active_client_tab_is_visible_on_a_tablet(open_page, live_server, staff, client_record):
    page = open_page(TABLET)
    log_in(page, live_server, staff["prescriber"])

    for name in ("dosing:tab", "measures:overview"):
        page.goto(live_server.url + reverse(name, args=[client_record.pk]))
        active = page.locator(".kc-tabs .nav-link.active")
        expect(active).to_be_visible()
        _shot(page, f"tabs-820-{name.replace(':', '-')}")
        assert _right_edge_visible(page, ".kc-tabs .nav-link.active", ".kc-tabs"), name


@pytest.mark.django_db(transaction=True)
def test_the_ledgers_client_or_reference_column_fits_on_a_desktop(
    open_page, live_server, clinic, staff, client_record
):
    nurse = Actor.for_user(staff["nurse"], clinic)
    product = Product.objects.create(
        clinic=clinic,
        name="Ketamine HCl 50 mg/mL, 2 mL vial, preservative-free",
        dosage_form=DosageForm.INJECTABLE,
        concentration_mg_per_ml=Decimal("50"),
        volume_ml_per_unit=Decimal("2"),
        mg_per_unit=Decimal("100"),
        unit_label=UnitLabel.VIAL,
        routes=["im"],
    )
    safe = Location.objects.create(clinic=clinic, name="Main safe, room 2", kind=LocationKind.SAFE)
    lot = receive_stock(
        actor=nurse,
        product=product,
        lot_number="KX-2026-000184",
        ndc="0409-2051-05",
        expires_on=clinic.today().replace(year=clinic.today().year + 1),
        supplier_name="Cardinal Health",
        supplier_dea_number="RC1234563",
        location=safe,
        quantity_mg=Decimal("500"),
        reference="INV-2026-11-0042-CARDINAL",
    ).lot
    record_administration(
        actor=nurse,
        lot=lot,
        location=safe,
        quantity_mg=Decimal("50"),
        dosing_session=make_session(client_record),
    )
    page = open_page(DESKTOP)
    log_in(page, live_server, staff["nurse"])

    page.goto(live_server.url + reverse("ledger:entries"))
    header = page.get_by_role("columnheader", name="Client or reference")
    expect(header).to_be_visible()
    _shot(page, "ledger-1280")
    assert _right_edge_visible(page, "th:last-child", ".kc-table-wrap")
    cells = page.locator("tbody tr td:last-child")
    for i in range(cells.count()):
        box = cells.nth(i).bounding_box()
        assert box["x"] + box["width"] <= DESKTOP["width"], i
    wrap_overflows = page.evaluate(
        "() => { const w = document.querySelector('.kc-table-wrap');"
        " return w.scrollWidth > w.clientWidth + 1; }"
    )
    assert not wrap_overflows


@pytest.mark.django_db(transaction=True)
def test_the_public_home_is_the_clinics_site_on_a_tablet(open_page, live_server, clinic):
    """Item 24 in the browser: the clinic's name, hours and fees, and the navigation."""
    clinic.name = "Harbor Light Wellness"
    clinic.address_line1, clinic.city, clinic.region = "12 Harbor Street", "Portland", "OR"
    clinic.phone = "(503) 555-0199"
    clinic.opening_hours = "Mon–Thu 9:00–17:00\nFri 9:00–13:00"
    clinic.fees = "Consultation: $150\nKetamine session: $650"
    clinic.save()
    page = open_page(TABLET)

    page.goto(live_server.url + "/")

    nav = page.get_by_role("navigation", name="Main")
    for name in ("Home", "About KAP", "Hours and fees", "Contact a therapist"):
        expect(nav.get_by_role("link", name=name)).to_be_visible()
    expect(page.get_by_role("heading", level=1)).to_have_text("Harbor Light Wellness")
    expect(page.get_by_text("Ketamine session: $650")).to_be_visible()
    _shot(page, "public-home-820")
    nav.get_by_role("link", name="About KAP").click()
    expect(
        page.get_by_role("navigation", name="Main").get_by_role("link", name="Home")
    ).to_be_visible()
    _shot(page, "public-about-820")
