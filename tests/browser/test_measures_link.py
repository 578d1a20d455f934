"""A client fills in a questionnaire through a single-use link on a phone (acceptance 4, the
filling-in half; the outcomes app adds the chart the therapist then sees).

The therapist makes the link on the client's Measures tab; the client, with no account, opens it
on a phone-sized screen, is told at the item what is missing, answers, and sends it; the link then
stops working. Back on the Measures tab the therapist sees the new response with its score and
band, and — because item 9 was answered above 0 — a risk alert to acknowledge."""

import datetime as dt
import re

from django.utils import timezone
from playwright.sync_api import expect

from kapcare.accounts.actor import Actor
from kapcare.courses.services import open_course
from kapcare.dosing.models import DosingSession
from kapcare.measures.models import Response, RiskAlert
from tests.browser.conftest import log_in

PHONE = {"width": 390, "height": 844}
# PHQ-9 answers by item: total 2+2+1+2+1+1+1+0+1 = 11 (moderate), item 9 "Several days".
ANSWERS = {1: "More than half the days", 2: "More than half the days", 3: "Several days",
           4: "More than half the days", 5: "Several days", 6: "Several days",
           7: "Several days", 8: "Not at all", 9: "Several days"}  # fmt: skip


def test_client_fills_a_questionnaire_through_a_link_on_a_phone(
    page, open_page, live_server, clinic, staff, client_record
):
    course = open_course(
        actor=Actor.for_user(staff["therapist"], clinic),
        client=client_record,
        condition="depression",
    )
    DosingSession.objects.create(
        clinic=clinic, client=client_record, course=course, number=1,
        scheduled_for=timezone.now() + dt.timedelta(days=3),
    )  # fmt: skip

    # The therapist makes a link for the PHQ-9 baseline on the Measures tab.
    log_in(page, live_server, staff["therapist"])
    page.goto(f"{live_server.url}/clients/{client_record.pk}/measures/")
    baseline = page.locator(".kc-due").filter(has_text="PHQ-9").filter(has_text="Baseline")
    baseline.get_by_role("button", name="Make a link").click()
    address = page.get_by_label("Questionnaire link")
    expect(address).to_have_value(re.compile(r"/l/questionnaire/"))
    url = address.input_value()

    # The client opens it on a phone, without signing in.
    phone = open_page(PHONE)
    phone.goto(url)
    expect(phone.get_by_role("heading", name=re.compile("Hello Rowan"))).to_be_visible()
    expect(phone.get_by_text("Over the last 2 weeks")).to_be_visible()
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]

    # Sending with two questions unanswered: told at each of them, nothing saved.
    for item, answer in ANSWERS.items():
        if item not in (4, 9):
            phone.locator(f"#kc-item-item_{item}").get_by_label(answer, exact=True).check()
    phone.get_by_role("button", name="Send my answers").click()
    for item in (4, 9):
        expect(
            phone.locator(f"#kc-item-item_{item}").get_by_text("Choose an answer.")
        ).to_be_visible()
    expect(phone.locator("#kc-item-item_1").get_by_label(ANSWERS[1], exact=True)).to_be_checked()
    assert not Response.objects.exists()

    phone.locator("#kc-item-item_4").get_by_label(ANSWERS[4], exact=True).check()
    item9 = phone.locator("#kc-item-item_9").get_by_label(ANSWERS[9], exact=True)
    item9.scroll_into_view_if_needed()
    item9.check()
    phone.get_by_role("button", name="Send my answers").click()
    expect(phone.get_by_role("heading", name=re.compile("answers are sent"))).to_be_visible()
    expect(phone.get_by_text("care team will contact you")).to_be_visible()
    expect(phone.get_by_text("988")).to_be_visible()

    # The link works once. (Asked without navigating: the harness fails any page that logs a
    # 404, and this one is meant to.)
    reused = phone.request.get(url)
    assert reused.status == 404 and "This link cannot be used" in reused.text()

    # The therapist sees the new response, its score and band, and the alert.
    response = Response.objects.get()
    assert (response.total, response.band, response.source) == (11, "moderate", "link")
    page.goto(f"{live_server.url}/clients/{client_record.pk}/measures/")
    row = page.locator(f'tr[data-response="{response.pk}"]')
    expect(row).to_contain_text("11")
    expect(row).to_contain_text("Moderate")
    expect(row).to_contain_text("Baseline")
    alert = page.locator(".kc-risk-alert")
    expect(alert).to_contain_text("PHQ-9 item 9 answered 1 (Several days)")
    alert.get_by_label("What did you do?").fill("Called the client; passive thoughts, no plan.")
    alert.get_by_role("button", name="Acknowledge").click()
    expect(page.get_by_text("The alert is acknowledged.")).to_be_visible()
    assert RiskAlert.objects.get().acknowledged_by == staff["therapist"]
