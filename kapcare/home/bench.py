"""The benchmark's two floors and its query counter (bench/README.md).

Everything here is reachable only when KAPCARE_BENCH_VIEWS is on, which only the benchmark
server sets: kapcare/urls.py adds the URLs and settings.py the middleware under that setting.

- `bare`: a Django view that needs no sign-in, requested without cookies, so the middleware
  stack runs but loads no session and reads nothing from the database. It is the cost of
  Django and the middleware themselves.
- `floor`: a view that does nothing, reached by a signed-in, verified staff member through the
  full stack (session, user, second factor, clinic context, idle timeout). Every staff page
  pays at least this much; a page's ratio to it is the cost of the page itself.
"""

from collections.abc import Callable

from django.contrib.auth.decorators import login_not_required
from django.db import connections
from django.http import HttpRequest, HttpResponse

from kapcare.accounts.decorators import require_actor

QUERY_COUNT_HEADER = "X-Query-Count"


@login_not_required
def bare(request: HttpRequest) -> HttpResponse:
    return HttpResponse(b"ok", content_type="text/plain")


def floor(request: HttpRequest) -> HttpResponse:
    # The same gate every staff page passes: a verified member of a clinic.
    require_actor(request)
    return HttpResponse(b"ok", content_type="text/plain")


class QueryCountMiddleware:
    """Count the SQL statements a request runs, on every connection, into X-Query-Count.

    The benchmark reads the count from the server that served the page, so it includes the
    session, authentication and audit queries exactly as production runs them.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        count = 0

        def counter(execute, sql, params, many, context):
            nonlocal count
            count += 1
            return execute(sql, params, many, context)

        wrappers = [connections[alias].execute_wrapper(counter) for alias in connections]
        for wrapper in wrappers:
            wrapper.__enter__()
        try:
            response = self.get_response(request)
        finally:
            for wrapper in reversed(wrappers):
                wrapper.__exit__(None, None, None)
        response[QUERY_COUNT_HEADER] = str(count)
        return response
