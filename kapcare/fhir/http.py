"""FHIR over HTTP: JSON in and out as application/fhir+json, every failure an OperationOutcome."""

from __future__ import annotations

import functools
import json
import logging
from typing import Any

from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import PermissionDenied, RequestDataTooBig, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt

from kapcare.fhir.errors import FhirError

FHIR_JSON = "application/fhir+json"
JSON_TYPES = (FHIR_JSON, "application/json")
# `_format` values meaning JSON (FHIR R4 "http.html#mime-type"); XML is not served.
JSON_FORMATS = {"json", "application/json", FHIR_JSON, "application/json+fhir"}

logger = logging.getLogger(__name__)


def fhir_response(
    body: dict, status: int = 200, headers: dict[str, str] | None = None
) -> HttpResponse:
    response = HttpResponse(
        json.dumps(body, ensure_ascii=False, separators=(",", ":")),
        status=status,
        content_type=f"{FHIR_JSON}; charset=utf-8",
    )
    for name, value in (headers or {}).items():
        response[name] = value
    return response


def error_response(error: FhirError) -> HttpResponse:
    return fhir_response(error.outcome(), error.status, error.headers)


def validation_problems(error: ValidationError) -> list[tuple[str, str]]:
    """A service's ValidationError as (message, FHIRPath-ish location) pairs."""
    if hasattr(error, "error_dict"):
        return [
            (" ".join(str(m) for m in ValidationError(messages).messages), field)
            for field, messages in error.error_dict.items()
        ]
    return [(message, "") for message in error.messages]


def fhir_view(view):
    """Mark a view as a FHIR endpoint: bearer tokens instead of a session (so no CSRF and no
    sign-in redirect), and every error as an OperationOutcome with its status. A Django
    ValidationError from a service is a business-rule failure: 422."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            fmt = request.GET.get("_format")
            if fmt is not None and fmt not in JSON_FORMATS:
                raise FhirError(406, f"_format={fmt}: this server speaks FHIR JSON only.")
            return view(request, *args, **kwargs)
        except FhirError as error:
            return error_response(error)
        except ValidationError as error:
            return error_response(
                FhirError(422, "; ".join(error.messages), problems=validation_problems(error))
            )
        except PermissionDenied as error:
            return error_response(FhirError(403, str(error) or "Not allowed."))
        except Http404 as error:
            return error_response(FhirError(404, str(error) or "Not found."))
        except RequestDataTooBig:
            return error_response(FhirError(413, "The request body is too large."))
        finally:
            timezone.deactivate()

    return csrf_exempt(login_not_required(wrapper))


def _find_nul(value: Any, where: str) -> str | None:
    if isinstance(value, str):
        return where if "\x00" in value else None
    if isinstance(value, dict):
        for key, item in value.items():
            found = _find_nul(key, where) or _find_nul(item, f"{where}.{key}" if where else key)
            if found:
                return found
    if isinstance(value, list):
        for index, item in enumerate(value):
            found = _find_nul(item, f"{where}[{index}]")
            if found:
                return found
    return None


def json_body(request: HttpRequest, resource_type: str) -> dict:
    """The request's resource, checked for what every write needs: JSON, an object, the right
    resourceType, no NUL characters. Field-level checks are the mapping's and the service's."""
    content_type = request.content_type or ""
    if content_type not in JSON_TYPES:
        raise FhirError(415, f"Send the resource as {FHIR_JSON} (got {content_type or 'nothing'}).")
    try:
        body = json.loads(request.body)
    except (ValueError, UnicodeDecodeError) as error:
        raise FhirError(400, f"The body is not valid JSON: {error}.") from None
    if not isinstance(body, dict):
        raise FhirError(400, "The body must be a JSON object (one FHIR resource).")
    if body.get("resourceType") != resource_type:
        raise FhirError(
            400,
            f"resourceType must be {resource_type}, not {body.get('resourceType')!r}.",
            expression="resourceType",
        )
    where = _find_nul(body, "")
    if where is not None:
        raise FhirError(
            400,
            "A value holds a NUL character, which is not allowed.",
            expression=where or resource_type,
        )
    return body
