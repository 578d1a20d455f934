"""A new staff member turns on two-step sign-in the first time they sign in."""

import base64
import re

from playwright.sync_api import expect

from kapcare.accounts.models import Role
from tests.browser.conftest import submit_password, totp_now
from tests.factories import make_staff


def test_new_staff_member_enrols_an_authenticator_and_gets_recovery_codes(
    page, live_server, clinic
):
    newcomer = make_staff(clinic, Role.THERAPIST, mfa=False, full_name="Nell Newcomer")

    submit_password(page, live_server, newcomer.email)

    expect(page).to_have_url(re.compile(r"/accounts/mfa/setup/\?next=/home/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Set up two-step sign-in")
    expect(page.locator("figure.kc-qr svg")).to_be_visible()
    spaced_key = page.locator("code.kc-secret").inner_text()
    assert re.fullmatch(r"[A-Z2-7]{4}( [A-Z2-7]{1,4})*", spaced_key), spaced_key

    key = base64.b32decode("".join(spaced_key.split()))
    page.locator("input[name=token]").fill(totp_now(key, step=30, digits=6))
    page.get_by_role("button", name="Turn on two-step sign-in").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Your recovery codes")
    expect(page.get_by_role("list", name="Recovery codes").locator("li")).to_have_count(10)
    page.get_by_role("link", name="continue").click()

    expect(page).to_have_url(f"{live_server.url}/home/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Hello, Nell Newcomer")
