import pytest

from kapcare.accounts.models import Role
from tests.api_helpers import bearer
from tests.factories import ClientFactory

pytestmark = pytest.mark.django_db


def test_clients_list_is_the_care_team_and_errors_have_one_shape(clinic, staff, client_record):
    ClientFactory(clinic=clinic)
    http = bearer(staff[Role.THERAPIST], clinic, "user/Patient.rs")
    body = http.get("/api/v1/clients/").json()
    assert [c["id"] for c in body["results"]] == [client_record.pk]
    denied = bearer(staff[Role.THERAPIST], clinic, "user/Flag.rs").get("/api/v1/clients/")
    assert denied.status_code == 403
    assert denied.json()["error"]["code"] == "permission_denied"
    missing = http.get("/api/v1/clients/999999/")
    assert missing.status_code == 404
    assert set(missing.json()["error"]) >= {"status", "code", "message"}
