"""A therapist signs in with password and authenticator and sees their own clients."""

import pytest
from playwright.sync_api import expect

from kapcare.accounts.models import Role
from tests.browser.conftest import DESKTOP, TABLET, log_in, submit_password
from tests.factories import ClientFactory, make_staff, put_on_team


@pytest.fixture
def caseloads(clinic, staff):
    """Two clients on the therapist's care team, one on a colleague's only."""
    therapist = staff[Role.THERAPIST]
    colleague = make_staff(clinic, Role.THERAPIST, full_name="Colleague Therapist")
    mine = [
        ClientFactory(clinic=clinic, first_name="Rowan", last_name="Ashby"),
        ClientFactory(clinic=clinic, first_name="Imogen", last_name="Blackwood"),
    ]
    for client in mine:
        put_on_team(client, therapist, Role.THERAPIST)
    theirs = ClientFactory(clinic=clinic, first_name="Tobias", last_name="Carrow")
    put_on_team(theirs, colleague, Role.THERAPIST)
    return therapist, mine, theirs


@pytest.mark.parametrize("viewport", [DESKTOP, TABLET], ids=["desktop", "tablet"], indirect=True)
def test_therapist_signs_in_and_sees_only_their_care_team_clients(page, live_server, caseloads):
    therapist, mine, theirs = caseloads

    log_in(page, live_server, therapist)
    page.goto(f"{live_server.url}/clients/")

    table = page.locator("#client-table")
    for client in mine:
        expect(
            table.get_by_role("link", name=f"{client.last_name}, {client.first_name}")
        ).to_be_visible()
    expect(table).not_to_contain_text(theirs.last_name)
    expect(table.locator("tbody tr")).to_have_count(len(mine))


def test_wrong_password_is_refused_at_the_form(page, live_server, staff):
    submit_password(page, live_server, staff[Role.THERAPIST].email, password="not the password")

    expect(page).to_have_url(f"{live_server.url}/accounts/login/")
    expect(page.get_by_role("alert")).to_contain_text("do not match an account")
    expect(page.get_by_label("E-mail")).to_have_value(staff[Role.THERAPIST].email)
    expect(page.get_by_label("Password")).to_be_empty()
