"""Monitoring alerts: stamped with the reading's time, and acknowledged per reading (issue 10,
items 17 and 18) without ever raising or showing fewer of them."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from kapcare.audit.models import AuditEvent
from kapcare.dosing import services
from kapcare.dosing.models import MonitoringAlert
from tests.dosing.helpers import ago, chair, give_dose

pytestmark = pytest.mark.django_db

# The reading from the issue: 186/112 with SpO2 89% against a 124/78 pre-dose check.
BAD = {"systolic": 186, "diastolic": 112, "heart_rate": 80, "spo2": 89}


def monitored(clinic, staff, client_record):
    ctx = chair(clinic, staff, client_record, checked_minutes_ago=110)
    give_dose(clinic, staff, ctx, minutes_ago=100)
    services.complete_dosing(actor=ctx["nurse"], session=ctx["session"], ended_at=ago(60))
    ctx["session"].refresh_from_db()
    return ctx


def test_alerts_from_a_back_dated_reading_carry_the_reading_time(clinic, staff, client_record):
    # given a session in monitoring
    ctx = monitored(clinic, staff, client_record)
    # when a reading taken 40 minutes ago is charted now
    when = ago(40)
    reading = services.record_vitals(
        actor=ctx["nurse"], session=ctx["session"], recorded_at=when, values=BAD
    )
    # then every alert it raised is stamped with the reading's time; the entry time is kept
    alerts = list(MonitoringAlert.objects.filter(vital=reading))
    assert alerts and {a.raised_at for a in alerts} == {when}
    assert reading.created_at > when + (ago(0) - ago(39))


def test_one_action_acknowledges_exactly_the_alerts_of_one_reading(clinic, staff, client_record):
    # given two readings: the bad one from the issue and, before it, a low SpO2
    ctx = monitored(clinic, staff, client_record)
    earlier = services.record_vitals(
        actor=ctx["nurse"], session=ctx["session"], recorded_at=ago(50), values={"spo2": 88}
    )
    reading = services.record_vitals(
        actor=ctx["nurse"], session=ctx["session"], recorded_at=ago(40), values=BAD
    )
    raised = list(MonitoringAlert.objects.filter(vital=reading))
    # every threshold it crossed raised its own alert: no fewer safeguards
    assert {a.kind for a in raised} == {
        "systolic",
        "diastolic",
        "systolic_rise",
        "diastolic_rise",
        "spo2",
    }
    before = AuditEvent.objects.count()
    # when the nurse says once what was done
    done = services.acknowledge_reading_alerts(
        actor=ctx["nurse"],
        vital=reading,
        action_taken="Infusion paused; rechecked 168/96, SpO2 95% on chin lift; prescriber told",
        alert_ids=[a.pk for a in raised],
    )
    # then each of that reading's alerts records the acknowledgement on its own row
    assert {a.pk for a in done} == {a.pk for a in raised}
    for alert in MonitoringAlert.objects.filter(vital=reading):
        assert not alert.is_open and alert.acknowledged_by == staff["nurse"]
        assert alert.action_taken.startswith("Infusion paused")
    # and each is audited; the other reading's alert stays open
    assert AuditEvent.objects.count() - before == len(raised)
    assert MonitoringAlert.objects.get(vital=earlier).is_open


def test_a_reading_acknowledgement_is_refused_when_its_alerts_changed_meanwhile(
    clinic, staff, client_record
):
    ctx = monitored(clinic, staff, client_record)
    reading = services.record_vitals(
        actor=ctx["nurse"], session=ctx["session"], recorded_at=ago(40), values=BAD
    )
    raised = list(MonitoringAlert.objects.filter(vital=reading))
    # someone else acknowledged one of them while the nurse was typing
    services.acknowledge_alert(actor=ctx["nurse"], alert=raised[0], action_taken="Rechecked")
    with pytest.raises(ValidationError, match="changed"):
        services.acknowledge_reading_alerts(
            actor=ctx["nurse"],
            vital=reading,
            action_taken="Paused",
            alert_ids=[a.pk for a in raised],
        )
    assert MonitoringAlert.objects.filter(vital=reading, acknowledged_at=None).count() == 4
    with pytest.raises(ValidationError):
        services.acknowledge_reading_alerts(
            actor=ctx["nurse"], vital=reading, action_taken="  ", alert_ids=[raised[1].pk]
        )


def test_the_panel_shows_every_alert_with_one_form_per_reading(clinic, staff, client_record, login):
    ctx = monitored(clinic, staff, client_record)
    session = ctx["session"]
    reading = services.record_vitals(
        actor=ctx["nurse"], session=session, recorded_at=ago(40), values=BAD
    )
    http = login(staff["nurse"])
    panel = reverse("dosing:panel", args=[client_record.pk, session.pk])
    body = http.get(panel, headers={"HX-Request": "true"}).content.decode()
    # all five alerts are shown, at the reading's time, under a single form
    assert body.count("data-alert=") == 5
    assert body.count('class="kc-ack-form"') == 1
    address = reverse("dosing:acknowledge_reading", args=[client_record.pk, session.pk, reading.pk])
    ids = list(MonitoringAlert.objects.filter(vital=reading).values_list("pk", flat=True))
    field = f"ack-r{reading.pk}-action_taken"
    refused = http.post(address, {field: "", "alert": ids}, headers={"HX-Request": "true"})
    assert "This field is required" in refused.content.decode()
    assert MonitoringAlert.objects.filter(acknowledged_at=None).count() == 5
    response = http.post(
        address,
        {field: "Paused; rechecked; prescriber told", "alert": ids},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200 and response["HX-Trigger"] == "kc-session-changed"
    assert not MonitoringAlert.objects.filter(acknowledged_at=None).exists()
    assert "kc-ack-form" not in response.content.decode()
    # without JavaScript the same post redirects back to the page
    other = services.record_vitals(
        actor=ctx["nurse"], session=session, recorded_at=ago(30), values={"spo2": 88}
    )
    plain = http.post(
        reverse("dosing:acknowledge_reading", args=[client_record.pk, session.pk, other.pk]),
        {f"ack-r{other.pk}-action_taken": "Chin lift", "alert": [other.alerts.get().pk]},
    )
    assert plain.status_code == 302 and not other.alerts.get().is_open


def test_the_session_record_shows_a_late_readings_alert_at_the_reading_time(
    clinic, staff, client_record, login
):
    from tests.dosing.pdf_text import pdf_text, squeezed

    ctx = monitored(clinic, staff, client_record)
    when = ago(40)
    services.record_vitals(
        actor=ctx["nurse"], session=ctx["session"], recorded_at=when, values={"spo2": 88}
    )
    address = reverse("dosing:record_pdf", args=[client_record.pk, ctx["session"].pk])
    text = squeezed(pdf_text(login(staff["nurse"]).get(address).content))
    from django.utils import timezone

    local = timezone.localtime(when, clinic.zone).strftime("%H:%M")
    assert f"{local}Alert:SpO288%" in text and "readingenteredat" in text
