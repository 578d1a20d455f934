from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from kapcare.audit.request_meta import request_id_from_header
from kapcare.audit.shown import write_shown


class RequestIdMiddleware:
    """Give every request an id that the audit trail, the logs and the response share, and
    write the audit events of what the response showed once it is known (kapcare.audit.shown)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.request_id = request_id_from_header(request.headers.get("X-Request-ID"))
        response = self.get_response(request)
        write_shown(request, response)
        response["X-Request-ID"] = request.request_id
        return response
