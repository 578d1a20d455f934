"""The session record and the REMS record as PDFs; the one chart function serves page and PDF."""

import pytest
from django.urls import reverse

from kapcare.dosing import services
from kapcare.dosing.charts import as_data_uri, vitals_chart_svg
from kapcare.dosing.models import VitalSign
from tests.dosing.helpers import ago, chair, give_dose
from tests.dosing.pdf_text import pdf_text, squeezed

pytestmark = pytest.mark.django_db


@pytest.fixture
def recorded(clinic, staff, client_record):
    ctx = chair(clinic, staff, client_record, checked_minutes_ago=110)
    give_dose(clinic, staff, ctx, minutes_ago=100)
    services.complete_dosing(actor=ctx["nurse"], session=ctx["session"], ended_at=ago(60))
    for minutes, systolic in ((85, 150), (70, 184), (55, 140), (40, 128)):
        services.record_vitals(
            actor=ctx["nurse"],
            session=ctx["session"],
            recorded_at=ago(minutes),
            values={"systolic": systolic, "diastolic": 84, "heart_rate": 76, "spo2": 97},
        )
    return ctx


def test_the_chart_is_svg_with_its_axes_named(recorded):
    recorded["session"].refresh_from_db()  # the dose start, for the minutes axis
    svg = vitals_chart_svg(
        list(VitalSign.objects.all()), dose_started_at=recorded["session"].dose_started_at
    )
    assert svg.lstrip().startswith("<?xml") and "<svg" in svg
    assert "Vital signs" in svg and "minutes since dose start" in svg and "Systolic" in svg
    assert as_data_uri(svg).startswith("data:image/svg+xml;base64,")


def test_the_session_record_pdf_shows_the_chart_and_every_event_in_order(
    staff, client_record, recorded, login
):
    address = reverse("dosing:record_pdf", args=[client_record.pk, recorded["session"].pk])
    response = login(staff["nurse"]).get(address)
    assert response["Content-Type"] == "application/pdf"
    text = squeezed(pdf_text(response.content))
    # the chart, drawn from SVG, with its title and axis
    assert "Vitalsigns" in text and "minutessincedosestart" in text
    # every event, in time order
    order = [
        "Status:Checkedin",
        "Pre-dosechecks:",
        "Dosestarted:",
        "Alert:Systolic184",  # read 70 min ago, during the infusion: at the reading's time
        "Status:Monitoring",
    ]
    positions = [text.find(word) for word in order]
    assert all(p >= 0 for p in positions), list(zip(order, positions, strict=True))
    assert positions == sorted(positions)
    assert "RowanAshby" in text and "36.00mg" in text


def test_the_session_record_never_doubles_a_period_after_typed_text(
    staff, client_record, recorded, login
):
    """Issue 10 item 25: "… ondansetron 4 mg.." when the nurse ended the action with a period."""
    from kapcare.dosing.models import AdverseEvent

    AdverseEvent.objects.create(
        clinic=recorded["session"].clinic,
        session=recorded["session"],
        occurred_at=ago(90),
        kind="nausea",
        severity="mild",
        description="Nausea after the dose.",
        action_taken="Ondansetron 4 mg.",
        outcome="resolved",
        recorded_by=staff["nurse"],
    )
    address = reverse("dosing:record_pdf", args=[client_record.pk, recorded["session"].pk])

    text = squeezed(pdf_text(login(staff["nurse"]).get(address).content))

    assert "Ondansetron4mg." in text and ".." not in text
