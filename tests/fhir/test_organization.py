import pytest

from kapcare.accounts.models import Role
from kapcare.audit.models import AuditAction, AuditEvent
from tests.api_helpers import bearer
from tests.fhir.helpers import ids, read, resources, search

pytestmark = pytest.mark.django_db


def test_a_token_sees_its_own_clinic_only(clinic, other_clinic, staff):
    clinic.phone = "555-0100"
    clinic.city = "Portland"
    clinic.save()
    http = bearer(staff[Role.FRONT_DESK], clinic, "user/Organization.rs")
    bundle = search(http, "/fhir/Organization")
    assert bundle["total"] == 1
    [organization] = resources(bundle, "Organization")
    assert organization["id"] == str(clinic.pk)
    assert organization["name"] == "Harbor Light"
    assert organization["telecom"] == [{"system": "phone", "value": "555-0100", "use": "work"}]
    assert organization["address"][0]["city"] == "Portland"
    read(http, f"/fhir/Organization/{clinic.pk}")
    read(http, f"/fhir/Organization/{other_clinic.pk}", status=404)
    assert AuditEvent.objects.filter(object_type="fhir.Organization", action=AuditAction.VIEW)


def test_name_search(clinic, staff):
    http = bearer(staff[Role.THERAPIST], clinic, "user/Organization.rs")
    assert ids(search(http, "/fhir/Organization", {"name": "harbor"}), "Organization") == [
        str(clinic.pk)
    ]
    assert search(http, "/fhir/Organization", {"name": "elsewhere"})["total"] == 0


def test_the_patient_reference_resolves(clinic, staff, client_record):
    http = bearer(staff[Role.THERAPIST], clinic, "user/Patient.rs user/Organization.rs")
    patient = read(http, f"/fhir/Patient/{client_record.pk}")
    read(http, f"/fhir/{patient['managingOrganization']['reference']}")


def test_scope_missing_is_403(clinic, staff):
    http = bearer(staff[Role.CLINIC_ADMIN], clinic, "user/Patient.rs")
    assert read(http, f"/fhir/Organization/{clinic.pk}", status=403)["issue"][0]["code"] == (
        "forbidden"
    )
    search(http, "/fhir/Organization", status=403)
