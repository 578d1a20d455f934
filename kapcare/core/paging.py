"""Helpers for paginated list pages."""

from django.http import HttpRequest


def query_without_page(request: HttpRequest) -> str:
    """The request's filters as a query string, minus `page`, for the pager's links (and for
    exports that should take the same filters)."""
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()
