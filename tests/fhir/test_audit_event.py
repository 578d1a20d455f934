import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from kapcare.accounts.actor import Actor
from kapcare.accounts.models import Role
from kapcare.audit.models import AuditAction
from kapcare.audit.models import AuditEvent as AuditRow
from kapcare.audit.services import record_event
from tests.api_helpers import bearer
from tests.fhir.helpers import ids, next_url, read, resources, search

pytestmark = pytest.mark.django_db

DCM = "http://dicom.nema.org/resources/ontology/DCM"


@pytest.fixture
def admin(clinic, staff):
    return bearer(staff[Role.CLINIC_ADMIN], clinic, "user/AuditEvent.rs")


def test_an_event_as_fhir(clinic, staff, client_record, admin):
    therapist = Actor.for_user(staff[Role.THERAPIST], clinic, ip_address="203.0.113.5")
    viewed = record_event(
        actor=therapist, action=AuditAction.VIEW, client=client_record, summary="Opened the record"
    )
    event = read(admin, f"/fhir/AuditEvent/{viewed.pk}")
    assert event["type"] == {"system": DCM, "code": "110110", "display": "Patient Record"}
    assert event["action"] == "R"
    assert event["outcome"] == "0"
    [agent] = event["agent"]
    assert agent["who"]["reference"] == f"Practitioner/{staff[Role.THERAPIST].pk}"
    assert agent["requestor"] is True
    assert agent["network"] == {"address": "203.0.113.5", "type": "2"}
    assert event["source"]["observer"] == {"reference": f"Organization/{clinic.pk}"}
    assert event["entity"][0]["what"] == {"reference": f"Patient/{client_record.pk}"}
    by_system = record_event(actor=Actor.system(clinic), action=AuditAction.UPDATE, summary="Swept")
    event = read(admin, f"/fhir/AuditEvent/{by_system.pk}")
    assert event["agent"][0]["who"] == {"display": "kapcare"}
    assert event["action"] == "U"
    assert "entity" not in event
    # Reading the trail is recorded as the audit log page's reads are: naming no client.
    reads = AuditRow.objects.filter(object_type="fhir.AuditEvent", action=AuditAction.VIEW)
    assert reads.count() == 2
    assert not reads.exclude(client=None).exists()


def test_search_parameters_newest_first_without_counting(clinic, staff, client_record, admin):
    therapist = Actor.for_user(staff[Role.THERAPIST], clinic)
    made = [
        record_event(actor=therapist, action=action, client=client_record)
        for action in (AuditAction.VIEW, AuditAction.CREATE, AuditAction.UPDATE)
    ]
    patient = {"patient": f"Patient/{client_record.pk}"}
    with CaptureQueriesContext(connection) as queries:
        bundle = search(admin, "/fhir/AuditEvent", {**patient, "_count": 2})
    assert not [q for q in queries if "COUNT(" in q["sql"] and "audit_auditevent" in q["sql"]]
    assert "total" not in bundle
    assert ids(bundle, "AuditEvent") == [str(made[2].pk), str(made[1].pk)]
    rest = search(admin, next_url(bundle))
    assert ids(rest, "AuditEvent") == [str(made[0].pk)]
    assert next_url(rest) is None
    created = search(admin, "/fhir/AuditEvent", {**patient, "action": "C"})
    assert ids(created, "AuditEvent") == [str(made[1].pk)]
    agent = {"agent": f"Practitioner/{staff[Role.THERAPIST].pk}", "_sort": "date"}
    assert ids(search(admin, "/fhir/AuditEvent", agent), "AuditEvent") == [str(e.pk) for e in made]
    day = made[0].occurred_at.astimezone(clinic.zone).date().isoformat()
    assert (
        len(resources(search(admin, "/fhir/AuditEvent", {**patient, "date": day}), "AuditEvent"))
        == 3
    )
    assert not resources(
        search(admin, "/fhir/AuditEvent", {**patient, "date": "lt2000"}), "AuditEvent"
    )
    search(admin, "/fhir/AuditEvent", {"action": "X"}, status=400)
    search(admin, "/fhir/AuditEvent", {"agent": "Patient/1"}, status=400)


def test_only_clinic_admins_see_the_trail(clinic, other_clinic, staff, client_record):
    elsewhere = record_event(actor=Actor.system(other_clinic), action=AuditAction.UPDATE)
    for role in (Role.THERAPIST, Role.FRONT_DESK):
        http = bearer(staff[role], clinic, "user/AuditEvent.rs")
        outcome = search(http, "/fhir/AuditEvent", status=403)
        assert outcome["issue"][0]["code"] == "forbidden"
    system = bearer(staff[Role.CLINIC_ADMIN], clinic, "system/AuditEvent.rs")
    assert search(system, "/fhir/AuditEvent")["entry"]
    read(system, f"/fhir/AuditEvent/{elsewhere.pk}", status=404)


@pytest.mark.parametrize("rows", [2, 12])
def test_pages_are_bounded(
    clinic, staff, client_record, admin, rows, django_assert_max_num_queries
):
    therapist = Actor.for_user(staff[Role.THERAPIST], clinic, ip_address="198.51.100.7")
    for _ in range(rows):
        record_event(actor=therapist, action=AuditAction.VIEW, client=client_record)
    with django_assert_max_num_queries(10):
        bundle = search(admin, "/fhir/AuditEvent", {"_count": 100})
    assert len(resources(bundle, "AuditEvent")) >= rows


def test_scope_missing_is_403(clinic, staff):
    http = bearer(staff[Role.CLINIC_ADMIN], clinic, "user/Patient.rs")
    search(http, "/fhir/AuditEvent", status=403)
    read(http, "/fhir/AuditEvent/1", status=403)
