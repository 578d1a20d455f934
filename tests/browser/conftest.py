"""Playwright journeys: Debian's chromium driving the app served by pytest-django's live_server.

Every test here is marked `browser` (deselect with `-m "not browser"`), gets a fresh browser
context per test, and fails when the page logs a console error, throws, or breaks the CSP.
"""

import contextlib
import re
import time
from pathlib import Path

import pytest
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import Browser, Page, expect, sync_playwright
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from tests.factories import TEST_PASSWORD

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
DESKTOP = {"width": 1280, "height": 800}
TABLET = {"width": 820, "height": 1180}
# Waits are for a local server: anything slower than this is a bug worth seeing.
expect.set_options(timeout=5_000)

HERE = Path(__file__).resolve().parent
PROBLEMS = pytest.StashKey[list[str]]()

# CSP violations also reach the console, but the event says which directive was broken.
REPORT_CSP_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", (event) => {
  const blocked = event.blockedURI || "inline";
  console.error(`CSP violation: ${event.violatedDirective} blocked ${blocked}`);
});
"""


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config, items):
    # tryfirst: the mark must be on before `-m "not browser"` deselects.
    for item in items:
        if HERE in item.path.parents:
            item.add_marker(pytest.mark.browser)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item):
    """Fail the test itself (not its teardown) when the browser reported a problem."""
    result = yield
    problems = item.stash.get(PROBLEMS, [])
    if problems:
        pytest.fail("The browser reported:\n  " + "\n  ".join(problems), pytrace=False)
    return result


@pytest.fixture(scope="package")
def browser() -> Browser:
    """One chromium for the whole folder, like a session fixture, but stopped when the folder is
    done: while Playwright's sync API is running, its event loop counts as running in the main
    thread, and every later test would fail in async_to_sync ("same thread as an async event
    loop")."""
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def viewport(request) -> dict[str, int]:
    """Desktop unless a test asks otherwise: parametrize("viewport", [TABLET], indirect=True)."""
    return getattr(request, "param", None) or DESKTOP


@pytest.fixture
def open_page(request, browser: Browser, live_server):
    """Open a page in a fresh context at a given size; problems it reports fail the test."""
    problems = request.node.stash.setdefault(PROBLEMS, [])
    contexts = []

    def open_(viewport: dict[str, int]) -> Page:
        context = browser.new_context(viewport=viewport, base_url=live_server.url, locale="en-US")
        contexts.append(context)
        context.add_init_script(REPORT_CSP_VIOLATIONS)
        page = context.new_page()
        page.on("console", lambda msg: _console_error(problems, msg))
        page.on("pageerror", lambda error: problems.append(f"uncaught exception: {error}"))
        return page

    yield open_
    for context in contexts:
        # A request the last click set off (an HTMX refresh, a redirect) must be answered before
        # the test's database is flushed, or the server thread writes into a table being
        # emptied ("database table is locked" on SQLite under load).
        # The test has passed or failed by now: a page that never goes quiet is only closed.
        for page in context.pages:
            with contextlib.suppress(PlaywrightTimeoutError):
                page.wait_for_load_state("networkidle", timeout=10_000)
        context.close()


def _console_error(problems: list[str], message) -> None:
    if message.type == "error":
        where = message.location.get("url")
        problems.append(f"console error: {message.text}" + (f" ({where})" if where else ""))


@pytest.fixture
def page(open_page, viewport) -> Page:
    return open_page(viewport)


@pytest.fixture
def tablet_page(open_page) -> Page:
    return open_page(TABLET)


def current_totp(user) -> str:
    """The code the user's authenticator app shows right now."""
    device = TOTPDevice.objects.get(user=user, confirmed=True)
    return totp_now(
        device.bin_key, step=device.step, t0=device.t0, digits=device.digits, drift=device.drift
    )


def totp_now(key: bytes, *, step: int = 30, t0: int = 0, digits: int = 6, drift: int = 0) -> str:
    totp = TOTP(key, step, t0, digits, drift)
    totp.time = time.time()
    return f"{totp.token():0{digits}d}"


def submit_password(page: Page, live_server, email: str, password: str = TEST_PASSWORD) -> None:
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Continue").click()


def log_in(page: Page, live_server, user) -> None:
    """Sign `user` in through the real password and second-factor forms; ends on their home.

    An authenticator code is accepted once, so this signs a given user in once per 30 seconds.
    """
    submit_password(page, live_server, user.email)
    expect(page).to_have_url(re.compile(r"/accounts/mfa/\?"))
    page.locator("input[name=token]").fill(current_totp(user))
    page.get_by_role("button", name="Verify").click()
    expect(page).to_have_url(f"{live_server.url}/home/")
