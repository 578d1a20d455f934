"""The CapabilityStatement validates, and states exactly what the engine does."""

import pytest
from django.test import Client
from fhir.resources.R4B.capabilitystatement import CapabilityStatement

from kapcare.accounts.models import Role
from kapcare.fhir import registry
from tests.api_helpers import bearer

pytestmark = pytest.mark.django_db

SERVED = {
    "Patient", "Organization", "Practitioner", "PractitionerRole", "CareTeam", "EpisodeOfCare",
    "Consent", "Flag", "AuditEvent",
}  # fmt: skip
# A value of each search parameter type that is well formed, whatever it matches.
SAMPLE = {"token": "x", "reference": "1", "date": "2026", "string": "a", "uri": "urn:x"}


def statement() -> dict:
    response = Client().get("/fhir/metadata")
    assert response.status_code == 200
    return response.json()


def test_it_validates_with_fhir_resources(db):
    parsed = CapabilityStatement.model_validate(statement())
    assert parsed.fhirVersion == "4.3.0"
    assert {r.type for r in parsed.rest[0].resource} >= SERVED


def test_each_types_search_parameters_are_exactly_the_engines(clinic, staff):
    resources = {r["type"]: r for r in statement()["rest"][0]["resource"]}
    assert set(resources) == {t.name for t in registry.all_types()}
    http = bearer(staff[Role.CLINIC_ADMIN], clinic, "system/*.rs")
    for rtype in registry.all_types():
        stated = resources[rtype.name]
        names = [p["name"] for p in stated["searchParam"]]
        assert names == list(rtype.all_params())
        assert len(set(names)) == len(names)
        assert {i["code"] for i in stated["interaction"]} == {"read", "search-type", *rtype.writes}
        for param in stated["searchParam"]:
            response = http.get(f"/fhir/{rtype.name}", {param["name"]: SAMPLE[param["type"]]})
            issues = response.json().get("issue", [])
            assert all(i["code"] != "not-supported" for i in issues), (rtype.name, param, issues)
        for key in ["_id", *rtype.sorts]:
            assert key in stated["documentation"]
            for order in (key, f"-{key}"):
                assert http.get(f"/fhir/{rtype.name}", {"_sort": order}).status_code == 200
        refused = http.get(f"/fhir/{rtype.name}", {"not-a-parameter": "1"})
        assert refused.status_code == 400
        assert refused.json()["issue"][0]["code"] == "not-supported"
        for include in stated.get("searchInclude", []):
            assert rtype.include(include.split(":")[1]) is not None
