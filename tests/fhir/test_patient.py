import pytest
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.patient import Patient

from kapcare.accounts.models import Role
from kapcare.audit.models import AuditAction, AuditEvent
from tests.api_helpers import bearer
from tests.factories import ClientFactory, put_on_team

pytestmark = pytest.mark.django_db


def test_search_shows_only_the_care_teams_clients(clinic, staff, client_record):
    ClientFactory(clinic=clinic, last_name="Elsewhere")
    http = bearer(staff[Role.THERAPIST], clinic, "user/Patient.rs")
    response = http.get("/fhir/Patient")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/fhir+json")
    bundle = Bundle.model_validate(response.json())
    assert bundle.total == 1
    patient = bundle.entry[0].resource
    assert patient.id == str(client_record.pk)
    assert patient.name[0].family == "Ashby"
    event = AuditEvent.objects.filter(object_type="fhir.Patient").get()
    assert event.action == AuditAction.LIST
    assert event.details["client_ids"] == [client_record.pk]
    assert event.details["api_token_id"]


def test_read_unseen_patient_is_404_outcome(clinic, staff, client_record):
    stranger = ClientFactory(clinic=clinic)
    http = bearer(staff[Role.THERAPIST], clinic, "user/Patient.rs")
    response = http.get(f"/fhir/Patient/{stranger.pk}")
    assert response.status_code == 404
    assert response.json()["resourceType"] == "OperationOutcome"
    ok = http.get(f"/fhir/Patient/{client_record.pk}")
    assert ok.status_code == 200
    Patient.model_validate(ok.json())
    assert AuditEvent.objects.filter(action=AuditAction.VIEW, client=client_record).exists()


def test_scope_missing_is_403_and_no_token_401(clinic, staff, client_record):
    http = bearer(staff[Role.THERAPIST], clinic, "user/Flag.rs")
    response = http.get("/fhir/Patient")
    assert response.status_code == 403
    assert response.json()["issue"][0]["code"] == "forbidden"
    anonymous = http.__class__("nope").get("/fhir/Patient")
    assert anonymous.status_code == 401
    assert "Bearer" in anonymous["WWW-Authenticate"]


def test_search_parameters_and_paging(clinic, staff):
    therapist = staff[Role.THERAPIST]
    for index in range(5):
        put_on_team(
            ClientFactory(clinic=clinic, last_name=f"Moss{index}"), therapist, Role.THERAPIST
        )
    http = bearer(therapist, clinic, "user/*.rs")
    page = http.get("/fhir/Patient", {"family": "moss", "_count": 2, "_sort": "-family"}).json()
    assert page["total"] == 5
    assert [e["resource"]["name"][0]["family"] for e in page["entry"]] == ["Moss4", "Moss3"]
    following = next(link["url"] for link in page["link"] if link["relation"] == "next")
    second = http.get(following).json()
    assert [e["resource"]["name"][0]["family"] for e in second["entry"]] == ["Moss2", "Moss1"]


@pytest.mark.parametrize(
    "query",
    [
        {"colour": "red"},
        {"birthdate": "xx2020"},
        {"birthdate": "2020-13-01"},
        {"_count": "-1"},
        {"_sort": "shoe"},
        {"family:exact": "Moss"},
        {"_format": "xml"},
    ],
)
def test_bad_search_is_400_outcome(clinic, staff, query):
    http = bearer(staff[Role.THERAPIST], clinic, "user/*.rs")
    response = http.get("/fhir/Patient", query)
    assert response.status_code in (400, 406)
    assert response.json()["resourceType"] == "OperationOutcome"


def test_metadata_lists_patient(db):
    from django.test import Client

    statement = Client().get("/fhir/metadata").json()
    types = {r["type"] for r in statement["rest"][0]["resource"]}
    assert "Patient" in types
