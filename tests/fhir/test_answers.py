"""Creating a QuestionnaireResponse: scored, stored and alerted as in the clinic; bad input
is a 4xx OperationOutcome naming the problem, and nothing is saved (issue 13, acceptance 6)."""

import json

import pytest
from django.conf import settings
from fhir.resources.R4B.observation import Observation
from fhir.resources.R4B.questionnaireresponse import QuestionnaireResponse

from kapcare.accounts.actor import Actor
from kapcare.accounts.models import Role
from kapcare.audit.models import AuditAction, AuditEvent
from kapcare.courses.services import open_course
from kapcare.measures import services
from kapcare.measures.models import (
    AssignmentStatus,
    MeasureAssignment,
    Response,
    ResponseSource,
    RiskAlert,
)
from kapcare.measures.services.schedules import sync_schedules
from tests.api_helpers import bearer
from tests.factories import ClientFactory, make_staff, put_on_team
from tests.fhir.measures_helpers import PHQ9_URL, phq9_response

pytestmark = pytest.mark.django_db
FHIR_JSON = "application/fhir+json"


def post(http, body, content_type=FHIR_JSON):
    data = body if isinstance(body, (str, bytes)) else json.dumps(body)
    return http.post("/fhir/QuestionnaireResponse", data, content_type=content_type)


def nothing_saved():
    """No response, no alert, and no audit row of either (the token's own is older)."""
    assert not Response.objects.exists()
    assert not RiskAlert.objects.exists()
    created = AuditEvent.objects.filter(action=AuditAction.CREATE)
    assert not created.exclude(object_type__in=["api_token", "instrumentdefinition"]).exists()


@pytest.mark.parametrize("how", ["code", "weight", "ordinal", "integer"])
def test_phq9_posted_is_scored_stored_and_alerted_as_in_the_clinic(
    clinic, staff, client_record, instruments, how
):
    therapist = staff[Role.THERAPIST]
    http = bearer(therapist, clinic, "user/QuestionnaireResponse.cr user/Observation.rs")
    scores = [2, 1, 3, 0, 1, 2, 0, 1, 1]
    body = phq9_response(client_record.pk, scores, how=how, authored="2026-11-30T09:15:00Z")
    response = post(http, body)
    assert response.status_code == 201, response.json()
    created = response.json()
    QuestionnaireResponse.model_validate(created)
    assert response["Location"].endswith(f"/fhir/QuestionnaireResponse/{created['id']}")
    saved = Response.objects.get()
    assert (saved.total, saved.band, saved.source) == (11, "moderate", ResponseSource.API)
    assert saved.entered_by == therapist
    assert saved.completed_at.isoformat() == "2026-11-30T09:15:00+00:00"
    assert created["author"] == {"reference": f"Practitioner/{therapist.pk}"}
    assert created["item"][2]["answer"][0]["valueCoding"]["code"] == "LA6571-9"
    # The same answers entered in the clinic raise the same alert.
    alert = RiskAlert.objects.get(response=saved)
    other = ClientFactory(clinic=clinic)
    put_on_team(other, therapist, Role.THERAPIST)
    in_clinic = services.record_response(
        actor=Actor.for_user(therapist, clinic),
        client=other,
        definition=instruments["phq9"],
        answers={str(i): s for i, s in enumerate(scores, start=1)},
    )
    twin = RiskAlert.objects.get(response=in_clinic)
    assert (alert.rule, alert.level, alert.summary) == (twin.rule, twin.level, twin.summary)
    assert alert.escalate_after - alert.raised_at == twin.escalate_after - twin.raised_at
    event = AuditEvent.objects.get(
        action=AuditAction.CREATE, object_type="response", object_id=str(saved.pk)
    )
    assert event.client_id == client_record.pk and event.details["api_token_id"]
    # The total is an Observation derived from the response.
    total = http.get(f"/fhir/Observation/total-{saved.pk}").json()
    Observation.model_validate(total)
    assert total["valueQuantity"]["value"] == 11
    assert total["derivedFrom"] == [{"reference": f"QuestionnaireResponse/{saved.pk}"}]


