"""The FHIR REST interactions: capabilities, search, read and create (FHIR R4 "http")."""

from __future__ import annotations

import zoneinfo

from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from kapcare.accounts.api_tokens import ApiAccess
from kapcare.fhir import engine, registry
from kapcare.fhir.auth import request_access, require
from kapcare.fhir.capability import capability_statement
from kapcare.fhir.errors import FhirError
from kapcare.fhir.http import fhir_response, fhir_view, json_body


def _access(request: HttpRequest) -> ApiAccess:
    access = request_access(request)
    # Dates in searches and answers without a zone are the clinic's, as in the UI.
    timezone.activate(zoneinfo.ZoneInfo(access.actor.clinic.time_zone))
    return access


@fhir_view
@require_GET
def metadata(request: HttpRequest) -> HttpResponse:
    """The CapabilityStatement is public, as FHIR clients read it before they authenticate."""
    return fhir_response(capability_statement(engine.base_url(request)))


@fhir_view
@require_http_methods(["GET", "POST"])
def type_endpoint(request: HttpRequest, resource_type: str) -> HttpResponse:
    rtype = registry.get(resource_type)
    access = _access(request)
    if request.method == "GET":
        return fhir_response(engine.search(request, access, rtype, request.GET))
    return _create(request, access, rtype)


@fhir_view
@require_http_methods(["POST"])
def search_post(request: HttpRequest, resource_type: str) -> HttpResponse:
    """`POST [type]/_search` with the parameters form-encoded (for queries too long for a URL)."""
    rtype = registry.get(resource_type)
    if request.content_type != "application/x-www-form-urlencoded":
        raise FhirError(415, "POST _search takes application/x-www-form-urlencoded parameters.")
    params = request.GET.copy()
    for key in request.POST:
        params.setlist(key, params.getlist(key) + request.POST.getlist(key))
    return fhir_response(engine.search(request, _access(request), rtype, params))


@fhir_view
@require_GET
def instance(request: HttpRequest, resource_type: str, ident: str) -> HttpResponse:
    rtype = registry.get(resource_type)
    return fhir_response(engine.read(request, _access(request), rtype, ident))


def _create(request: HttpRequest, access: ApiAccess, rtype: registry.ResourceType) -> HttpResponse:
    require(access, rtype.name, "c")
    if "create" not in rtype.writes:
        raise FhirError(405, f"{rtype.name} cannot be created through the API.")
    body = json_body(request, rtype.name)
    row = rtype.create(access, body)
    resource = rtype.resource(row)
    location = f"{engine.base_url(request)}/{rtype.name}/{resource['id']}"
    return fhir_response(resource, 201, {"Location": location})
