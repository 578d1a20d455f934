from collections.abc import Callable
from functools import wraps

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.utils.translation import gettext as _

from kapcare.accounts.actor import Actor


def require_actor(request: HttpRequest) -> Actor:
    actor = getattr(request, "actor", None)
    if actor is None:
        raise PermissionDenied(
            _("Your account is not attached to a clinic. Ask your clinic admin.")
        )
    return actor


def staff_required(*roles: str) -> Callable:
    """A staff page: the user works at a clinic and, when `roles` are given, holds one of them."""

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def wrapper(request: HttpRequest, *args, **kwargs):
            actor = require_actor(request)
            if roles and not actor.has_role(*roles):
                raise PermissionDenied(_("Your role does not include this page."))
            return view(request, *args, **kwargs)

        return wrapper

    return decorator
