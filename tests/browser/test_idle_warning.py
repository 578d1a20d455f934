"""An idle session warns first, can be kept alive, and otherwise ends on the sign-in page."""

import datetime as dt
import re

from django.urls import reverse
from playwright.sync_api import expect

from kapcare.accounts.models import Role
from kapcare.dosing.services import schedule_session
from tests.browser.conftest import log_in
from tests.dosing.helpers import iv_order
from tests.pathway import actor, ready_course


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


def test_the_live_dosing_page_polling_does_not_keep_an_idle_session_alive(
    page, live_server, settings, clinic, staff, client_record
):
    # Given a nurse's live session page, whose status panel polls the server every 4 seconds
    course = ready_course(clinic=clinic, staff=staff, client=client_record)
    iv_order(clinic, staff, course)
    session = schedule_session(
        actor=actor(staff[Role.NURSE], clinic),
        course=course,
        scheduled_for=dt.datetime.now(dt.UTC) + dt.timedelta(minutes=10),
    )
    settings.KAPCARE_IDLE_TIMEOUT_SECONDS = 12
    settings.KAPCARE_IDLE_WARNING_SECONDS = 6
    log_in(page, live_server, staff[Role.NURSE])
    live = reverse("dosing:live", args=[client_record.pk, session.pk])
    page.goto(f"{live_server.url}{live}")
    warning = page.locator("#kc-idle-warning")
    expect(warning).to_be_hidden()

    # When nobody touches the page: the panel keeps polling
    with page.expect_response(lambda r: "/panel/" in r.url, timeout=6_000):
        pass

    # Then the polls count for nothing: the warning comes, and then the sign-in page
    expect(warning).to_be_visible(timeout=8_000)
    expect(page).to_have_url(re.compile(r"/accounts/login/"), timeout=15_000)
    expect(page.get_by_role("status")).to_contain_text("signed out after a period without activity")
