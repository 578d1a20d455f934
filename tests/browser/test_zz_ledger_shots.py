from decimal import Decimal
from django.utils import timezone
from kapcare.core.demo import load_demo, DEMO_PASSWORD
from kapcare.ledger.models import DiscrepancyCase, LedgerEntry, Count
from tests.browser.conftest import current_totp, TABLET, DESKTOP
import re
from playwright.sync_api import expect


def test_shots(open_page, live_server, settings):
    clinic, staff = load_demo()
    nurse = staff["nurse"]
    page = open_page(TABLET)
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("E-mail").fill(nurse.email)
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Continue").click()
    page.locator("input[name=token]").fill(current_totp(nurse))
    page.get_by_role("button", name="Verify").click()
    expect(page).to_have_url(f"{live_server.url}/home/")
    shots = [("home", "/ledger/"), ("entries", "/ledger/entries/"), ("receive", "/ledger/receive/"),
             ("waste", "/ledger/waste/"), ("count", "/ledger/counts/new/?location=%d" % clinic.pk),
             ("counts", "/ledger/counts/"), ("reports", "/ledger/reports/"),
             ("period", "/ledger/reports/period/"),
             ("case", "/ledger/cases/%d/" % DiscrepancyCase.objects.get().pk),
             ("entry", "/ledger/entries/%d/" % LedgerEntry.objects.filter(kind="waste").first().pk),
             ("countdetail", "/ledger/counts/%d/" % Count.objects.filter(purpose="daily").last().pk),
             ("lots", "/ledger/lots/"), ("losses", "/ledger/losses/"),
             ("dispose", "/ledger/dispose/")]
    from kapcare.ledger.models import Location
    loc = Location.objects.get(name="Dosing cart")
    shots[4] = ("count", f"/ledger/counts/new/?location={loc.pk}")
    for name, url in shots:
        page.goto(live_server.url + url)
        page.screenshot(path=f"/tmp/shot_{name}.png", full_page=True)
    page = open_page(DESKTOP)
