"""A clinic admin invites a new staff member from the app; the newcomer accepts the e-mailed
link, chooses a password and turns on two-step sign-in."""

import base64
import re

from django.core import mail
from playwright.sync_api import expect

from kapcare.accounts.models import Membership, Role, User
from tests.browser.conftest import log_in, totp_now
from tests.factories import make_staff

NEW_PASSWORD = "tidal amber lantern 42"


def test_admin_invites_and_the_newcomer_sets_a_password_and_enrols_mfa(
    page, open_page, live_server, clinic
):
    admin = make_staff(clinic, Role.CLINIC_ADMIN, full_name="Ada Admin")

    # Given the admin on the staff page, reached from the Clinic menu
    log_in(page, live_server, admin)
    page.get_by_role("button", name="Clinic").click()
    page.get_by_role("link", name="Staff").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Staff")

    # When they invite a therapist
    page.get_by_role("link", name="Invite a staff member").click()
    page.get_by_label("Full name").fill("Nell Newcomer")
    page.get_by_label("Credentials").fill("LCSW")
    page.get_by_label("E-mail").fill("nell@clinic.test")
    page.get_by_label("Therapist").check()
    page.get_by_role("button", name="Send the invitation").click()

    # Then the newcomer's page shows them as invited, and an e-mail carries the link
    expect(page.get_by_role("heading", level=1)).to_contain_text("Nell Newcomer, LCSW")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Invited")
    newcomer = User.objects.get(email="nell@clinic.test")
    assert Membership.objects.filter(user=newcomer, role=Role.THERAPIST).exists()
    assert len(mail.outbox) == 1
    link = re.search(r"https?://\S+/staff/invitation/\S+/", mail.outbox[0].body).group(0)

    # When the newcomer opens the link on their own device and chooses a password
    theirs = open_page({"width": 1280, "height": 800})
    theirs.goto(link)
    expect(theirs.get_by_role("heading", level=1)).to_have_text("Choose your password")
    theirs.locator("#id_new_password1").fill(NEW_PASSWORD)
    theirs.locator("#id_new_password2").fill(NEW_PASSWORD)
    theirs.get_by_role("button", name="Save my password").click()

    # Then they set up two-step sign-in with the existing enrolment flow
    expect(theirs).to_have_url(re.compile(r"/accounts/mfa/setup/\?next=/home/$"))
    spaced_key = theirs.locator("code.kc-secret").inner_text()
    key = base64.b32decode("".join(spaced_key.split()))
    theirs.locator("input[name=token]").fill(totp_now(key, step=30, digits=6))
    theirs.get_by_role("button", name="Turn on two-step sign-in").click()
    expect(theirs.get_by_role("heading", level=1)).to_have_text("Your recovery codes")
    theirs.get_by_role("link", name="continue").click()
    expect(theirs.get_by_role("heading", level=1)).to_have_text("Hello, Nell Newcomer")

    # And the link does not work a second time
    theirs.goto(link)
    expect(theirs.get_by_role("heading", level=1)).to_have_text(
        "This invitation link does not work"
    )

    # And the admin's list shows them active with two-step sign-in enrolled
    page.goto(f"{live_server.url}/staff/")
    row = page.get_by_role("row").filter(has_text="Nell Newcomer")
    expect(row).to_contain_text("Active")
    expect(row).to_contain_text("Enrolled")
