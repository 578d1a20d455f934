"""Request hygiene that every view relies on, applied once at the edge."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.utils.translation import gettext as _

NUL = "\x00"

# (status, message) -> response, by path prefix: an API answers refusals at the edge in its own
# error shape (JSON on /api/, OperationOutcome on /fhir/), since its clients parse nothing else.
# Filled by those apps' AppConfig.ready; core never imports them.
EdgeResponder = Callable[[int, str], HttpResponse]
EDGE_RESPONDERS: dict[str, EdgeResponder] = {}


def register_edge_responder(path_prefix: str, responder: EdgeResponder) -> None:
    EDGE_RESPONDERS[path_prefix] = responder


def _responder_for(path: str) -> EdgeResponder | None:
    for prefix, responder in EDGE_RESPONDERS.items():
        if path.startswith(prefix):
            return responder
    return None


def _declared_length(request: HttpRequest) -> int:
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return 0


def _any_nul(values: Iterable[object]) -> bool:
    return any(isinstance(value, str) and NUL in value for value in values)


def _querydict_has_nul(data) -> bool:
    return any(NUL in key or _any_nul(data.getlist(key)) for key in data)


def request_has_nul(request: HttpRequest) -> bool:
    """True when the path, a header, a cookie, a query or form field (name or value), an
    uploaded file's name or a JSON body holds a NUL character. PostgreSQL refuses NUL in text,
    so such a value would otherwise fail deep in a view or in the audit recorder."""
    if NUL in request.path_info:
        return True
    if _any_nul(v for k, v in request.META.items() if k.startswith("HTTP_") or k == "QUERY_STRING"):
        return True
    if _any_nul(request.COOKIES) or _any_nul(request.COOKIES.values()):
        return True
    if _querydict_has_nul(request.GET):
        return True
    if request.method in ("GET", "HEAD", "OPTIONS"):
        return False
    content_type = request.content_type or ""
    if content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
        if _querydict_has_nul(request.POST):
            return True
        return any(
            NUL in key or _any_nul(f.name for f in request.FILES.getlist(key))
            for key in request.FILES
        )
    if content_type.endswith("json"):
        return b"\x00" in request.body or b"\\u0000" in request.body
    return False


class RejectNulMiddleware:
    """Answer 400 to any request carrying a NUL character, before any view or audit row; under
    a registered API prefix also 413 to a body over DATA_UPLOAD_MAX_MEMORY_SIZE, in that
    API's error shape (elsewhere Django's own 400 answers an oversized form)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        responder = _responder_for(request.path_info)
        if responder is not None:
            limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
            if limit is not None and _declared_length(request) > limit:
                return responder(413, _("The request body is too large."))
        try:
            has_nul = request_has_nul(request)
        except RequestDataTooBig:
            if responder is None:
                raise
            return responder(413, _("The request body is too large."))
        if has_nul:
            message = _("The request holds a character that is not allowed (NUL).")
            if responder is not None:
                return responder(400, message)
            return HttpResponseBadRequest(message, content_type="text/plain; charset=utf-8")
        return self.get_response(request)
