"""What happens when an intake is completed, filled in by the domains above clients.

Clients sits below screening, so it cannot call screening itself: screening registers its
reaction here in `AppConfig.ready` (as dosing registers its gates with courses)."""

from __future__ import annotations

from collections.abc import Callable

from kapcare.accounts.actor import Actor

IntakeHook = Callable[..., None]
INTAKE_COMPLETED: list[IntakeHook] = []


def on_intake_completed(hook: IntakeHook) -> None:
    """Register `hook(actor=, intake=)`, called inside the transaction that saved the intake."""
    if hook not in INTAKE_COMPLETED:
        INTAKE_COMPLETED.append(hook)


def intake_completed(*, actor: Actor, intake) -> None:
    for hook in INTAKE_COMPLETED:
        hook(actor=actor, intake=intake)
