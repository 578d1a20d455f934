import pytest

from kapcare.accounts.models import Membership, Role
from tests.api_helpers import bearer
from tests.factories import make_staff
from tests.fhir.helpers import ids, read, resources, search

pytestmark = pytest.mark.django_db


def test_practitioners_are_the_clinics_staff(clinic, other_clinic, staff):
    outsider = make_staff(other_clinic, Role.THERAPIST)
    therapist = staff[Role.THERAPIST]
    therapist.credentials = "LCSW, MD"
    therapist.save()
    http = bearer(staff[Role.FRONT_DESK], clinic, "user/Practitioner.rs")
    bundle = search(http, "/fhir/Practitioner", {"_count": 100})
    assert bundle["total"] == len(Role.values)
    assert str(outsider.pk) not in ids(bundle, "Practitioner")
    found = read(http, f"/fhir/Practitioner/{therapist.pk}")
    assert found["name"][0]["text"] == "therapist user"
    assert found["telecom"] == [{"system": "email", "value": therapist.email, "use": "work"}]
    assert [q["code"]["text"] for q in found["qualification"]] == ["LCSW", "MD"]
    read(http, f"/fhir/Practitioner/{outsider.pk}", status=404)


def test_practitioner_search_parameters(clinic, staff):
    ada = make_staff(clinic, Role.NURSE, full_name="Ada Lovelace", email="ada@clinic.test")
    gone = make_staff(clinic, Role.NURSE, full_name="Ada Gone", is_active=False)
    http = bearer(staff[Role.THERAPIST], clinic, "user/*.rs")
    assert ids(search(http, "/fhir/Practitioner", {"name": "love"}), "Practitioner") == [
        str(ada.pk)
    ]
    assert ids(
        search(http, "/fhir/Practitioner", {"email": "ADA@clinic.test"}), "Practitioner"
    ) == [str(ada.pk)]
    inactive = search(http, "/fhir/Practitioner", {"active": "false"})
    assert ids(inactive, "Practitioner") == [str(gone.pk)]
    assert search(http, "/fhir/Practitioner", {"active": "maybe"}, status=400)
    by_name = search(http, "/fhir/Practitioner", {"name": "ada", "_sort": "-name"})
    assert ids(by_name, "Practitioner") == [str(ada.pk), str(gone.pk)]


def test_practitioner_roles_with_their_practitioner_and_organization(clinic, other_clinic, staff):
    nurse = staff[Role.NURSE]
    Membership.objects.create(clinic=clinic, user=nurse, role=Role.CLINIC_ADMIN)
    make_staff(other_clinic, Role.NURSE)
    http = bearer(staff[Role.FRONT_DESK], clinic, "user/*.rs")
    bundle = search(
        http,
        "/fhir/PractitionerRole",
        {
            "practitioner": f"Practitioner/{nurse.pk}",
            "_include": ["PractitionerRole:practitioner", "PractitionerRole:organization"],
        },
    )
    roles = resources(bundle, "PractitionerRole")
    assert sorted(r["code"][0]["coding"][0]["code"] for r in roles) == ["clinic_admin", "nurse"]
    assert roles[0]["code"][0]["coding"][0]["system"] == "urn:kapcare:role"
    assert roles[0]["organization"]["reference"] == f"Organization/{clinic.pk}"
    assert ids(bundle, "Practitioner") == [str(nurse.pk)]
    assert ids(bundle, "Organization") == [str(clinic.pk)]
    nurses = search(http, "/fhir/PractitionerRole", {"role": "urn:kapcare:role|nurse"})
    assert [r["practitioner"]["reference"] for r in resources(nurses, "PractitionerRole")] == [
        f"Practitioner/{nurse.pk}"
    ]
    everyone = search(http, "/fhir/PractitionerRole", {"organization": f"Organization/{clinic.pk}"})
    assert everyone["total"] == len(Role.values) + 1
    assert search(http, "/fhir/PractitionerRole", {"role": "surgeon"}, status=400)
    assert search(http, "/fhir/PractitionerRole", {"practitioner": "Patient/1"}, status=400)


@pytest.mark.parametrize("rows", [2, 12])
def test_staff_pages_are_bounded(clinic, staff, rows, django_assert_max_num_queries):
    for _ in range(rows):
        make_staff(clinic, Role.NURSE, mfa=False, credentials="RN")
    http = bearer(staff[Role.THERAPIST], clinic, "user/*.rs")
    with django_assert_max_num_queries(12):
        search(http, "/fhir/Practitioner", {"_count": 100})
    with django_assert_max_num_queries(12):
        search(
            http,
            "/fhir/PractitionerRole",
            {"_count": 100, "_include": "PractitionerRole:practitioner"},
        )


def test_scope_missing_is_403(clinic, staff):
    http = bearer(staff[Role.CLINIC_ADMIN], clinic, "user/Practitioner.rs")
    search(http, "/fhir/PractitionerRole", status=403)
    include = {"_include": "PractitionerRole:practitioner"}
    only_roles = bearer(staff[Role.CLINIC_ADMIN], clinic, "user/PractitionerRole.rs")
    search(only_roles, "/fhir/PractitionerRole", include, status=403)
    read(http, f"/fhir/Practitioner/{staff[Role.NURSE].pk}")
