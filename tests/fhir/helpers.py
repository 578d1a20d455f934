"""What every FHIR resource test checks: a searchset Bundle whose resources all validate."""

from __future__ import annotations

from fhir.resources.R4B import get_fhir_model_class
from fhir.resources.R4B.bundle import Bundle


def search(http, path: str, query: dict | None = None, status: int = 200) -> dict:
    """GET a search; the Bundle and every resource in it validate with fhir.resources (R4B)."""
    response = http.get(path, query or {})
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/fhir+json")
    body = response.json()
    if status == 200:
        Bundle.model_validate(body)
        for entry in body.get("entry", []):
            resource = entry["resource"]
            get_fhir_model_class(resource["resourceType"]).model_validate(resource)
    return body


def resources(bundle: dict, resource_type: str) -> list[dict]:
    return [
        e["resource"]
        for e in bundle.get("entry", [])
        if e["resource"]["resourceType"] == resource_type
    ]


def ids(bundle: dict, resource_type: str) -> list[str]:
    return [r["id"] for r in resources(bundle, resource_type)]


def read(http, path: str, status: int = 200) -> dict:
    response = http.get(path)
    assert response.status_code == status, response.content
    body = response.json()
    if status == 200:
        get_fhir_model_class(body["resourceType"]).model_validate(body)
    else:
        assert body["resourceType"] == "OperationOutcome"
    return body


def next_url(bundle: dict) -> str | None:
    return next((link["url"] for link in bundle["link"] if link["relation"] == "next"), None)
