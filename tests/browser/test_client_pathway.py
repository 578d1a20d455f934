"""Issue 4, acceptance 1: from a stranger's inquiry to a course that is ready for dosing.

An anonymous visitor writes in through the public contact form; the front desk converts the
inquiry; the clinic admin builds the care team and publishes the consent document; a therapist
enters an intake that holds a relative contraindication and runs screening; the prescriber signs
an approval; the client signs consent through a single-use link on their own device; the
therapist writes and signs a preparation note; and the course then shows "Ready for dosing" with
every gate passing. Everything happens through the browser, with each person in their own
browser context, as they would be at the clinic.

The journey runs at desktop and at tablet width (clinics use tablets in the room). Set
KC_SCREENSHOTS=/some/dir to keep a full-page screenshot of every step for review.
"""

import os
import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from kapcare.accounts.models import Role
from kapcare.clients.models import Client, Inquiry, InquiryStatus
from kapcare.courses.models import CourseStatus
from kapcare.screening.models import Decision
from tests.browser.conftest import DESKTOP, TABLET, log_in
from tests.factories import make_staff

SCREENSHOTS = os.environ.get("KC_SCREENSHOTS")


class Steps:
    """Screenshots of each step, when asked for, named by viewport and step."""

    def __init__(self, width: int):
        self.width = width
        self.count = 0

    def shot(self, page: Page, name: str) -> None:
        if not SCREENSHOTS:
            return
        self.count += 1
        folder = Path(SCREENSHOTS)
        folder.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=folder / f"{self.width}-{self.count:02d}-{name}.png", full_page=True)


def main_nav(page: Page, link: str, within: str | None = None) -> None:
    """Follow a link in the main navigation, opening the menu first on narrow screens and the
    `within` dropdown (e.g. "Clinic") when the link lives there."""
    menu = page.get_by_role("button", name="Menu")
    if menu.is_visible():
        menu.click()
    nav = page.get_by_role("navigation", name="Main")
    if within:
        nav.get_by_role("button", name=within).click()
    nav.get_by_role("link", name=link).click()


def client_tab(page: Page, tab: str) -> None:
    page.get_by_role("navigation", name="Client record").get_by_role("link", name=tab).click()
    expect(
        page.get_by_role("navigation", name="Client record").get_by_role("link", name=tab)
    ).to_have_attribute("aria-current", "page")


def open_client(page: Page, name: str) -> None:
    main_nav(page, "Clients")
    page.get_by_role("link", name=name).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(re.compile(name.split(", ")[-1]))


def assert_fits_width(page: Page) -> None:
    """Nothing on the page is wider than the screen (no sideways scrolling on a tablet)."""
    overflow = page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0, f"the page is {overflow}px wider than the screen"


