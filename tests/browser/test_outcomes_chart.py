"""After a client fills in a questionnaire through a link on a phone, the therapist sees the new
point on the chart (issue 5, acceptance 4, the chart half; test_measures_link.py is the
filling-in half).

The therapist's Measures tab shows the PHQ-9 trajectory as a server-rendered SVG image with the
same data in a table beside it. The client answers through a single-use link on a phone-sized
screen; back on the tab, the image and the table both carry the new score."""

import datetime as dt
import re

from django.utils import timezone
from playwright.sync_api import Page, expect

from kapcare.accounts.actor import Actor
from kapcare.courses.services import open_course
from kapcare.dosing.models import DosingSession
from kapcare.measures.models import InstrumentDefinition, Response
from kapcare.measures.services.instruments import ensure_shipped_instruments
from tests.browser.conftest import log_in
from tests.outcomes.test_charts import chart_points

PHONE = {"width": 390, "height": 844}
# PHQ-9: 2+2+1+2+1+1+1+0+0 = 10 (moderate); item 9 "Not at all", so no risk alert.
ANSWERS = {1: "More than half the days", 2: "More than half the days", 3: "Several days",
           4: "More than half the days", 5: "Several days", 6: "Several days",
           7: "Several days", 8: "Not at all", 9: "Not at all"}  # fmt: skip


def _chart(page: Page):
    """The PHQ-9 chart image, its data table, and the SVG it shows (fetched as the browser)."""
    image = page.locator("#chart-phq9 img")
    expect(image).to_be_visible()
    # Loaded and decoded: a broken or CSP-blocked image has no natural width.
    page.wait_for_function(
        "img => img.complete && img.naturalWidth > 0", arg=image.element_handle()
    )
    svg = page.request.get(image.get_attribute("src"))
    assert svg.ok and svg.headers["content-type"] == "image/svg+xml"
    scores = page.locator('#chart-phq9 [data-chart-table="phq9"] tr[data-score]')
    return svg.text(), scores


def test_therapist_sees_the_new_point_after_the_client_answers_by_link(
    page, open_page, live_server, clinic, staff, client_record
):
    course = open_course(
        actor=Actor.for_user(staff["therapist"], clinic), client=client_record,
        condition="depression",
    )  # fmt: skip
    DosingSession.objects.create(
        clinic=clinic, client=client_record, course=course, number=1,
        scheduled_for=timezone.now() + dt.timedelta(days=3),
    )  # fmt: skip
    ensure_shipped_instruments(clinic=clinic)
    # A PHQ-9 from the intake call ten days ago, entered before the schedule existed.
    Response.objects.create(
        clinic=clinic, client=client_record, course=course,
        instrument=InstrumentDefinition.objects.get(clinic=clinic, code="phq9", is_active=True),
        instrument_code="phq9", timepoint="ad_hoc", answers={}, status="complete", total=18,
        band="moderately_severe", band_label="Moderately severe", source="staff",
        entered_by=staff["therapist"], completed_at=timezone.now() - dt.timedelta(days=10),
    )  # fmt: skip

    # Before: one point on the chart, one row in the table beside it.
    log_in(page, live_server, staff["therapist"])
    page.goto(f"{live_server.url}/clients/{client_record.pk}/measures/")
    svg, scores = _chart(page)
    assert chart_points(svg) == 1
    expect(scores).to_have_count(1)
    expect(page.locator("#chart-phq9 figcaption")).to_contain_text("PHQ-9: 1 score")

    # The therapist makes a link for the baseline PHQ-9 due before the first dose.
    baseline = page.locator(".kc-due").filter(has_text="PHQ-9").filter(has_text="Baseline")
    baseline.get_by_role("button", name="Make a link").click()
    address = page.get_by_label("Questionnaire link")
    expect(address).to_have_value(re.compile(r"/l/questionnaire/"))
    url = address.input_value()

    # The client answers on a phone, without an account.
    phone = open_page(PHONE)
    phone.goto(url)
    for item, answer in ANSWERS.items():
        choice = phone.locator(f"#kc-item-item_{item}").get_by_label(answer, exact=True)
        choice.scroll_into_view_if_needed()
        choice.check()
    phone.get_by_role("button", name="Send my answers").click()
    expect(phone.get_by_role("heading", name=re.compile("answers are sent"))).to_be_visible()
    assert Response.objects.filter(source="link").get().total == 10

    # After: the therapist's chart has the new point, and so has the table (oldest first).
    page.goto(f"{live_server.url}/clients/{client_record.pk}/measures/")
    svg, scores = _chart(page)
    assert chart_points(svg) == 2
    expect(scores).to_have_count(2)
    expect(scores.last).to_contain_text("10")
    expect(scores.last).to_contain_text("Moderate")
    expect(page.locator("#chart-phq9 figcaption")).to_contain_text("PHQ-9: 2 scores")
    # No dose yet, so the newest score is still a baseline: the follow-up reads as missing.
    expect(page.locator('tr[data-outcome="phq9"]')).to_contain_text("follow-up missing")
