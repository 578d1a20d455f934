"""Bulk Data over HTTP (FHIR Bulk Data Access 2.0): kick-off, status, cancel, file download.

GET {base}/$export, {base}/Patient/$export, {base}/Group/{id}/$export
    Prefer: respond-async → 202, Content-Location: {base}/$export-status/{job}
GET {status}   → 202 with X-Progress and Retry-After while it runs; 200 with the manifest
DELETE {status} → 202: the job is cancelled and its files deleted
GET {base}/$export-file/{job}/{Type}.{n}.ndjson → application/fhir+ndjson
"""

from __future__ import annotations

import datetime as dt
import re

from django.core.files.storage import default_storage
from django.http import FileResponse, HttpRequest, HttpResponse, JsonResponse
from django.utils.http import http_date
from django.views.decorators.http import require_GET, require_http_methods

from kapcare.audit.models import AuditAction
from kapcare.audit.shown import audit_shown
from kapcare.fhir import engine, exports
from kapcare.fhir.auth import request_access
from kapcare.fhir.errors import FhirError, issue, operation_outcome
from kapcare.fhir.http import fhir_response, fhir_view
from kapcare.fhir.models import ExportJob, ExportLevel, ExportStatus

NDJSON = "application/fhir+ndjson"
OUTPUT_FORMATS = {NDJSON, "application/ndjson", "ndjson"}
# Kick-off parameters served; the IG's optional ones (_elements, patient, _typeFilter,
# includeAssociatedData) are refused by name rather than ignored.
PARAMS = {"_type", "_since", "_outputFormat", "_format"}
ACCEPTED = ("application/fhir+json", "application/json", "*/*", "application/*")
INSTANT = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$")
RETRY_AFTER_SECONDS = 10


def _prefer(request: HttpRequest) -> set[str]:
    return {p.strip() for p in request.headers.get("Prefer", "").split(",") if p.strip()}


def parse_since(text: str) -> dt.datetime:
    # A `+` in a query string arrives as a space when the client did not encode it.
    text = text.strip().replace(" ", "+")
    if not INSTANT.match(text):
        raise FhirError(
            400,
            f"_since={text}: give a FHIR instant, with seconds and a zone "
            "(2026-01-31T09:00:00Z or …+01:00).",
            expression="_since",
        )
    whole, dot, rest = text.partition(".")
    if dot:  # Python reads at most microseconds
        digits = re.match(r"\d+", rest).group()  # type: ignore[union-attr]
        text = f"{whole}.{digits[:6]}{rest[len(digits) :]}"
    try:
        return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise FhirError(400, f"_since={text} is not a real time.", expression="_since") from None


def parse_types(request: HttpRequest) -> list[str] | None:
    values = request.GET.getlist("_type")
    if not values:
        return None
    names = [n.strip() for v in values for n in v.split(",")]
    if not all(names):
        raise FhirError(
            400, "_type is a comma-separated list of resource types.", expression="_type"
        )
    return list(dict.fromkeys(names))


def _check_request(request: HttpRequest) -> None:
    if "respond-async" not in _prefer(request):
        raise FhirError(400, "Bulk Data export runs asynchronously: send Prefer: respond-async.")
    accept = request.headers.get("Accept", "")
    if accept and not any(kind in accept for kind in ACCEPTED):
        raise FhirError(400, f"Accept: {accept}: send Accept: application/fhir+json.")
    unknown = sorted(set(request.GET) - PARAMS)
    if unknown and "handling=lenient" not in {p.replace(" ", "") for p in _prefer(request)}:
        raise FhirError(
            400,
            f"$export does not support {', '.join(unknown)} "
            f"(supported: {', '.join(sorted(PARAMS - {'_format'}))}).",
            code="not-supported",
            expression=unknown[0],
        )
    fmt = request.GET.get("_outputFormat")
    if fmt is not None and fmt not in OUTPUT_FORMATS:
        raise FhirError(
            400, f"_outputFormat={fmt}: only {NDJSON} is produced.", expression="_outputFormat"
        )


def _kick_off(request: HttpRequest, level: str, group_id: str | None = None) -> HttpResponse:
    access = request_access(request)
    _check_request(request)
    since = request.GET.get("_since")
    base = engine.base_url(request)
    job = exports.start_export(
        access=access,
        level=level,
        group_id=group_id,
        types=parse_types(request),
        since=parse_since(since) if since is not None else None,
        request_url=request.build_absolute_uri(),
        base_url=base,
    )
    outcome = operation_outcome(
        [issue("informational", f"Export {job.pk} accepted.", severity="information")]
    )
    return fhir_response(outcome, 202, {"Content-Location": f"{base}/$export-status/{job.pk}"})


@fhir_view
@require_GET
def export_system(request: HttpRequest) -> HttpResponse:
    return _kick_off(request, ExportLevel.SYSTEM)


@fhir_view
@require_GET
def export_patients(request: HttpRequest) -> HttpResponse:
    return _kick_off(request, ExportLevel.PATIENT)


@fhir_view
@require_GET
def export_group(request: HttpRequest, ident: str) -> HttpResponse:
    return _kick_off(request, ExportLevel.GROUP, ident)


def manifest(job: ExportJob) -> dict:
    def url(entry: dict) -> str:
        return f"{job.base_url}/$export-file/{job.pk}/{entry['name']}"

    assert job.transaction_time is not None
    return {
        "transactionTime": job.transaction_time.isoformat(),
        "request": job.request_url,
        "requiresAccessToken": True,
        "output": [{"type": e["type"], "url": url(e), "count": e["count"]} for e in job.output],
        "error": [{"type": e["type"], "url": url(e), "count": e["count"]} for e in job.errors],
    }


@fhir_view
@require_http_methods(["GET", "DELETE"])
def export_status(request: HttpRequest, job_id: str) -> HttpResponse:
    access = request_access(request)
    job = exports.job_for(access, job_id)
    if request.method == "DELETE":
        exports.cancel_export(access=access, job=job)
        outcome = operation_outcome(
            [issue("informational", f"Export {job.pk} cancelled.", severity="information")]
        )
        return fhir_response(outcome, 202)
    if job.status == ExportStatus.FAILED:
        raise FhirError(500, job.error, code="exception")
    if job.status != ExportStatus.COMPLETE:
        response = HttpResponse(status=202)
        response["X-Progress"] = (job.progress or job.get_status_display())[:100]
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response
    response = JsonResponse(manifest(job), json_dumps_params={"separators": (",", ":")})
    response["Expires"] = http_date(job.expires_at.timestamp())
    return response


@fhir_view
@require_GET
def export_file(request: HttpRequest, job_id: str, name: str) -> HttpResponse:
    access = request_access(request)
    job = exports.job_for(access, job_id)
    entry = next((e for e in [*job.output, *job.errors] if e["name"] == name), None)
    if job.status != ExportStatus.COMPLETE or entry is None:
        raise FhirError(404, f"Export {job_id} has no file {name}.")
    audit_shown(
        request,
        actor=access.actor,
        action=AuditAction.EXPORT,
        object_type="fhir.export_file",
        object_id=str(job.pk),
        summary=f"FHIR Bulk Data file {name} ({entry['count']} {entry['type']})",
        details={"job": str(job.pk), "file": name, "type": entry["type"], "count": entry["count"]},
    )
    return FileResponse(default_storage.open(entry["path"], "rb"), content_type=NDJSON)