def test_posted_response_completes_the_pending_assignment(
    clinic, staff, client_record, instruments
):
    actor = Actor.for_user(staff[Role.THERAPIST], clinic)
    course = open_course(actor=actor, client=client_record, condition="depression")
    sync_schedules(clinic=clinic, courses=[course])
    pending = MeasureAssignment.objects.get(course=course, instrument_code="phq9")
    http = bearer(staff[Role.THERAPIST], clinic, "user/QuestionnaireResponse.c")
    version = instruments["phq9"].version
    body = phq9_response(client_record.pk, [0] * 9, questionnaire=f"{PHQ9_URL}|{version}")
    assert post(http, body).status_code == 201
    pending.refresh_from_db()
    assert pending.status == AssignmentStatus.COMPLETED
    assert Response.objects.get().assignment == pending
    assert not RiskAlert.objects.exists()


def test_lhc_forms_link_ids_and_groups_are_understood(clinic, staff, client_record, instruments):
    body = phq9_response(client_record.pk, [1] * 9)
    for item in body["item"]:
        item["linkId"] = (
            "/" + instruments["phq9"].definition["items"][int(item["linkId"]) - 1]["loinc"]
        )
    body["item"] = [{"linkId": "/44249-1", "item": body["item"]}]
    http = bearer(staff[Role.NURSE], clinic, "user/QuestionnaireResponse.c")
    response = post(http, body)
    assert response.status_code == 201, response.json()
    assert Response.objects.get().total == 9


def _outcome(response, status):
    assert response.status_code == status, response.content
    outcome = response.json()
    assert outcome["resourceType"] == "OperationOutcome"
    return outcome["issue"]


@pytest.mark.parametrize(
    ("change", "status", "named", "where"),
    [
        ({"resourceType": "Patient"}, 400, "resourceType must be QuestionnaireResponse", "resourceType"),
        ({"questionnaire": "urn:kapcare:questionnaire:beck"}, 422, "urn:kapcare:questionnaire:beck", "QuestionnaireResponse.questionnaire"),
        ({"questionnaire": f"{PHQ9_URL}|1999.9"}, 422, f"{PHQ9_URL}|1999.9", "QuestionnaireResponse.questionnaire"),
        ({"questionnaire": "Questionnaire/999999"}, 422, "Questionnaire/999999", "QuestionnaireResponse.questionnaire"),
        ({"status": "in-progress"}, 422, "status must be completed", "QuestionnaireResponse.status"),
        ({"authored": "yesterday"}, 400, "authored", "QuestionnaireResponse.authored"),
        ({"authored": "2099-01-01T00:00:00Z"}, 422, "future", "QuestionnaireResponse.authored"),
        ({"subject": {"reference": "Group/1"}}, 422, "Patient", "QuestionnaireResponse.subject"),
        ({"item": [{"linkId": "99", "answer": [{"valueInteger": 1}]}]}, 422, "'99'", "QuestionnaireResponse.item[0].linkId"),
        ({"item": [{"linkId": "1", "answer": [{"valueInteger": "often"}]}]}, 400, "valueInteger", "QuestionnaireResponse.item[0].answer[0].valueInteger"),
        ({"item": [{"linkId": "1", "answer": [{"valueString": "often"}]}]}, 422, "valueInteger", "QuestionnaireResponse.item[0].answer[0]"),
        ({"item": [{"linkId": "1", "answer": [{"valueBoolean": True}]}]}, 422, "valueInteger", "QuestionnaireResponse.item[0].answer[0]"),
    ],
)  # fmt: skip
def test_bad_resources_are_refused_with_the_problem_named(
    clinic, staff, client_record, instruments, change, status, named, where
):
    http = bearer(staff[Role.THERAPIST], clinic, "user/*.cruds")
    body = phq9_response(client_record.pk, [1] * 9) | change
    issues = _outcome(post(http, body), status)
    assert any(named in i["diagnostics"] and i["expression"] == [where] for i in issues), issues
    nothing_saved()