@pytest.mark.parametrize("viewport", [DESKTOP, TABLET], ids=["desktop", "tablet"], indirect=True)
def test_inquiry_to_ready_for_dosing_through_the_browser(open_page, viewport, live_server, clinic):
    steps = Steps(viewport["width"])
    desk_user = make_staff(clinic, Role.FRONT_DESK, full_name="Priya Nair")
    admin_user = make_staff(clinic, Role.CLINIC_ADMIN, full_name="Sam Okafor")
    therapist_user = make_staff(clinic, Role.THERAPIST, full_name="Elena Marsh")
    prescriber_user = make_staff(clinic, Role.PRESCRIBER, full_name="Tomas Reyes")
    nurse = make_staff(clinic, Role.NURSE, full_name="Grace Lin")
    # A second therapist, so choosing the care team is a real choice.
    make_staff(clinic, Role.THERAPIST, full_name="Noor Haddad")

    # --- An anonymous visitor reads about KAP and writes in ---------------------------------
    visitor = open_page(viewport)
    visitor.goto(f"{live_server.url}/about-kap/")
    steps.shot(visitor, "about")
    visitor.get_by_role("navigation", name="Main").get_by_role(
        "link", name="Contact a therapist"
    ).click()
    expect(visitor.get_by_role("heading", level=1)).to_have_text("Contact a therapist")
    visitor.get_by_label("First name").fill("Juniper")
    visitor.get_by_label("Last name").fill("Hale")
    visitor.get_by_role("textbox", name="E-mail").fill("juniper.hale@example.test")
    visitor.get_by_role("textbox", name="Phone").fill("555-0142")
    visitor.get_by_role("radio", name="E-mail").check()
    visitor.get_by_label("What are you hoping for?").fill(
        "Years of depression; nothing has helped for long."
    )
    visitor.get_by_label("I agree that the clinic may contact me").check()
    assert_fits_width(visitor)
    steps.shot(visitor, "contact-filled")
    visitor.get_by_role("button", name="Send").click()
    expect(visitor.get_by_role("heading", level=1)).to_contain_text("your message has been sent")
    steps.shot(visitor, "contact-thanks")

    # --- The front desk converts the inquiry into a client ----------------------------------
    desk = open_page(viewport)
    log_in(desk, live_server, desk_user)
    main_nav(desk, "Inquiries")
    queue = desk.locator("#inquiry-table")
    expect(queue.get_by_role("row")).to_have_count(2)  # header + the new inquiry
    expect(queue).to_contain_text("New")
    steps.shot(desk, "inquiry-queue")
    queue.get_by_role("link", name="Hale, Juniper").click()
    expect(desk.get_by_text("Years of depression; nothing has helped for long.")).to_be_visible()
    steps.shot(desk, "inquiry-detail")
    desk.get_by_role("link", name="Convert to client").click()
    expect(desk.get_by_role("heading", level=1)).to_have_text("Register Juniper Hale as a client")
    # A mistake first: the message is at the field and nothing is created.
    desk.get_by_label("Date of birth").fill("2199-01-01")
    desk.get_by_label("Primary condition").select_option(label="Depression")
    desk.get_by_role("button", name="Create client").click()
    expect(desk.locator("#id_date_of_birth")).to_have_class(re.compile("is-invalid"))
    expect(desk.get_by_text("A date of birth cannot be in the future.")).to_be_visible()
    assert not Client.objects.filter(last_name="Hale").exists()
    steps.shot(desk, "convert-error")
    desk.get_by_label("Date of birth").fill("1988-06-14")
    desk.get_by_role("button", name="Create client").click()
    expect(
        desk.get_by_text("Juniper Hale is now a client, with a treatment course in screening.")
    ).to_be_visible()
    expect(desk.get_by_role("heading", level=1)).to_have_text("Juniper Hale")
    steps.shot(desk, "client-created")
    client = Client.objects.get(clinic=clinic, last_name="Hale")
    assert Inquiry.objects.get(client=client).status == InquiryStatus.CONVERTED
    assert client.courses.get().status == CourseStatus.SCREENING

    # --- The clinic admin builds the care team and publishes the consent text ----------------
    admin = open_page(viewport)
    log_in(admin, live_server, admin_user)
    open_client(admin, "Hale, Juniper")
    client_tab(admin, "Care team")
    for member, role in (
        (therapist_user, "Therapist"),
        (prescriber_user, "Prescriber"),
        (nurse, "Nurse"),
    ):
        admin.get_by_label("Clinician").select_option(label=member.full_name)
        admin.get_by_label("Role on the team").select_option(label=role)
        admin.get_by_role("button", name="Add to the team").click()
        expect(admin.get_by_role("cell", name=member.full_name, exact=True)).to_be_visible()
    steps.shot(admin, "care-team")
    main_nav(admin, "Consent documents", within="Clinic")
    admin.get_by_role("link", name="Publish a new version").click()
    expect(admin.get_by_label("Text")).not_to_be_empty()
    admin.get_by_role("button", name="Publish").click()
    expect(admin.get_by_role("cell", name="v1 current")).to_be_visible()
    steps.shot(admin, "consent-published")

    # --- The therapist enters the intake: bipolar disorder, and a benzodiazepine -------------
    therapist = open_page(viewport)
    log_in(therapist, live_server, therapist_user)
    open_client(therapist, "Hale, Juniper")
    client_tab(therapist, "Intake")
    steps.shot(therapist, "intake-empty")
    therapist.get_by_role("link", name="Fill in intake").click()
    therapist.get_by_label("Bipolar disorder").check()
    therapist.get_by_label("Current medications").fill(
        "sertraline 100 mg daily\nlorazepam 0.5 mg as needed"
    )
    therapist.get_by_label("Pregnancy").select_option(label="Not pregnant, not planning")
    therapist.get_by_label("Current suicide risk").select_option(label="Low")
    therapist.get_by_label("Systolic (mmHg)").fill("124")
    therapist.get_by_label("Diastolic (mmHg)").fill("80")
    therapist.get_by_label("Heart rate").fill("72")
    therapist.get_by_label("Weight").fill("68.4")
    therapist.get_by_label("Emergency contact", exact=True).fill("Maya Hale")
    therapist.get_by_label("Relationship").fill("Sister")
    therapist.get_by_label("Emergency contact phone").fill("555-0101")
    steps.shot(therapist, "intake-filled")
    therapist.get_by_role("button", name="Save intake").click()
    expect(therapist.get_by_text("Intake saved.")).to_be_visible()
    expect(therapist.get_by_text("lorazepam 0.5 mg as needed")).to_be_visible()
    steps.shot(therapist, "intake-saved")

    # --- Screening finds the relative contraindications --------------------------------------
    # The saved intake was screened at once (issue 10, item 19): no button to press.
    client_tab(therapist, "Screening")
    expect(therapist.get_by_text("kapcare, when the intake was completed")).to_be_visible()
    outcome = therapist.locator(".kc-outcome")
    expect(outcome).to_contain_text("Prescriber review required")
    findings = therapist.locator(".kc-finding")
    expect(findings).to_have_count(2)
    bipolar = findings.filter(has_text="Bipolar disorder (not currently manic)")
    expect(bipolar).to_contain_text("Relative")
    # Each finding shows the intake answer that triggered it, in the intake's words.
    expect(bipolar).to_contain_text("History: Bipolar disorder")
    expect(findings.filter(has_text="Takes a benzodiazepine")).to_contain_text(
        "Medications: lorazepam 0.5 mg as needed"
    )
    # The therapist cannot decide: only a prescriber signs eligibility.
    expect(therapist.get_by_role("button", name="Sign decision")).to_have_count(0)
    expect(therapist.get_by_text("Waiting for a prescriber")).to_be_visible()
    steps.shot(therapist, "screening-review-required")

    # --- The prescriber approves with a reason and a typed signature -------------------------
    prescriber = open_page(viewport)
    log_in(prescriber, live_server, prescriber_user)
    open_client(prescriber, "Hale, Juniper")
    client_tab(prescriber, "Screening")
    prescriber.get_by_role("radio", name="Eligible: treatment may go ahead").check()
    prescriber.get_by_label("Clinical reason").fill(
        "Bipolar II, euthymic for two years on lamotrigine; hold lorazepam the evening before."
    )
    # A signature that is not the prescriber's name is refused at the field.
    prescriber.get_by_label("Your full name, typed as your signature").fill("Someone Else")
    prescriber.get_by_role("button", name="Sign decision").click()
    expect(prescriber.locator("#id_signature_name")).to_have_class(re.compile("is-invalid"))
    steps.shot(prescriber, "review-error")
    prescriber.get_by_label("Your full name, typed as your signature").fill(
        prescriber_user.full_name
    )
    prescriber.get_by_role("button", name="Sign decision").click()
    expect(prescriber.get_by_text("Decision recorded: eligible.")).to_be_visible()
    expect(prescriber.locator(".kc-outcome")).to_contain_text("Reviewed: eligible")
    decisions = prescriber.get_by_role("table")
    expect(decisions).to_contain_text("hold lorazepam the evening before")
    expect(decisions).to_contain_text(prescriber_user.full_name)
    expect(prescriber.locator('[data-gate="eligibility"]')).to_contain_text("passes")
    steps.shot(prescriber, "review-signed")
    assert client.courses.get().eligibility_decisions.get().decision == Decision.ELIGIBLE

    # --- The client signs consent on their own device, through a single-use link -------------
    client_tab(therapist, "Consent")
    expect(therapist.get_by_text("Consent does not cover dosing")).to_be_visible()
    therapist.get_by_role("button", name="Send a signing link").click()
    link_url = therapist.get_by_label("Signing link").input_value()
    assert link_url.startswith(f"{live_server.url}/l/consent/")
    steps.shot(therapist, "consent-link")

    client_device = open_page(viewport)
    client_device.goto(link_url)
    expect(client_device.get_by_role("heading", level=1)).to_have_text(
        "Please read and sign your consent"
    )
    expect(client_device.locator(".kc-consent-text")).to_contain_text("off-label")
    client_device.get_by_label("I have read this consent").check()
    client_device.get_by_label("Your full name, typed as your signature").fill("Juniper Hale")
    steps.shot(client_device, "consent-public-sign")
    client_device.get_by_role("button", name="Sign").click()
    expect(client_device.get_by_role("heading", level=1)).to_contain_text("your consent is signed")
    steps.shot(client_device, "consent-public-signed")
    # The link worked once. (Asked outside the page: a 404 page logs a console error.)
    assert client_device.request.get(link_url).status == 404

    therapist.reload()
    expect(therapist.get_by_text("Consent is valid")).to_be_visible()
    expect(therapist.get_by_role("table")).to_contain_text("signed through a link")
    steps.shot(therapist, "consent-valid")

    # --- The therapist writes and signs a preparation note -----------------------------------
    client_tab(therapist, "Course & notes")
    expect(therapist.get_by_text("Not ready for dosing")).to_be_visible()
    expect(therapist.locator('[data-gate="preparation"]')).to_have_class(re.compile("fail"))
    steps.shot(therapist, "course-preparation")
    therapist.get_by_role("link", name="Preparation session").click()
    note = therapist.locator("form")
    note.get_by_label("Psychoeducation about ketamine given").check()
    note.get_by_label("The client's intentions, in their own words").fill(
        "To feel like myself again with my kids."
    )
    note.get_by_label("Concerns and expectations").fill("Afraid of losing control.")
    note.get_by_label("Mindfulness practice taught").fill("Box breathing; body scan.")
    note.get_by_label("Warning signs").fill("Not sleeping; pulling away from friends.")
    note.get_by_label("Coping steps").fill("Call Maya; walk; breathing.")
    note.get_by_label("People to contact").fill("Maya Hale (sister) 555-0101")
    expect(note.get_by_label("Crisis line")).to_have_value(re.compile("988"))
    note.get_by_label("Escort (who takes the client home)").fill("Maya Hale")
    note.get_by_label("Ride home plan").fill("Maya drives her home and stays the evening.")
    note.get_by_label("Fasting and medication-hold instructions given").check()
    note.get_by_label("Other notes").fill("Agreed to hold lorazepam the evening before dosing.")
    steps.shot(therapist, "preparation-form")
    therapist.get_by_role("button", name="Save draft").click()
    expect(therapist.get_by_text("Draft saved. Sign it when it is complete.")).to_be_visible()
    therapist.get_by_role("button", name="Sign and lock").click()
    expect(therapist.get_by_text("Signed. The note is now locked")).to_be_visible()
    expect(therapist.get_by_role("link", name="Edit draft")).to_have_count(0)
    steps.shot(therapist, "preparation-signed")

    # --- The course is ready for dosing, every gate passing ----------------------------------
    therapist.get_by_role("link", name="Course & notes").first.click()
    expect(therapist.get_by_role("status").filter(has_text="Ready for dosing")).to_have_text(
        re.compile("Ready for dosing")
    )
    gates = therapist.locator(".kc-gates-pathway [data-gate]")
    expect(gates).to_have_count(4)
    for key in ("eligibility", "consent", "preparation", "course_active"):
        gate = gates.and_(therapist.locator(f'[data-gate="{key}"]'))
        expect(gate).to_have_class(re.compile("kc-gate-pass"))
        expect(gate).to_contain_text("passes")
    expect(therapist.locator(".kc-course")).to_have_text("Dosing and integration")
    assert_fits_width(therapist)
    steps.shot(therapist, "course-ready")
    assert client.courses.get().status == CourseStatus.ACTIVE

    # The same page on a tablet held upright: everything fits, the gates are readable in place.
    therapist.set_viewport_size(TABLET)
    therapist.reload()
    assert_fits_width(therapist)
    for key in ("eligibility", "consent", "preparation", "course_active"):
        box = therapist.locator(f'[data-gate="{key}"]').bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= TABLET["width"]
    steps.shot(therapist, "course-ready-tablet")
