"""A therapist pauses a course and resumes it from the course tab.

Pausing and discontinuing open in place (a disclosure) to ask for the reason; completing and
resuming are plain buttons. The course starts ready for dosing (set up through the services);
everything after that happens in the browser."""

import os
import re
from pathlib import Path

from playwright.sync_api import Page, expect

from kapcare.courses.models import CourseStatus
from tests.browser.conftest import log_in
from tests.pathway import ready_course

SCREENSHOTS = os.environ.get("KC_SCREENSHOTS")


def shot(page: Page, name: str) -> None:
    """Keep a screenshot for review when KC_SCREENSHOTS names a folder."""
    if SCREENSHOTS:
        Path(SCREENSHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=Path(SCREENSHOTS) / f"course-changes-{name}.png", full_page=True)


def test_pause_asks_why_in_place_and_resume_is_one_button(
    page, live_server, clinic, staff, client_record
):
    course = ready_course(clinic=clinic, staff=staff, client=client_record)
    log_in(page, live_server, staff["therapist"])
    page.goto(f"{live_server.url}/clients/{client_record.pk}/course/")
    expect(page.get_by_role("status").filter(has_text="Ready for dosing")).to_be_visible()
    pause = page.locator("details.kc-disclosure-paused")
    discontinue = page.locator("details.kc-disclosure-discontinued")
    # Closed until asked for: no reason boxes cluttering the card.
    assert pause.get_attribute("open") is None
    expect(pause.get_by_label("Reason")).to_be_hidden()
    expect(discontinue.get_by_label("Reason")).to_be_hidden()
    expect(page.get_by_role("button", name="Mark the course completed")).to_be_visible()
    expect(page.get_by_role("button", name=re.compile("Resume"))).to_have_count(0)

    # The keyboard opens it: the summary is a real control.
    pause.locator("summary").focus()
    page.keyboard.press("Enter")
    expect(pause.get_by_label("Reason")).to_be_visible()
    expect(discontinue.get_by_label("Reason")).to_be_hidden()

    # No reason: the message is at the field, the disclosure stays open, nothing changes.
    pause.get_by_role("button", name="Pause the course").click()
    reason = page.locator("details.kc-disclosure-paused").get_by_label("Reason")
    expect(reason).to_be_visible()
    expect(reason).to_have_class(re.compile("is-invalid"))
    expect(page.get_by_text("Give a reason for this change.")).to_be_visible()
    shot(page, "pause-needs-reason")
    course.refresh_from_db()
    assert course.status == CourseStatus.ACTIVE

    reason.fill("Client travelling for three weeks.")
    page.get_by_role("button", name="Pause the course").click()
    expect(page.get_by_text("The course is now: Paused.")).to_be_visible()
    expect(page.get_by_role("status").filter(has_text="Not ready for dosing")).to_be_visible()
    expect(page.locator('[data-gate="course_active"]')).to_contain_text(
        "Course status: Paused — Client travelling for three weeks."
    )
    shot(page, "paused")
    # A paused course resumes only in the phase it was paused from, with one button.
    expect(page.get_by_role("button", name="Mark the course completed")).to_have_count(0)
    page.get_by_role("button", name="Resume the course (Dosing and integration)").click()
    expect(page.get_by_text("The course is now: Dosing and integration.")).to_be_visible()
    expect(page.get_by_role("status").filter(has_text="Ready for dosing")).to_be_visible()
    course.refresh_from_db()
    assert course.status == CourseStatus.ACTIVE
    history = list(course.history.values_list("to_status", "reason"))
    assert history[-2:] == [
        (CourseStatus.PAUSED, "Client travelling for three weeks."),
        (CourseStatus.ACTIVE, ""),
    ]
