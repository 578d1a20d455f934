"""Driving a Bulk Data export the way a client does: kick-off, run the task, poll, download."""

from __future__ import annotations

import json

from fhir.resources.R4B import get_fhir_model_class

from kapcare.fhir.tasks import run_export_task

ASYNC = {"HTTP_PREFER": "respond-async", "HTTP_ACCEPT": "application/fhir+json"}


def kick_off(http, path: str = "/fhir/$export", **params):
    return http.get(path, params, **ASYNC)


def job_id(response) -> str:
    assert response.status_code == 202, response.content
    return response["Content-Location"].rsplit("/", 1)[1]


def run(http, path: str = "/fhir/$export", **params) -> dict:
    """Kick off, run the export task (tests use the dummy backend) and return the manifest."""
    ident = job_id(kick_off(http, path, **params))
    run_export_task.call(ident)
    status = http.get(f"/fhir/$export-status/{ident}")
    assert status.status_code == 200, status.content
    return status.json()


def lines(http, url: str) -> list[dict]:
    """A file's resources, each validated with fhir.resources (R4B)."""
    response = http.get(url)
    assert response.status_code == 200, response.content
    assert response["Content-Type"] == "application/fhir+ndjson"
    resources = []
    for line in b"".join(response.streaming_content).splitlines():
        resource = json.loads(line)
        get_fhir_model_class(resource["resourceType"]).model_validate(resource)
        resources.append(resource)
    return resources


def by_type(http, manifest: dict) -> dict[str, list[dict]]:
    found: dict[str, list[dict]] = {}
    for entry in manifest["output"]:
        found.setdefault(entry["type"], []).extend(lines(http, entry["url"]))
    return found
