"""The pre-session questionnaires are responses in Measures, not boxes to tick (issue 10, item 4),
and "Record the checks again" starts from the previous check (item 16)."""

import re
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from kapcare.courses.gates import dosing_gates
from kapcare.dosing import services
from kapcare.dosing.models import DosingStatus, PreDoseCheck
from kapcare.measures.models import Response
from tests.dosing.helpers import GOOD_CHECK, ago, chair, give_dose, questionnaires

pytestmark = pytest.mark.django_db


def pre_dose(course):
    return {g.key: g for g in dosing_gates(course)}["pre_dose"]


def test_a_ticked_gad7_box_does_not_pass_the_gate_without_a_gad7_in_measures(
    clinic, staff, client_record
):
    # given checks recorded with "GAD-7 done" posted as ticked, and only a PHQ-9 in Measures
    ctx = chair(clinic, staff, client_record, check=False, measures=False)
    questionnaires(clinic, staff, client_record, ctx["course"], codes=["phq9"])
    services.record_pre_dose_check(
        actor=ctx["nurse"],
        session=ctx["session"],
        data={**GOOD_CHECK, "gad7_done": True, "phq9_done": True},
        recorded_at=ago(10),
    )
    # then the gate fails and says which questionnaire is missing
    gate = pre_dose(ctx["course"])
    assert not gate.passed
    assert "GAD-7" in gate.reason and "PHQ-9" not in gate.reason
    # the check records what Measures held, not what was ticked
    check = PreDoseCheck.objects.get()
    assert check.phq9_done and not check.gad7_done
    # and the dose is refused at the chair with the same reason
    ctx["session"].refresh_from_db()
    with pytest.raises(ValidationError, match="GAD-7"):
        give_dose(clinic, staff, ctx, minutes_ago=5)
    # when the GAD-7 is in Measures, the gate passes
    questionnaires(clinic, staff, client_record, ctx["course"], codes=["gad7"])
    assert pre_dose(ctx["course"]).passed


def test_both_missing_questionnaires_are_named(clinic, staff, client_record):
    ctx = chair(clinic, staff, client_record, measures=False)
    gate = pre_dose(ctx["course"])
    assert not gate.passed and "PHQ-9, GAD-7" in gate.reason


def test_an_incomplete_response_does_not_count(clinic, staff, client_record):
    from kapcare.measures.models import InstrumentDefinition
    from kapcare.measures.services import record_response
    from tests.pathway import actor

    ctx = chair(clinic, staff, client_record, measures=False)
    questionnaires(clinic, staff, client_record, ctx["course"], codes=["phq9"])
    gad7 = InstrumentDefinition.objects.get(clinic=clinic, code="gad7", is_active=True)
    blank = record_response(
        actor=actor(staff["therapist"], clinic),
        client=client_record,
        definition=gad7,
        answers={str(i): None for i in range(1, 8)},
        course=ctx["course"],
    )
    assert blank.status == "incomplete"
    assert "GAD-7" in pre_dose(ctx["course"]).reason


def test_a_protocol_that_does_not_require_them_lets_the_gate_pass(clinic, staff, client_record):
    ctx = chair(clinic, staff, client_record, measures=False)
    type(ctx["session"].protocol).objects.filter(pk=ctx["session"].protocol_id).update(
        require_pre_session_measures=False
    )
    assert pre_dose(ctx["course"]).passed


def test_a_phq9_item9_answered_after_the_checks_needs_them_again(clinic, staff, client_record):
    # given passing checks with PHQ-9 item 9 = 0 and a GAD-7 already in Measures
    ctx = chair(clinic, staff, client_record, measures=False, check=False)
    questionnaires(clinic, staff, client_record, ctx["course"], codes=["gad7"])
    services.record_pre_dose_check(
        actor=ctx["nurse"], session=ctx["session"], data=GOOD_CHECK, recorded_at=ago(10)
    )
    # when the PHQ-9 arrives in Measures with item 9 = 2
    questionnaires(clinic, staff, client_record, ctx["course"], codes=["phq9"], item9=2)
    # then the dose waits: the checks did not take that answer in
    gate = pre_dose(ctx["course"])
    assert not gate.passed and "item 9 is 2" in gate.reason
    # a new check takes item 9 from Measures even when 0 is typed, and needs review
    check = services.record_pre_dose_check(
        actor=ctx["nurse"],
        session=ctx["session"],
        data={**GOOD_CHECK, "phq9_item9": 0},
        recorded_at=ago(5),
    )
    assert check.phq9_item9 == 2
    assert any(p["field"] == "phq9_item9" and p["severity"] == "review" for p in check.problems)


