"""Issue 10 item 3 (acceptance): the prescriber gets the chair's request and the nurse's page
updates. The nurse, on a tablet at the chair, asks the prescriber about checks that need review;
the prescriber, at a desk, sees it in "Needs you now", approves with a signed reason; the nurse's
page shows the decision by itself (the polled status panel), then the dose step."""

from playwright.sync_api import expect

from kapcare.dosing.models import ReviewRequest, ReviewStatus
from tests.browser.conftest import DESKTOP, TABLET, log_in
from tests.dosing.helpers import chair


def test_the_prescriber_gets_the_chairs_request_and_the_nurses_page_updates(
    open_page, live_server, clinic, staff, client_record
):
    # Given a client checked in whose pre-dose blood pressure is above the review line
    ctx = chair(clinic, staff, client_record, check={"systolic": 146, "diastolic": 84})
    session = ctx["session"]
    nurse = open_page(TABLET)
    prescriber = open_page(DESKTOP)

    # The nurse at the chair sees the review finding and asks the prescriber
    log_in(nurse, live_server, staff["nurse"])
    nurse.goto(f"{live_server.url}/clients/{client_record.pk}/dosing/sessions/{session.pk}/")
    expect(nurse.locator(".kc-problems")).to_contain_text("Review")
    nurse.evaluate("window.kcSamePage = true")
    ask = nurse.locator("#kc-ask-review-form")
    ask.get_by_label("Note for the prescriber").fill("Anxious on arrival; re-measuring.")
    ask.get_by_role("button", name="Ask the prescriber").click()
    panel = nurse.locator("#kc-live-panel")
    expect(panel.locator("[data-review-status='waiting']")).to_contain_text(
        "Waiting for the prescriber"
    )
    expect(nurse.locator("#kc-ask-review-form")).to_have_count(0)
    nurse.evaluate("window.kcSamePage = true")

    # The prescriber sees it on their home page, with a badge in the navigation
    log_in(prescriber, live_server, staff["prescriber"])
    expect(prescriber.locator("[data-chair-reviews-badge]")).to_contain_text("1")
    waiting = prescriber.locator("[data-chair-review]")
    expect(waiting).to_contain_text("Waiting in the chair")
    expect(waiting).to_contain_text(client_record.full_name)
    waiting.get_by_role("link", name="Review now").click()
    expect(prescriber.locator("[data-review]")).to_contain_text("146/84")
    expect(prescriber.locator("[data-review]")).to_contain_text("Anxious on arrival")

    # and approves, signing with their typed name
    form = prescriber.locator("#kc-review-form")
    form.get_by_label("Approve: the dose may go ahead").check()
    form.get_by_label("Clinical reason").fill("Re-measured 138/84 after rest; go ahead.")
    form.get_by_label("Type your full name to sign").fill(staff["prescriber"].full_name)
    form.get_by_role("button", name="Sign the decision").click()
    expect(prescriber.locator("[data-review-status='approved']")).to_contain_text(
        "Approved to proceed"
    )
    assert ReviewRequest.objects.get().status == ReviewStatus.APPROVED

    # The nurse's page, not reloaded, shows the decision within a poll or two
    approved = panel.locator("[data-review-status='approved']")
    expect(approved).to_contain_text("The prescriber approved the dose", timeout=12_000)
    expect(approved).to_contain_text("Re-measured 138/84")
    assert nurse.evaluate("window.kcSamePage") is True
    # and the dose step now has every gate passing
    approved.get_by_role("link", name="Show the dose step").click()
    expect(nurse.locator(".kc-gate-fail")).to_have_count(0)
    expect(nurse.locator(".kc-cleared")).to_contain_text("Re-measured 138/84")
    expect(nurse.get_by_role("button", name="Give the dose")).to_be_visible()

    # and the prescriber's home has nothing waiting any more
    prescriber.goto(f"{live_server.url}/home/")
    expect(prescriber.locator("[data-chair-review]")).to_have_count(0)
    expect(prescriber.locator("[data-chair-reviews-badge]")).to_have_count(0)
