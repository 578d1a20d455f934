"""The audit log's client picker: typing offers matching clients from the server in the
input's datalist, and the chosen one filters the log."""

from playwright.sync_api import expect

from kapcare.accounts.actor import Actor
from kapcare.accounts.models import Role
from kapcare.audit.models import AuditAction
from kapcare.audit.services import record_event
from tests.browser.conftest import log_in
from tests.factories import ClientFactory


def test_typing_a_name_suggests_clients_and_the_choice_filters_the_log(
    page, live_server, clinic, staff
):
    admin = staff[Role.CLINIC_ADMIN]
    ada = ClientFactory(clinic=clinic, first_name="Ada", last_name="Quarrie")
    ann = ClientFactory(clinic=clinic, first_name="Ann", last_name="Quarrie")
    bo = ClientFactory(clinic=clinic, first_name="Bo", last_name="Lindqvist")
    for client in (ada, ann, bo):
        record_event(actor=Actor.for_user(admin, clinic), action=AuditAction.VIEW, client=client)
    log_in(page, live_server, admin)
    page.goto(f"{live_server.url}/audit/")
    picker = page.get_by_label("Client")
    expect(picker).to_have_attribute("list", "id_client-options")

    with page.expect_response(lambda r: "/clients/suggest/?client=Quarr" in r.url):
        picker.press_sequentially("Quarr")

    options = page.locator("#id_client-options option")
    expect(options).to_have_count(2)
    expect(options.first).to_have_attribute("value", f"Ada Quarrie (#{ada.pk})")

    picker.fill(f"Ada Quarrie (#{ada.pk})")
    page.get_by_role("button", name="Filter").click()

    table = page.locator("#event-table")
    expect(table).to_contain_text("Ada Quarrie")
    expect(table).not_to_contain_text("Ann Quarrie")
    expect(table).not_to_contain_text("Lindqvist")
    expect(picker).to_have_value(f"Ada Quarrie (#{ada.pk})")
