"""The clinical endpoints: scope, care-team isolation, bounded queries, audit, and writes
through the same services as the clinic (a PHQ-9 with item 9 ≥ 1 raises the same alert)."""

import pytest

from kapcare.accounts.models import Role
from kapcare.audit.models import AuditAction, AuditEvent
from kapcare.measures.models import Response, RiskAlert
from tests.api.conftest import phq9
from tests.api_helpers import bearer
from tests.factories import make_staff

pytestmark = pytest.mark.django_db

# list path → the scope resource it needs
CLINICAL = {
    "courses": "EpisodeOfCare",
    "measure-assignments": "ServiceRequest",
    "responses": "QuestionnaireResponse",
    "risk-alerts": "Flag",
    "dosing-sessions": "Encounter",
    "care-team-members": "CareTeam",
}


def client_ids(response) -> set[int]:
    assert response.status_code == 200, response.content
    return {row["client"] for row in response.json()["results"]}


def test_each_list_needs_its_scope_and_shows_only_the_care_teams_clients(
    clinic, staff, make_clinical_client
):
    mine = make_clinical_client()
    other = make_clinical_client(therapist=make_staff(clinic, Role.THERAPIST))
    http = bearer(staff[Role.THERAPIST], clinic)
    narrow = bearer(staff[Role.THERAPIST], clinic, "user/Patient.rs")
    for path, resource in CLINICAL.items():
        assert client_ids(http.get(f"/api/v1/{path}/")) == {mine.pk}, path
        assert client_ids(http.get(f"/api/v1/{path}/?client={mine.pk}")) == {mine.pk}
        hidden = http.get(f"/api/v1/{path}/?client={other.pk}")
        assert hidden.status_code == 404 and hidden.json()["error"]["code"] == "not_found"
        denied = narrow.get(f"/api/v1/{path}/")
        assert denied.status_code == 403, path
        assert denied.json()["error"]["code"] == "permission_denied"
        assert resource in denied.json()["error"]["message"]
    # Reading another team's records by id: 404, as in the UI.
    for row in (
        Response.objects.get(client=other),
        RiskAlert.objects.get(client=other),
        other.courses.get(),
        other.dosing_sessions.get(),
    ):
        path = {
            "Response": "responses",
            "RiskAlert": "risk-alerts",
            "TreatmentCourse": "courses",
            "DosingSession": "dosing-sessions",
        }[type(row).__name__]
        assert http.get(f"/api/v1/{path}/{row.pk}/").status_code == 404
        assert http.get(f"/api/v1/{path}/{row.pk + 1000}/").status_code == 404


def test_front_desk_sees_the_client_but_not_the_clinical_record(
    clinic, staff, make_clinical_client
):
    client = make_clinical_client()
    http = bearer(staff[Role.FRONT_DESK], clinic)
    assert http.get(f"/api/v1/clients/{client.pk}/").status_code == 200
    assert http.get("/api/v1/responses/").json()["results"] == []
    refused = http.get(f"/api/v1/responses/?client={client.pk}")
    assert refused.status_code == 403 and refused.json()["error"]["status"] == 403


def test_list_queries_do_not_grow_with_rows(
    clinic, staff, make_clinical_client, django_assert_max_num_queries
):
    http = bearer(staff[Role.THERAPIST], clinic)
    for count in (2, 12):
        while Response.objects.count() < count:
            make_clinical_client()
        for path in [*CLINICAL, "clients", "instrument-definitions"]:
            with django_assert_max_num_queries(9):
                response = http.get(f"/api/v1/{path}/?page_size=20")
            assert len(response.json()["results"]) >= min(count, 6), path


def test_reads_are_audited_with_the_clients_shown(clinic, staff, make_clinical_client):
    client = make_clinical_client()
    http = bearer(staff[Role.THERAPIST], clinic)
    http.get("/api/v1/responses/")
    listed = AuditEvent.objects.get(object_type="api.response.list")
    assert listed.action == AuditAction.LIST and listed.details["client_ids"] == [client.pk]
    assert listed.details["api_token_id"]
    alert = RiskAlert.objects.get()
    http.get(f"/api/v1/risk-alerts/{alert.pk}/")
    read = AuditEvent.objects.get(object_type="api.risk_alert")
    assert read.action == AuditAction.VIEW and read.client_id == client.pk