def test_a_questionnaire_entered_on_the_checks_page_goes_through_measures(
    clinic, staff, client_record, login
):
    # given a checked-in session whose GAD-7 is missing
    ctx = chair(clinic, staff, client_record, measures=False)
    questionnaires(clinic, staff, client_record, ctx["course"], codes=["phq9"])
    http = login(staff["nurse"])
    live = reverse("dosing:live", args=[client_record.pk, ctx["session"].pk])
    body = http.get(live).content.decode()
    assert 'id="kc-measure-gad7"' in body and 'id="kc-measure-phq9"' not in body
    address = reverse("dosing:pre_dose_measure", args=[client_record.pk, ctx["session"].pk, "gad7"])
    today = clinic.today().isoformat()
    # an answer missing is refused at its item, and nothing is saved
    partial = {f"m-gad7-item_{i}": "1" for i in range(1, 7)} | {"m-gad7-completed_on": today}
    refused = http.post(address, partial)
    assert refused.status_code == 200 and "Choose an answer" in refused.content.decode()
    assert not Response.objects.filter(instrument_code="gad7").exists()
    # when every item is answered
    answers = partial | {"m-gad7-item_7": "2"}
    response = http.post(address, answers)
    # then the response is in Measures, scored, and the gate passes
    assert response.status_code == 302
    saved = Response.objects.get(instrument_code="gad7")
    assert saved.total == 8 and saved.entered_by == staff["nurse"]
    assert saved.course == ctx["course"]
    assert pre_dose(ctx["course"]).passed
    # a questionnaire the schedule does not ask for is not entered here
    other = reverse("dosing:pre_dose_measure", args=[client_record.pk, ctx["session"].pk, "pcl5"])
    assert http.post(other, {}).status_code == 404


def test_a_front_desk_user_cannot_enter_a_questionnaire_at_the_chair(
    clinic, staff, client_record, login
):
    ctx = chair(clinic, staff, client_record, measures=False)
    address = reverse("dosing:pre_dose_measure", args=[client_record.pk, ctx["session"].pk, "gad7"])
    assert login(staff["front_desk"]).post(address, {}).status_code in (403, 404)
    assert not Response.objects.exists()


def test_record_the_checks_again_starts_from_the_previous_values(
    clinic, staff, client_record, login
):
    # given a check whose blood pressure needed a second look
    ctx = chair(
        clinic,
        staff,
        client_record,
        check={"systolic": 150, "diastolic": 94, "weight_kg": Decimal("81.5")},
    )
    assert ctx["session"].status == DosingStatus.PRE_DOSE_CHECKS
    # when the nurse opens "Record the checks again"
    body = login(staff["nurse"]).get(
        reverse("dosing:live", args=[client_record.pk, ctx["session"].pk])
    )
    form = re.search(r'<form[^>]*id="kc-check-form".*?</form>', body.content.decode(), re.S)
    html = form.group(0)

    def value(name):
        tag = re.search(rf'<(?:input|textarea|select)[^>]*name="{name}"[^>]*>', html).group(0)
        return re.search(r'value="([^"]*)"', tag).group(1) if "value=" in tag else tag

    # then it holds the previous values, ready to change only what was re-measured
    assert value("systolic") == "150" and value("diastolic") == "94"
    assert value("weight_kg") == "81.5" and value("heart_rate") == "72"
    assert "checked" in value("identity_confirmed") and "checked" in value("escort_confirmed")
    assert GOOD_CHECK["intentions"] in html
    assert re.search(r'<option value="not_applicable"[^>]*selected', html)


def test_a_later_session_needs_its_own_questionnaires(clinic, staff, client_record):
    from kapcare.dosing.monitoring_rules import DISCHARGE_CRITERIA

    # given session 1 given and discharged, its questionnaires answered before its dose
    ctx = chair(clinic, staff, client_record, checked_minutes_ago=110)
    give_dose(clinic, staff, ctx, minutes_ago=100)
    nurse, first = ctx["nurse"], ctx["session"]
    services.complete_dosing(actor=nurse, session=first, ended_at=ago(60))
    services.record_vitals(
        actor=nurse,
        session=first,
        recorded_at=ago(2),
        values={"systolic": 126, "diastolic": 80, "heart_rate": 74, "spo2": 98},
    )
    services.discharge_session(
        actor=nurse,
        session=first,
        discharged_at=ago(1),
        criteria=dict.fromkeys(DISCHARGE_CRITERIA, True),
        summary="Settled.",
        aftercare_instructions="No driving until tomorrow.",
    )
    # when session 2 is checked in with passing checks
    second = services.schedule_session(actor=nurse, course=ctx["course"], scheduled_for=ago(0))
    services.check_in(actor=nurse, session=second, at=ago(0))
    services.record_pre_dose_check(actor=nurse, session=second, data=GOOD_CHECK, recorded_at=ago(0))
    # then session 1's questionnaires do not answer for session 2
    gate = pre_dose(ctx["course"])
    assert not gate.passed and "PHQ-9, GAD-7" in gate.reason
    questionnaires(clinic, staff, client_record, ctx["course"])
    assert pre_dose(ctx["course"]).passed
