"""SMART on FHIR scopes for API tokens: what a token may do, whatever its user may do.

A token's scopes narrow its user's access; they never widen it (except that a `system/` scope,
held only by a clinic admin's integration token, reads clinic-wide; see INTEGRATION_READ).

Grammar (SMART App Launch 2.x, "Scopes and Launch Context"): `context/Resource.perms`, where
context is `user` or `system`, Resource a resource type or `*`, and perms the v2 letters `c r u
d s` (create, read, update, delete, search) in that order, or the v1 words `read` (= rs),
`write` (= cud) and `*` (= cruds). `patient/` scopes belong to apps a client launches, which
needs the client portal; they are refused with that reason rather than accepted and ignored.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

# The pseudo-role an Actor holds when it acts through a `system/` token: clinic-wide read of
# clinical records (kapcare.clients.permissions.POLICY). Never a Membership role.
INTEGRATION_READ = "integration_read"

CONTEXTS = ("user", "system")
V2_ORDER = "cruds"
V1_WORDS = {"read": "rs", "write": "cud", "*": "cruds"}
READ_ONLY = frozenset("rs")

# Resource names a scope may name, filled by the API apps in AppConfig.ready (the FHIR
# resource types and the REST API's own, e.g. LedgerEntry), so a typo is refused when the
# token is issued instead of silently granting nothing.
KNOWN_RESOURCES: set[str] = set()

_SCOPE = re.compile(
    r"^(?P<context>[a-z]+)/(?P<resource>\*|[A-Z][A-Za-z]{0,63})\.(?P<perms>[a-z*]+)$"
)


class ScopeError(ValueError):
    """A scope string kapcare does not grant, with the reason in words."""


@dataclass(frozen=True)
class Scope:
    context: str
    resource: str
    permissions: frozenset[str]

    def __str__(self) -> str:
        letters = "".join(p for p in V2_ORDER if p in self.permissions)
        return f"{self.context}/{self.resource}.{letters}"

    def covers(self, resource: str, permission: str) -> bool:
        return self.resource in ("*", resource) and permission in self.permissions


def parse_scope(text: str) -> Scope:
    if "?" in text:
        raise ScopeError(f"{text}: scopes with search parameters are not supported.")
    match = _SCOPE.match(text)
    if not match:
        raise ScopeError(
            f"{text}: not a scope; write context/Resource.permissions, e.g. user/Patient.rs."
        )
    context, resource, perms = match["context"], match["resource"], match["perms"]
    if context == "patient":
        raise ScopeError(f"{text}: patient/ scopes are for apps a client launches from the portal.")
    if context not in CONTEXTS:
        raise ScopeError(f"{text}: the context must be user/ or system/.")
    if resource != "*" and resource not in KNOWN_RESOURCES:
        raise ScopeError(f"{text}: kapcare has no resource type {resource}.")
    if perms in V1_WORDS:
        letters = V1_WORDS[perms]
    elif re.fullmatch("c?r?u?d?s?", perms) and perms:
        letters = perms
    else:
        raise ScopeError(
            f"{text}: permissions are letters from c r u d s in that order, or read, write or *."
        )
    permissions = frozenset(letters)
    if context == "system" and not permissions <= READ_ONLY:
        raise ScopeError(f"{text}: system/ scopes read and search only (r, s or read).")
    return Scope(context, resource, permissions)


@dataclass(frozen=True)
class ScopeSet:
    scopes: tuple[Scope, ...]

    @classmethod
    def parse(cls, text: str) -> ScopeSet:
        """Space-separated scopes; every one must parse (the first error is raised)."""
        words = text.split()
        if not words:
            raise ScopeError("Give at least one scope, e.g. user/*.rs.")
        scopes: list[Scope] = []
        for word in words:
            scope = parse_scope(word)
            if scope not in scopes:
                scopes.append(scope)
        return cls(tuple(scopes))

    def __str__(self) -> str:
        return " ".join(str(s) for s in self.scopes)

    def allows(self, resource: str, permission: str) -> bool:
        return any(s.covers(resource, permission) for s in self.scopes)

    @property
    def is_system(self) -> bool:
        return any(s.context == "system" for s in self.scopes)

    def resources(self) -> Iterable[str]:
        return {s.resource for s in self.scopes}
