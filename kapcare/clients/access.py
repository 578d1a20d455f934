"""The gateway every client page goes through: permission, 404 for the unseen, one audit row."""

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _

from kapcare.accounts.decorators import require_actor
from kapcare.audit.models import AuditAction
from kapcare.audit.shown import audit_shown
from kapcare.clients.models import Client
from kapcare.clients.permissions import ClientAction, allowed_actions, get_client_for_actor_or_404
from kapcare.clients.tabs import tabs_for


def client_page(action: ClientAction = ClientAction.VIEW, page: str = "") -> Callable:
    """Resolve `client_id` to a Client the actor may `action`, and audit the page it shows.

    The view receives the client instead of its id and `request.client_actions` holds what else
    the actor may do (for tabs and buttons). A response that shows the client's information
    (any 2xx, including a POST whose invalid form is shown again) writes exactly one VIEW event
    (naming `request.audited` if the view set it to the record it showed); redirects and 4xx
    write none (kapcare.audit.shown), and writes are audited by the services they call.
    """

    def decorator(view: Callable) -> Callable:
        page_label = (page or view.__name__).replace("_", " ")

        @wraps(view)
        def wrapper(request: HttpRequest, client_id: int, *args, **kwargs) -> HttpResponse:
            actor = require_actor(request)
            client = get_client_for_actor_or_404(actor, client_id, action)
            request.client_actions = allowed_actions(actor, client)
            response = view(request, client, *args, **kwargs)
            # A page about one record (a note, a screening) names it via request.audited.
            shown = getattr(request, "audited", None)
            audit_shown(
                request,
                actor=actor,
                action=AuditAction.VIEW,
                client=client,
                object_type=shown._meta.model_name if shown else f"client.{page or view.__name__}",
                object_id=shown.pk if shown else client.pk,
                summary=_("Opened %(page)s") % {"page": page_label},
            )
            return response

        return wrapper

    return decorator


def client_page_context(request: HttpRequest, client: Client, tab: str, **extra: Any) -> dict:
    """The context every client page renders with: the client, its tabs and what the actor may do.

    Every app's client page (screening, consent, course, measures, dosing…) builds its context
    here so the tab bar and the action buttons read the same `request.client_actions` that
    `client_page` resolved.
    """
    return {
        "client": client,
        "tabs": tabs_for(request.client_actions, client),
        "active_tab": tab,
        "client_actions": request.client_actions,
        **extra,
    }
