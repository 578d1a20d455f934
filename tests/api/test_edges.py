"""What the API answers before any view: NUL characters, oversized bodies, unknown paths, in
the API's own error shape (JSON on /api/, OperationOutcome on /fhir/); the schema and its
Swagger UI under the site's CSP."""

import re

import pytest
from django.core.management import call_command

from kapcare.accounts.models import Role
from kapcare.clients.models import Client
from tests.api_helpers import bearer

pytestmark = pytest.mark.django_db


def test_nul_and_oversized_bodies_get_the_apis_error_shape(clinic, staff, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    http = bearer(staff[Role.FRONT_DESK], clinic)
    before = Client.objects.count()
    nul = http.post(
        "/api/v1/clients/", '{"first_name": "A\\u0000"}', content_type="application/json"
    )
    assert nul.status_code == 400 and nul["Content-Type"] == "application/json"
    assert nul.json()["error"]["code"] == "invalid"
    assert http.get("/api/v1/clients/?search=a%00b").json()["error"]["status"] == 400
    huge = http.post(
        "/api/v1/clients/", '{"first_name": "' + "x" * 5000 + '"}', content_type="application/json"
    )
    assert huge.status_code == 413 and huge.json()["error"]["code"] == "too_large"
    fhir = http.post("/fhir/Patient", "x" * 5000, content_type="application/fhir+json")
    assert fhir.status_code == 413 and fhir.json()["resourceType"] == "OperationOutcome"
    fhir_nul = http.get("/fhir/Patient?name=a%00")
    assert fhir_nul.status_code == 400 and fhir_nul.json()["resourceType"] == "OperationOutcome"
    assert Client.objects.count() == before
    # The staff site keeps its plain answer.
    assert http.get("/clients/?q=a%00").status_code == 400


def test_unknown_api_path_is_a_json_404(clinic, staff):
    http = bearer(staff[Role.THERAPIST], clinic)
    for path in ("/api/v1/no-such/1.5/", "/api/v1/", "/api/", "/api/v1/clients.json"):
        missing = http.get(path)
        assert missing.status_code == 404, path
        assert missing.json()["error"]["code"] == "not_found"


def test_unauthenticated_is_401_in_the_error_shape(db, client):
    response = client.get("/api/v1/clients/")
    assert response.status_code == 401
    assert response.json()["error"]["status"] == 401
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_schema_validates_and_declares_bearer_security_and_errors():
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", "/dev/null")


def test_schema_document(client):
    schema = client.get("/api/schema/?format=json")
    assert schema.status_code == 200
    document = schema.json()
    assert document["components"]["securitySchemes"]["bearerToken"]["scheme"] == "bearer"
    assert {"bearerToken": []} in document.get("security", []) or all(
        {"bearerToken": []} in op["security"]
        for item in document["paths"].values()
        for op in item.values()
    )
    create = document["paths"]["/api/v1/responses/"]["post"]["responses"]
    for status in ("201", "400", "401", "403", "404", "422"):
        assert status in create
    assert create["422"]["content"]["application/json"]["schema"]["$ref"].endswith("/Error")


def test_swagger_ui_loads_its_assets_locally_under_the_csp(client):
    page = client.get("/api/docs/")
    assert page.status_code == 200
    csp = page["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "cdn" not in page.content.decode().lower()
    sources = re.findall(r'<script[^>]+src="([^"]+)"', page.content.decode())
    assert sources and all(s.startswith("/") for s in sources)
    # No inline script or style: the CSP forbids both.
    assert "<script>" not in page.content.decode() and "<style" not in page.content.decode()
    for source in sources:
        asset = client.get(source)
        assert asset.status_code == 200, source
        assert "javascript" in asset["Content-Type"], source
