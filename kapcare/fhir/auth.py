"""Bearer tokens on FHIR requests: the same tokens, rules and scopes as the REST API."""

from __future__ import annotations

from django.http import HttpRequest

from kapcare.accounts.api_tokens import ApiAccess, TokenRejected, access_for
from kapcare.audit.request_meta import client_ip, user_agent
from kapcare.fhir.errors import FhirError

CHALLENGE = {"WWW-Authenticate": 'Bearer realm="kapcare FHIR"'}
VERBS = {"c": "create", "r": "read", "u": "update", "d": "delete", "s": "search"}


def request_access(request: HttpRequest) -> ApiAccess:
    scheme, _, raw = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not raw.strip():
        raise FhirError(
            401, "Send an access token: Authorization: Bearer <token>.", headers=CHALLENGE
        )
    try:
        return access_for(
            raw,
            ip_address=client_ip(request),
            user_agent=user_agent(request),
            request_id=getattr(request, "request_id", ""),
        )
    except TokenRejected as error:
        raise FhirError(401, str(error), headers=CHALLENGE) from None


def require(access: ApiAccess, resource: str, permission: str) -> None:
    """403 unless the token's scopes allow `permission` (c r u d s) on `resource`."""
    if not access.allows(resource, permission):
        raise FhirError(
            403,
            f"The token's scopes ({access.scopes}) do not allow {VERBS[permission]} of {resource}.",
        )
