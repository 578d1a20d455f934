"""Issue 10 item 5: withdrawal of consent needs who asked, a reason and a confirmation; the page
shows a dosing session in progress; a session not yet dosed is stopped, one already dosed
carries on to discharge with no further dose (kapcare.dosing.services.consent_withdrawal)."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from kapcare.accounts.models import Role
from kapcare.audit.models import AuditEvent
from kapcare.consent.gates import consent_gate
from kapcare.consent.models import ConsentSignature
from kapcare.consent.selectors import consent_problem
from kapcare.consent.services import withdraw_consent
from kapcare.courses.gates import GateContext
from kapcare.dosing import services as dosing
from kapcare.dosing.models import DosingSession, DosingStatus, SessionStatusChange
from kapcare.dosing.monitoring_rules import DISCHARGE_CRITERIA
from tests.dosing.helpers import ago, chair, give_dose
from tests.pathway import actor

pytestmark = pytest.mark.django_db

S = DosingStatus
VALID = {"requested_via": "phone", "reason": "Does not want to continue", "confirmed": "on"}


def _url(client):
    return reverse("consent:withdraw", args=[client.pk])


def _monitoring(clinic, staff, client):
    ctx = chair(clinic, staff, client, checked_minutes_ago=110)
    give_dose(clinic, staff, ctx, minutes_ago=100)
    dosing.complete_dosing(actor=ctx["nurse"], session=ctx["session"], ended_at=ago(60))
    ctx["session"].refresh_from_db()
    return ctx


def test_an_empty_post_withdraws_nothing(clinic, staff, client_record, login):
    # Given a client with standing consent, at the chair
    ctx = chair(clinic, staff, client_record)
    for role in (Role.FRONT_DESK, Role.CLINIC_ADMIN):
        # When front desk or admin posts the form with only the CSRF token
        response = login(staff[role]).post(_url(client_record), {})
        # Then each missing piece is asked for at its field, and nothing changes
        assert response.status_code == 200
        errors = response.context["form"].errors
        assert {"requested_via", "reason", "confirmed"} <= set(errors)
    assert ConsentSignature.objects.filter(withdrawn_at__isnull=True).count() == 1
    assert consent_problem(client_record, timezone.now()) is None
    assert DosingSession.objects.get().status == S.PRE_DOSE_CHECKS
    assert not AuditEvent.objects.filter(summary="Consent withdrawn").exists()
    del ctx


@pytest.mark.parametrize(
    "missing",
    [
        {"requested_via": ""},
        {"requested_via": "carrier pigeon"},
        {"reason": "  "},
        {"confirmed": False},
    ],
)
def test_the_service_refuses_without_who_why_and_confirmation(
    clinic, staff, client_record, missing
):
    chair(clinic, staff, client_record)
    fields = {"requested_via": "in_person", "reason": "Changed my mind", "confirmed": True}
    with pytest.raises(ValidationError) as refused:
        withdraw_consent(
            actor=actor(staff["front_desk"], clinic), client=client_record, **fields | missing
        )
    assert set(missing) <= set(refused.value.message_dict)
    assert not ConsentSignature.objects.filter(withdrawn_at__isnull=False).exists()


def test_a_withdrawal_records_who_asked_and_how(clinic, staff, client_record, login):
    chair(clinic, staff, client_record, check=False)
    response = login(staff[Role.FRONT_DESK]).post(_url(client_record), VALID)
    assert response.status_code == 302
    signature = ConsentSignature.objects.get()
    assert signature.withdrawal_requested_via == "phone"
    assert signature.withdrawal_reason == "Does not want to continue"
    event = AuditEvent.objects.get(summary="Consent withdrawn")
    assert event.details["requested_via"] == "phone"
    page = login(staff[Role.FRONT_DESK]).get(reverse("consent:overview", args=[client_record.pk]))
    assert "By phone" in page.content.decode()


def test_the_page_shows_a_live_session_and_what_withdrawing_does(
    clinic, staff, client_record, login
):
    ctx = _monitoring(clinic, staff, client_record)
    text = login(staff[Role.FRONT_DESK]).get(_url(client_record)).content.decode()
    assert "data-live-sessions" in text
    assert "Dosing session 1 is in progress: monitoring." in text
    assert "monitoring continues until discharge" in text
    assert reverse("dosing:live", args=[client_record.pk, ctx["session"].pk]) in text


def test_withdrawal_stops_a_session_not_yet_dosed(clinic, staff, client_record, login):
    # Given a client at the pre-dose checks
    ctx = chair(clinic, staff, client_record)
    session = ctx["session"]
    rev = session.revision
    text = login(staff[Role.FRONT_DESK]).get(_url(client_record)).content.decode()
    assert "withdrawing stops this session now" in text
    # When front desk records the withdrawal
    login(staff[Role.FRONT_DESK]).post(_url(client_record), VALID)
    # Then the session is stopped with the withdrawal as its reason; the nurse's panel shows it
    session.refresh_from_db()
    assert session.status == S.ABORTED
    assert session.abort_reason == "Consent withdrawn: Does not want to continue"
    change = SessionStatusChange.objects.get(session=session, to_status=S.ABORTED)
    assert change.changed_by == staff["front_desk"]
    assert not consent_gate(GateContext(course=ctx["course"], at=timezone.now())).passed
    panel = login(staff["nurse"]).get(
        reverse("dosing:panel", args=[client_record.pk, session.pk])
        + f"?rev={rev}&status=pre_dose_checks",
        headers={"HX-Request": "true"},
    )
    assert panel.status_code == 200 and "data-moved-on" in panel.content.decode()


def test_a_dosed_session_carries_on_to_discharge_with_no_further_dose(
    clinic, staff, client_record, login
):
    # Given a session in monitoring after the dose
    ctx = _monitoring(clinic, staff, client_record)
    session = ctx["session"]
    # When consent is withdrawn
    withdraw_consent(
        actor=actor(staff["front_desk"], clinic),
        client=client_record,
        requested_via="in_person",
        reason="Wants to stop the course",
        confirmed=True,
    )
    # Then monitoring carries on: readings, and the live page says consent was withdrawn
    session.refresh_from_db()
    assert session.status == S.MONITORING
    dosing.record_vitals(
        actor=ctx["nurse"],
        session=session,
        recorded_at=ago(1),
        values={"systolic": 124, "diastolic": 78, "heart_rate": 72, "spo2": 98},
    )
    live = login(staff["nurse"]).get(reverse("dosing:live", args=[client_record.pk, session.pk]))
    assert "data-consent-withdrawn" in live.content.decode()
    assert AuditEvent.objects.filter(
        summary__startswith="Consent withdrawn during dosing session 1"
    ).exists()
    # and discharge stays possible
    dosing.discharge_session(
        actor=ctx["nurse"],
        session=session,
        discharged_at=ago(0),
        criteria=dict.fromkeys(DISCHARGE_CRITERIA, True),
        summary="Settled; left with partner.",
        aftercare_instructions="No driving until tomorrow.",
    )
    session.refresh_from_db()
    assert session.status == S.DISCHARGED
