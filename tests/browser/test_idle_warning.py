"""An idle session warns first, can be kept alive, and otherwise ends on the sign-in page."""

from playwright.sync_api import expect

from kapcare.accounts.models import Role
from tests.browser.conftest import log_in


def test_idle_warning_can_be_dismissed_and_otherwise_signs_out(page, live_server, settings, staff):
    # The page reads both from <body>, so they must be set before the first signed-in page.
    settings.KAPCARE_IDLE_TIMEOUT_SECONDS = 8
    settings.KAPCARE_IDLE_WARNING_SECONDS = 6
    log_in(page, live_server, staff[Role.THERAPIST])
    warning = page.locator("#kc-idle-warning")
    expect(warning).to_be_hidden()

    expect(warning).to_be_visible(timeout=5_000)
    expect(warning).to_contain_text("You will be signed out soon")
    page.get_by_role("button", name="Stay signed in").click()
    expect(warning).to_be_hidden()

    expect(warning).to_be_visible(timeout=5_000)
    expect(page).to_have_url(f"{live_server.url}/accounts/login/?next=%2Fhome%2F", timeout=12_000)
    expect(page.get_by_role("status")).to_contain_text("signed out after a period without activity")
