import pytest

from kapcare.accounts.models import Role
from tests.api_helpers import bearer
from tests.factories import ClientFactory, put_on_team
from tests.fhir.helpers import ids, read, resources, search

pytestmark = pytest.mark.django_db


def test_a_clinician_sees_the_teams_they_are_on(clinic, staff, client_record):
    other = ClientFactory(clinic=clinic)
    put_on_team(other, staff[Role.PRESCRIBER], Role.PRESCRIBER)
    http = bearer(staff[Role.THERAPIST], clinic, "user/CareTeam.rs")
    bundle = search(http, "/fhir/CareTeam")
    [team] = resources(bundle, "CareTeam")
    assert team["id"] == str(client_record.pk)
    assert team["status"] == "active"
    assert team["subject"] == {"reference": f"Patient/{client_record.pk}"}
    members = {
        (p["member"]["reference"], p["role"][0]["coding"][0]["code"]) for p in team["participant"]
    }
    assert members == {
        (f"Practitioner/{staff[role].pk}", role)
        for role in (Role.THERAPIST, Role.PRESCRIBER, Role.NURSE)
    }
    read(http, f"/fhir/CareTeam/{other.pk}", status=404)
    # Front desk sees every client's demographics and care team, as in the UI.
    desk = bearer(staff[Role.FRONT_DESK], clinic, "user/CareTeam.rs")
    assert sorted(ids(search(desk, "/fhir/CareTeam"), "CareTeam")) == sorted(
        [str(client_record.pk), str(other.pk)]
    )


def test_search_by_patient_and_participant(clinic, staff, client_record):
    other = ClientFactory(clinic=clinic)
    put_on_team(other, staff[Role.PRESCRIBER], Role.PRESCRIBER)
    put_on_team(other, staff[Role.PRESCRIBER], Role.NURSE)
    http = bearer(staff[Role.CLINIC_ADMIN], clinic, "user/CareTeam.rs")
    prescriber = f"Practitioner/{staff[Role.PRESCRIBER].pk}"
    both = search(http, "/fhir/CareTeam", {"participant": prescriber})
    assert sorted(ids(both, "CareTeam")) == sorted([str(client_record.pk), str(other.pk)])
    assert both["total"] == 2  # two roles on one team is still one team
    therapist = f"http://testserver/fhir/Practitioner/{staff[Role.THERAPIST].pk}"
    assert ids(search(http, "/fhir/CareTeam", {"participant": therapist}), "CareTeam") == [
        str(client_record.pk)
    ]
    assert ids(search(http, "/fhir/CareTeam", {"patient": f"Patient/{other.pk}"}), "CareTeam") == [
        str(other.pk)
    ]
    assert ids(search(http, "/fhir/CareTeam", {"subject": str(other.pk)}), "CareTeam") == [
        str(other.pk)
    ]
    assert search(http, "/fhir/CareTeam", {"status": "inactive"})["total"] == 0
    search(http, "/fhir/CareTeam", {"status": "sleeping"}, status=400)
    search(http, "/fhir/CareTeam", {"participant": "Patient/1"}, status=400)


@pytest.mark.parametrize("rows", [2, 12])
def test_pages_are_bounded(clinic, staff, rows, django_assert_max_num_queries):
    for _ in range(rows):
        record = ClientFactory(clinic=clinic)
        put_on_team(record, staff[Role.THERAPIST], Role.THERAPIST)
        put_on_team(record, staff[Role.NURSE], Role.NURSE)
    http = bearer(staff[Role.THERAPIST], clinic, "user/*.rs")
    query = {"_count": 100, "_include": ["CareTeam:participant", "CareTeam:patient"]}
    with django_assert_max_num_queries(12):
        bundle = search(http, "/fhir/CareTeam", query)
    assert bundle["total"] == rows
    assert len(resources(bundle, "Patient")) == rows
    assert sorted(ids(bundle, "Practitioner")) == sorted(
        str(staff[role].pk) for role in (Role.THERAPIST, Role.NURSE)
    )


def test_scope_missing_is_403(clinic, staff, client_record):
    http = bearer(staff[Role.THERAPIST], clinic, "user/Patient.rs")
    search(http, "/fhir/CareTeam", status=403)
    read(http, f"/fhir/CareTeam/{client_record.pk}", status=403)
