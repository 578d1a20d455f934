"""Auditing what a response showed, not what was asked for.

A page or export that reveals health information queues its audit event with `audit_shown`
while it builds the response; the request middleware writes the queued events once the response
is known, and only when it is a 2xx with content (a page or file was actually delivered, including the 200
re-render of an invalid form, which shows the record again). A 404 (unknown format, unseen
record), a 403 or a redirect writes nothing: writes are audited by the services they call.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.http import HttpRequest, HttpResponseBase

from kapcare.audit.services import record_event

if TYPE_CHECKING:
    from kapcare.accounts.actor import Actor

_QUEUE = "_kapcare_audit_shown"


def was_shown(response: HttpResponseBase) -> bool:
    """True when the response delivered a page or a file: a 2xx with content (a 204 from an
    unchanged HTMX panel showed nothing new)."""
    return 200 <= response.status_code < 300 and response.status_code not in (204, 205)


def audit_shown(request: HttpRequest, *, actor: Actor, **event: Any) -> None:
    """Record `event` (record_event's keywords) if, and when, the response shows it."""
    queue = getattr(request, _QUEUE, None)
    if queue is None:
        queue = []
        setattr(request, _QUEUE, queue)
    queue.append({"actor": actor, **event})


def write_shown(request: HttpRequest, response: HttpResponseBase) -> None:
    """Called once per request by the middleware, after the response is built."""
    queue = getattr(request, _QUEUE, None)
    if not queue:
        return
    setattr(request, _QUEUE, [])
    if was_shown(response):
        for event in queue:
            record_event(**event)
