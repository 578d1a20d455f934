"""Issue 10 items 19 and 20: a completed intake is screened at once and the care team told;
vitals are optional at home and the clinic chooses kg or lb."""

from decimal import Decimal

import pytest
from django.core import mail
from django.test import Client as DjangoClient
from django.urls import reverse

from kapcare.accounts.actor import Actor
from kapcare.accounts.models import Role, WeightUnit
from kapcare.audit.models import AuditEvent
from kapcare.clients.models import Intake, LinkPurpose
from kapcare.clients.services.links import create_link
from kapcare.courses.models import CourseStatus
from kapcare.courses.services import open_course
from kapcare.screening.models import Decision, Screening, ScreeningOutcome
from tests.clients.test_intake import CLIENT_INTAKE, VALID_INTAKE

pytestmark = pytest.mark.django_db

NO_VITALS = {
    "baseline_systolic": "",
    "baseline_diastolic": "",
    "baseline_heart_rate": "",
    "weight_kg": "",
}


def _link(client, user) -> str:
    _made, token = create_link(
        actor=Actor.for_user(user, client.clinic), client=client, purpose=LinkPurpose.INTAKE
    )
    return reverse("public:intake_link", args=[token])


@pytest.fixture
def course(client_record, staff):
    return open_course(
        actor=Actor.for_user(staff[Role.THERAPIST], client_record.clinic),
        client=client_record,
        condition="depression",
    )


# --- Item 20: vitals optional, kg or lb --------------------------------------------------------


def test_a_client_at_home_may_leave_the_vitals_empty(client_record, staff):
    url = _link(client_record, staff[Role.FRONT_DESK])

    response = DjangoClient().post(url, {**CLIENT_INTAKE, **NO_VITALS})

    assert response.status_code == 302, response.context["form"].errors
    intake = Intake.objects.get(client=client_record)
    assert (intake.baseline_systolic, intake.baseline_diastolic) == (None, None)
    assert (intake.baseline_heart_rate, intake.weight_kg) == (None, None)


def test_the_intake_page_says_what_is_not_measured_yet(client_record, staff, login):
    DjangoClient().post(
        _link(client_record, staff[Role.FRONT_DESK]), {**CLIENT_INTAKE, **NO_VITALS}
    )

    page = login(staff[Role.NURSE]).get(reverse("intake:detail", args=[client_record.pk]))

    assert page.status_code == 200
    assert page.content.decode().count("Not measured yet") == 3


def test_one_blood_pressure_reading_without_the_other_is_refused_at_the_field(client_record, staff):
    url = _link(client_record, staff[Role.FRONT_DESK])

    response = DjangoClient().post(url, {**CLIENT_INTAKE, **NO_VITALS, "baseline_systolic": "130"})

    assert response.status_code == 200
    assert "baseline_diastolic" in response.context["form"].errors
    assert not Intake.objects.exists()


def test_a_clinic_working_in_pounds_asks_in_lb_and_stores_kg(clinic, client_record, staff, login):
    clinic.weight_unit = WeightUnit.LB
    clinic.save()
    url = _link(client_record, staff[Role.FRONT_DESK])
    form_page = DjangoClient().get(url).content.decode()
    assert 'name="weight_lb"' in form_page and 'name="weight_kg"' not in form_page
    assert "Weight (lb)" in form_page

    data = {k: v for k, v in CLIENT_INTAKE.items() if k != "weight_kg"}
    response = DjangoClient().post(url, {**data, "weight_lb": "154.3"})

    assert response.status_code == 302
    assert Intake.objects.get(client=client_record).weight_kg == Decimal("70.0")
    # staff editing see the weight back in pounds
    edit = login(staff[Role.THERAPIST]).get(reverse("intake:edit", args=[client_record.pk]))
    assert 'value="154.3"' in edit.content.decode()


def test_a_weight_in_pounds_out_of_range_is_refused_at_its_field(clinic, client_record, staff):
    clinic.weight_unit = WeightUnit.LB
    clinic.save()
    data = {k: v for k, v in CLIENT_INTAKE.items() if k != "weight_kg"}

    response = DjangoClient().post(
        _link(client_record, staff[Role.FRONT_DESK]), {**data, "weight_lb": "900"}
    )

    assert response.status_code == 200 and "weight_lb" in response.context["form"].errors


