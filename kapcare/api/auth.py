"""DRF authentication and scope checks over kapcare.accounts.api_tokens."""

from __future__ import annotations

from rest_framework import authentication, exceptions, permissions
from rest_framework.request import Request

from kapcare.accounts.api_tokens import ApiAccess, TokenRejected, access_for
from kapcare.audit.request_meta import client_ip, user_agent

# HTTP method → SMART permission letter. A list is a search (s); one object is a read (r).
WRITE_PERMISSIONS = {"POST": "c", "PUT": "u", "PATCH": "u", "DELETE": "d"}


class BearerTokenAuthentication(authentication.BaseAuthentication):
    keyword = "Bearer"

    def authenticate(self, request: Request):
        scheme, _, raw = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() != "bearer":
            return None
        try:
            access = access_for(
                raw,
                ip_address=client_ip(request._request),
                user_agent=user_agent(request._request),
                request_id=getattr(request._request, "request_id", ""),
            )
        except TokenRejected as error:
            raise exceptions.AuthenticationFailed(str(error)) from None
        return access.actor.user, access

    def authenticate_header(self, request: Request) -> str:
        return f'{self.keyword} realm="kapcare API"'


def api_access(request: Request) -> ApiAccess:
    assert isinstance(request.auth, ApiAccess)
    return request.auth


def needed_permission(request: Request, view) -> str:
    # An action that changes a record by POST (acknowledging an alert) says which letter it is.
    action_letters = getattr(view, "scope_letters", {})
    if getattr(view, "action", None) in action_letters:
        return action_letters[view.action]
    if request.method in WRITE_PERMISSIONS:
        return WRITE_PERMISSIONS[request.method]
    return "s" if getattr(view, "action", None) == "list" else "r"


class HasScope(permissions.BasePermission):
    """The token's scopes must allow this request on the view's `scope_resource`."""

    message = "The token's scopes do not allow this."

    def has_permission(self, request: Request, view) -> bool:
        if not isinstance(request.auth, ApiAccess):
            return False
        resource = getattr(view, "scope_resource", None)
        if resource is None:  # a view that names no resource is closed, not open
            return False
        permission = needed_permission(request, view)
        if request.auth.allows(resource, permission):
            return True
        self.message = (
            f"The token's scopes ({request.auth.scopes}) do not allow "
            f"{permission} on {resource}; ask for e.g. user/{resource}.{permission}."
        )
        return False