def test_phq9_with_item9_recorded_through_the_api_raises_the_clinics_alert(
    clinic, staff, make_clinical_client
):
    client = make_clinical_client(item9=0)
    http = bearer(staff[Role.THERAPIST], clinic)
    body = {"client": client.pk, "instrument": "phq9", "answers": phq9(item9=2)}
    created = http.post("/api/v1/responses/", body, content_type="application/json")
    assert created.status_code == 201, created.content
    data = created.json()
    assert data["total"] == 10 and data["instrument_code"] == "phq9"
    alert = RiskAlert.objects.get(response_id=data["id"])
    assert alert.rule == "phq9_item9" and alert.is_open
    created_event = AuditEvent.objects.get(
        action=AuditAction.CREATE, object_type="response", object_id=str(data["id"])
    )
    assert created_event.details["api_token_id"]
    listed = http.get(f"/api/v1/risk-alerts/?client={client.pk}&open=true").json()["results"]
    assert [a["id"] for a in listed] == [alert.pk]
    # Acknowledging needs Flag.u and says what was done.
    reader = bearer(staff[Role.THERAPIST], clinic, "user/Flag.rs")
    path = f"/api/v1/risk-alerts/{alert.pk}/acknowledge/"
    assert (
        reader.post(path, {"action_taken": "x"}, content_type="application/json").status_code == 403
    )
    blank = http.post(path, {"action_taken": " "}, content_type="application/json")
    assert blank.status_code == 422 and "action_taken" in blank.json()["error"]["fields"]
    done = http.post(
        path, {"action_taken": "Called; safety plan."}, content_type="application/json"
    )
    assert done.status_code == 200 and done.json()["is_open"] is False
    closed = http.get(f"/api/v1/risk-alerts/?client={client.pk}&open=false").json()["results"]
    assert [a["id"] for a in closed] == [alert.pk]


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ({"instrument": "phq9", "answers": {"9": 1}}, 400, "client"),
        ({"instrument": "phq9", "answers": {"1": "often"}}, 400, "answers"),
        ({"instrument": "nope", "answers": {"1": 1}}, 422, "instrument"),
        ({"instrument": "phq9", "answers": {"1": 7}}, 422, "item_1"),
        ({"instrument": "phq9", "answers": {"42": 1}}, 422, "item_42"),
    ],
)
def test_bad_responses_are_refused_with_the_field_and_nothing_saved(
    clinic, staff, make_clinical_client, body, status, field
):
    client = make_clinical_client(item9=0)
    http = bearer(staff[Role.THERAPIST], clinic)
    before = (Response.objects.count(), RiskAlert.objects.count(), AuditEvent.objects.count())
    if field != "client":
        body = {"client": client.pk, **body}
    refused = http.post("/api/v1/responses/", body, content_type="application/json")
    assert refused.status_code == status, refused.content
    error = refused.json()["error"]
    assert error["status"] == status and field in error["fields"]
    after = (Response.objects.count(), RiskAlert.objects.count(), AuditEvent.objects.count())
    assert after == before


def test_a_response_for_another_teams_client_is_404_and_not_saved(
    clinic, staff, make_clinical_client
):
    other = make_clinical_client(therapist=make_staff(clinic, Role.THERAPIST), item9=0)
    http = bearer(staff[Role.THERAPIST], clinic)
    body = {"client": other.pk, "instrument": "phq9", "answers": phq9()}
    before = Response.objects.count()
    assert http.post("/api/v1/responses/", body, content_type="application/json").status_code == 404
    assert Response.objects.count() == before


def test_response_filters(clinic, staff, make_clinical_client):
    client = make_clinical_client(item9=0)
    http = bearer(staff[Role.THERAPIST], clinic)
    today = clinic.today().isoformat()
    assert len(http.get(f"/api/v1/responses/?date_from={today}").json()["results"]) == 1
    assert http.get("/api/v1/responses/?date_to=2000-01-01").json()["results"] == []
    assert http.get("/api/v1/responses/?instrument=gad7").json()["results"] == []
    bad = http.get("/api/v1/responses/?date_from=yesterday")
    assert bad.status_code == 400 and "date_from" in bad.json()["error"]["fields"]
    assert http.get(f"/api/v1/measure-assignments/?client={client.pk}&status=pending").json()[
        "results"
    ]
    assert http.get("/api/v1/dosing-sessions/?status=nope").status_code == 400
    defs = http.get("/api/v1/instrument-definitions/").json()["results"]
    assert "phq9" in {d["code"] for d in defs}


def test_a_system_token_reads_the_whole_clinic_and_writes_nothing(
    clinic, staff, make_clinical_client
):
    mine = make_clinical_client(item9=0)
    other = make_clinical_client(therapist=make_staff(clinic, Role.THERAPIST), item9=0)
    integration = bearer(staff[Role.CLINIC_ADMIN], clinic, "system/*.rs")
    assert client_ids(integration.get("/api/v1/responses/")) == {mine.pk, other.pk}
    body = {"client": mine.pk, "instrument": "phq9", "answers": phq9()}
    before = Response.objects.count()
    refused = integration.post("/api/v1/responses/", body, content_type="application/json")
    assert refused.status_code == 403 and Response.objects.count() == before
