"""One JSON error shape for the whole REST API:

    {"error": {"status": 400, "code": "invalid", "message": "…", "fields": {"name": ["…"]}}}

DRF's own errors, a service's ValidationError / PermissionDenied and Django's 404 all come out
this way, so a client handles one shape.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, JsonResponse
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler


def _fields(detail) -> dict[str, list[str]]:
    if isinstance(detail, dict):
        return {
            str(key): [str(m) for m in (value if isinstance(value, list) else [value])]
            for key, value in detail.items()
        }
    return {}


def _message(detail) -> str:
    if isinstance(detail, dict):
        first = next(iter(detail.values()), "")
        return _message(first)
    if isinstance(detail, list):
        return _message(detail[0]) if detail else ""
    return str(detail)


def error_body(status_code: int, code: str, message: str, fields: dict | None = None) -> dict:
    body = {"status": status_code, "code": code, "message": message}
    if fields:
        body["fields"] = fields
    return {"error": body}


def exception_handler(exc, context):
    if isinstance(exc, DjangoValidationError):
        detail = (
            exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        )
        exc = exceptions.ValidationError(detail)
        exc.status_code = status.HTTP_422_UNPROCESSABLE_ENTITY
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied(str(exc) or None)
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound(str(exc) or None)
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    detail = response.data
    code = getattr(exc, "default_code", "error")
    fields = _fields(detail) if isinstance(exc, exceptions.ValidationError) else {}
    if isinstance(detail, dict) and set(detail) == {"detail"}:
        detail = detail["detail"]
    response.data = error_body(response.status_code, code, _message(detail) or code, fields)
    return response


def error_response(status_code: int, code: str, message: str) -> Response:
    return Response(error_body(status_code, code, message), status=status_code)


# The code a refusal at the edge (kapcare.core.middleware) carries, by status.
EDGE_CODES = {400: "invalid", 413: "too_large"}


def edge_error(status_code: int, message: str, code: str = "") -> JsonResponse:
    """The error shape for a request refused before it reaches DRF (NUL, oversized body, no
    such endpoint)."""
    code = code or EDGE_CODES.get(status_code, "error")
    return JsonResponse(error_body(status_code, code, message), status=status_code)
