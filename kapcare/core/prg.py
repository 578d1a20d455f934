"""Post/redirect/get for action URLs.

A form posts to an action URL (administer, discharge, review…). When the post fails, the view
re-renders the page at that URL with the errors; a reload or Back then asks the action URL
with GET. `post_action` makes that GET lead to the page that holds the form instead of a dead
405 page.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect
from django.urls import NoReverseMatch, reverse


def page_url(name: str, kwargs: dict) -> str:
    """`name` reversed with the longest leading run of `kwargs` it takes (URL kwargs arrive
    in the URL's order: client, then session, then check…)."""
    items = list(kwargs.items())
    for end in range(len(items), -1, -1):
        try:
            return reverse(name, kwargs=dict(items[:end]))
        except NoReverseMatch:
            continue
    raise NoReverseMatch(name)


def post_action(page: str, *, get: Callable[..., HttpResponse] | None = None):
    """POST runs the view. GET and HEAD show the page: `get(request, **kwargs)` when given,
    else a redirect to the URL named `page` (with the URL's leading kwargs)."""

    def decorator(view):
        @wraps(view)
        def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            if request.method == "POST":
                return view(request, *args, **kwargs)
            if request.method in ("GET", "HEAD"):
                if get is not None:
                    return get(request, *args, **kwargs)
                return redirect(page_url(page, kwargs))
            return HttpResponseNotAllowed(["GET", "POST"])

        wrapped.post_action_page = page
        return wrapped

    return decorator
