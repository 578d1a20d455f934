import pytest

from kapcare.accounts.actor import Actor
from kapcare.accounts.models import Role
from kapcare.measures import services
from kapcare.measures.models import InstrumentDefinition
from kapcare.measures.services.alerts import acknowledge_alert
from kapcare.measures.services.instruments import ensure_shipped_instruments
from tests.api_helpers import bearer
from tests.factories import ClientFactory, put_on_team
from tests.fhir.helpers import ids, read, resources, search
from tests.measures.conftest import phq9

pytestmark = pytest.mark.django_db


@pytest.fixture
def phq9_definition(clinic):
    ensure_shipped_instruments(clinic=clinic)
    return InstrumentDefinition.objects.get(clinic=clinic, code="phq9", is_active=True)


def _alert(clinic, user, client, definition):
    response = services.record_response(
        actor=Actor.for_user(user, clinic), client=client, definition=definition,
        answers=phq9(4, item9=2),
    )  # fmt: skip
    return response.alerts.get()


def test_open_then_acknowledged(clinic, staff, client_record, phq9_definition):
    therapist = staff[Role.THERAPIST]
    alert = _alert(clinic, therapist, client_record, phq9_definition)
    http = bearer(therapist, clinic, "user/Flag.rs")
    flag = read(http, f"/fhir/Flag/{alert.pk}")
    assert flag["status"] == "active"
    assert flag["category"][0]["coding"][0]["code"] == "clinical"
    assert flag["code"]["coding"][0] == {"system": "urn:kapcare:risk-rule", "code": alert.rule}
    assert flag["code"]["text"].startswith(alert.summary)
    assert flag["subject"] == {"reference": f"Patient/{client_record.pk}"}
    assert "end" not in flag["period"]
    assert ids(search(http, "/fhir/Flag", {"status": "active"}), "Flag") == [str(alert.pk)]
    acknowledge_alert(actor=Actor.for_user(therapist, clinic), alert=alert, action_taken="Called")
    closed = read(http, f"/fhir/Flag/{alert.pk}")
    assert closed["status"] == "inactive"
    assert closed["period"]["end"]
    assert search(http, "/fhir/Flag", {"status": "active"})["total"] == 0
    assert (
        search(http, "/fhir/Flag", {"status": "inactive", "patient": str(client_record.pk)})[
            "total"
        ]
        == 1
    )
    year = alert.raised_at.year
    assert (
        search(http, "/fhir/Flag", {"date": f"ge{year}", "subject": f"Patient/{client_record.pk}"})[
            "total"
        ]
        == 1
    )
    search(http, "/fhir/Flag", {"status": "open"}, status=400)


def test_clinical_visibility(clinic, staff, client_record, phq9_definition):
    other = ClientFactory(clinic=clinic)
    put_on_team(other, staff[Role.PRESCRIBER], Role.PRESCRIBER)
    unseen = _alert(clinic, staff[Role.PRESCRIBER], other, phq9_definition)
    mine = _alert(clinic, staff[Role.THERAPIST], client_record, phq9_definition)
    therapist = bearer(staff[Role.THERAPIST], clinic, "user/Flag.rs")
    assert ids(search(therapist, "/fhir/Flag"), "Flag") == [str(mine.pk)]
    read(therapist, f"/fhir/Flag/{unseen.pk}", status=404)
    desk = bearer(staff[Role.FRONT_DESK], clinic, "user/Flag.rs")
    assert search(desk, "/fhir/Flag")["total"] == 0
    system = bearer(staff[Role.CLINIC_ADMIN], clinic, "system/Flag.rs")
    assert search(system, "/fhir/Flag")["total"] == 2


@pytest.mark.parametrize("rows", [2, 12])
def test_pages_are_bounded(
    clinic, staff, client_record, phq9_definition, rows, django_assert_max_num_queries
):
    for _ in range(rows):
        _alert(clinic, staff[Role.THERAPIST], client_record, phq9_definition)
    http = bearer(staff[Role.THERAPIST], clinic, "user/*.rs")
    with django_assert_max_num_queries(12):
        bundle = search(http, "/fhir/Flag", {"_count": 100, "_include": "Flag:patient"})
    assert len(resources(bundle, "Flag")) == rows
    assert ids(bundle, "Patient") == [str(client_record.pk)]


def test_scope_missing_is_403(clinic, staff, client_record, phq9_definition):
    alert = _alert(clinic, staff[Role.THERAPIST], client_record, phq9_definition)
    http = bearer(staff[Role.THERAPIST], clinic, "user/Patient.rs")
    search(http, "/fhir/Flag", status=403)
    read(http, f"/fhir/Flag/{alert.pk}", status=403)