# --- Item 19: screened at once, care team told --------------------------------------------------


def test_a_completed_intake_is_screened_at_once_and_the_care_team_is_told(
    client_record, staff, course, login, django_capture_on_commit_callbacks, settings
):
    settings.KAPCARE_SITE_URL = "https://kap.example.org"
    url = _link(client_record, staff[Role.FRONT_DESK])

    with django_capture_on_commit_callbacks(execute=True):
        response = DjangoClient().post(url, CLIENT_INTAKE)

    assert response.status_code == 302
    screening = Screening.objects.get(course=course)
    assert screening.screened_by is None  # kapcare screened it
    assert screening.outcome == ScreeningOutcome.REVIEW  # hypertension, sleep apnoea: review
    assert AuditEvent.objects.filter(object_type="screening", client=client_record).exists()
    # e-mail to the care team, with no clinical details
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    team = {staff[r].email for r in (Role.THERAPIST, Role.PRESCRIBER, Role.NURSE)}
    assert set(message.to) == team
    text = message.subject + message.body
    for secret in ("Rowan", "Ashby", "hypertension", "review", "sertraline", "penicillin"):
        assert secret.lower() not in text.lower()
    # a link that works from a mail program: the site's own address, not a bare path
    overview = reverse("screening:overview", args=[client_record.pk])
    assert f"https://kap.example.org{overview}" in message.body
    # in-app: the care team's home page, under "Needs you now"
    for role in (Role.THERAPIST, Role.NURSE):
        home = login(staff[role]).get(reverse("home:home")).content.decode()
        assert "Intakes completed and screened" in home and "Rowan Ashby" in home
    assert (
        "Intakes completed"
        not in login(staff[Role.FRONT_DESK]).get(reverse("home:home")).content.decode()
    )


def test_a_clear_intake_makes_the_client_eligible_and_moves_the_course_on(
    client_record, staff, course
):
    clear = {**CLIENT_INTAKE, "conditions": []}

    DjangoClient().post(_link(client_record, staff[Role.FRONT_DESK]), clear)

    screening = Screening.objects.get(course=course)
    assert screening.outcome == ScreeningOutcome.CLEAR
    assert screening.decisions.get().decision == Decision.ELIGIBLE
    course.refresh_from_db()
    assert course.status == CourseStatus.AWAITING_CONSENT


def test_an_intake_without_blood_pressure_waits_for_the_measurement(
    client_record, staff, course, login
):
    clear = {**CLIENT_INTAKE, **NO_VITALS, "conditions": []}

    DjangoClient().post(_link(client_record, staff[Role.FRONT_DESK]), clear)

    screening = Screening.objects.get(course=course)
    assert screening.outcome == ScreeningOutcome.INCOMPLETE
    assert not screening.decisions.exists()
    assert {u["rule_key"] for u in screening.unmeasured} >= {"bp_very_high", "bp_elevated"}
    course.refresh_from_db()
    assert course.status == CourseStatus.SCREENING
    page = login(staff[Role.PRESCRIBER]).get(reverse("screening:overview", args=[client_record.pk]))
    html = page.content.decode()
    assert "Not measured yet" in html and "Systolic BP (mmHg)" in html

    # the nurse measures in clinic and enters it: screened again, now clear
    nurse = login(staff[Role.NURSE])
    staff_data = {**VALID_INTAKE, "conditions": [], "suicide_risk": "low"}
    assert (
        nurse.post(reverse("intake:edit", args=[client_record.pk]), staff_data).status_code == 302
    )
    latest = Screening.objects.filter(course=course).order_by("-id").first()
    assert latest.outcome == ScreeningOutcome.CLEAR


def test_an_intake_without_a_course_to_screen_sends_nothing(
    client_record, staff, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        DjangoClient().post(_link(client_record, staff[Role.FRONT_DESK]), CLIENT_INTAKE)

    assert not Screening.objects.exists() and mail.outbox == []
