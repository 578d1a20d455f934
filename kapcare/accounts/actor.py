"""The per-request context every service and selector receives: who acts, for which clinic."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from kapcare.accounts.models import Clinic, User


@dataclass(frozen=True)
class Actor:
    """A user acting at one clinic in the roles they hold there, plus where the request came from.

    Services take `actor=` so that authorisation, clinic scoping and audit rows all come from
    one object, whether the call started in a view, the API or a management command.
    """

    user: User | None
    clinic: Clinic
    roles: frozenset[str] = field(default_factory=frozenset)
    ip_address: str | None = None
    user_agent: str = ""
    request_id: str = ""
    # The API token the request came with (kapcare.accounts.api_tokens); audit rows name it.
    api_token_id: int | None = None

    def has_role(self, *roles: str) -> bool:
        return bool(self.roles.intersection(roles))

    @property
    def clinic_id(self) -> int:
        return self.clinic.pk

    @classmethod
    def for_user(
        cls, user: User, clinic: Clinic, roles: Iterable[str] | None = None, **request_meta
    ) -> Actor:
        if roles is None:
            roles = user.memberships.filter(clinic=clinic).values_list("role", flat=True)
        return cls(user=user, clinic=clinic, roles=frozenset(roles), **request_meta)

    @classmethod
    def system(cls, clinic: Clinic, request_id: str = "system") -> Actor:
        """kapcare itself acting (demo loader, scheduled tasks): no user, no roles."""
        return cls(user=None, clinic=clinic, roles=frozenset(), request_id=request_id)


def staff_user(actor: Actor) -> User:
    """The member of staff acting. A staff write passes a role or permission check first and
    the system actor holds no roles, so a user is always there by the time this is asked."""
    assert actor.user is not None
    return actor.user