def test_answers_outside_the_options_name_each_item(clinic, staff, client_record, instruments):
    http = bearer(staff[Role.THERAPIST], clinic, "user/QuestionnaireResponse.c")
    body = phq9_response(client_record.pk, [1] * 9)
    body["item"][3]["answer"] = [{"valueInteger": 4}]
    body["item"][5]["answer"] = [{"valueCoding": {"system": "http://loinc.org", "code": "LA1-1"}}]
    body["item"][6]["answer"] = [
        {
            "valueCoding": {
                "system": "http://loinc.org",
                "code": "LA6568-5",
                "extension": [
                    {"url": "http://hl7.org/fhir/StructureDefinition/itemWeight", "valueDecimal": 3}
                ],
            }
        }
    ]
    issues = _outcome(post(http, body), 422)
    assert [i["expression"] for i in issues] == [
        [f"QuestionnaireResponse.item[{n}].answer[0]"] for n in (3, 5, 6)
    ]
    assert "'4'" in issues[0]["diagnostics"] and "0 (Not at all)" in issues[0]["diagnostics"]
    assert "but its score says 3" in issues[2]["diagnostics"]
    nothing_saved()


def test_skip_logic_errors_from_the_service_name_the_item(
    clinic, staff, client_record, instruments
):
    http = bearer(staff[Role.THERAPIST], clinic, "user/QuestionnaireResponse.c")
    body = {
        "resourceType": "QuestionnaireResponse",
        "questionnaire": "urn:kapcare:questionnaire:cssrs_screener",
        "status": "completed",
        "subject": {"reference": f"Patient/{client_record.pk}"},
        "item": [
            {"linkId": "1", "answer": [{"valueInteger": 0}]},
            {"linkId": "2", "answer": [{"valueInteger": 0}]},
            {"linkId": "3", "answer": [{"valueInteger": 1}]},
        ],
    }
    issues = _outcome(post(http, body), 422)
    assert issues[0]["expression"] == ["QuestionnaireResponse.item[2]"]
    assert issues[0]["diagnostics"].startswith("linkId '3'")
    nothing_saved()


@pytest.mark.parametrize("who", ["stranger", "not_on_team", "front_desk", "other_clinic"])
def test_a_subject_the_token_may_not_enter_measures_for_is_403(
    clinic, other_clinic, staff, client_record, instruments, who
):
    user = staff[Role.THERAPIST]
    patient = client_record.pk
    if who == "stranger":
        patient = 999_999
    elif who == "not_on_team":
        patient = ClientFactory(clinic=clinic).pk
    elif who == "front_desk":
        user = staff[Role.FRONT_DESK]
    else:
        patient = ClientFactory(clinic=other_clinic).pk
    http = bearer(user, clinic, "user/QuestionnaireResponse.c")
    issues = _outcome(post(http, phq9_response(patient, [3] * 9)), 403)
    assert issues[0]["expression"] == ["QuestionnaireResponse.subject"]
    assert issues[0]["diagnostics"].startswith(f"Patient/{patient} is not known")
    nothing_saved()


def test_create_needs_the_scope_and_a_write_capable_token(
    clinic, staff, client_record, instruments
):
    read_only = bearer(staff[Role.THERAPIST], clinic, "user/QuestionnaireResponse.rs")
    _outcome(post(read_only, phq9_response(client_record.pk, [0] * 9)), 403)
    admin = make_staff(clinic, Role.CLINIC_ADMIN)
    system = bearer(admin, clinic, "system/*.rs")
    _outcome(post(system, phq9_response(client_record.pk, [0] * 9)), 403)
    nothing_saved()


def test_malformed_nul_and_huge_bodies_are_refused(clinic, staff, client_record, instruments):
    http = bearer(staff[Role.THERAPIST], clinic, "user/QuestionnaireResponse.c")
    issues = _outcome(post(http, '{"resourceType": "QuestionnaireResponse",'), 400)
    assert "not valid JSON" in issues[0]["diagnostics"]
    issues = _outcome(post(http, "[1, 2]"), 400)
    assert "JSON object" in issues[0]["diagnostics"]
    _outcome(post(http, phq9_response(client_record.pk, [0] * 9), "text/plain"), 415)
    with_nul = phq9_response(client_record.pk, [0] * 9, id="a\u0000b")
    refused = post(http, with_nul)
    assert refused.status_code == 400
    if refused["Content-Type"].startswith(FHIR_JSON):
        assert refused.json()["resourceType"] == "OperationOutcome"
    huge = phq9_response(client_record.pk, [0] * 9)
    huge["text"] = {"status": "generated", "div": "x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1)}
    refused = post(http, huge)
    assert refused.status_code in (400, 413)
    if refused["Content-Type"].startswith(FHIR_JSON):
        assert refused.status_code == 413
        assert refused.json()["issue"][0]["code"] == "too-costly"
    nothing_saved()
