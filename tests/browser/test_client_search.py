"""Searching the client list narrows the table in place, and the address follows the search."""

from playwright.sync_api import expect

from kapcare.accounts.models import Role
from tests.browser.conftest import log_in
from tests.factories import ClientFactory


def test_search_box_filters_the_client_list_without_reloading_the_page(
    page, live_server, clinic, staff
):
    for first, last in [("Rowan", "Ashby"), ("Imogen", "Blackwood"), ("Tobias", "Carrow")]:
        ClientFactory(clinic=clinic, first_name=first, last_name=last)
    log_in(page, live_server, staff[Role.FRONT_DESK])
    page.goto(f"{live_server.url}/clients/")
    table = page.locator("#client-table")
    expect(table.locator("tbody tr")).to_have_count(3)
    # A full page load would wipe this; an HTMX swap leaves it.
    page.evaluate("window.kcSamePage = true")

    with page.expect_response(lambda r: "/clients/?q=Blackwood" in r.url):
        page.get_by_label("Search by name, e-mail or phone").press_sequentially("Blackwood")

    expect(page).to_have_url(f"{live_server.url}/clients/?q=Blackwood&status=")
    expect(table.locator("tbody tr")).to_have_count(1)
    expect(table).to_contain_text("Blackwood, Imogen")
    expect(table).not_to_contain_text("Ashby")
    expect(table).not_to_contain_text("Carrow")
    assert page.evaluate("window.kcSamePage") is True
