"""What happens when an intake is completed or an inquiry becomes a client, filled in by the
domains above clients.

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


ConvertedHook = Callable[..., None]
INQUIRY_CONVERTED: list[ConvertedHook] = []


def on_inquiry_converted(hook: ConvertedHook) -> None:
    """Register `hook(actor=, client=, condition=)`, called inside the transaction that turned an
    inquiry into a client (courses opens the client's course in screening)."""
    if hook not in INQUIRY_CONVERTED:
        INQUIRY_CONVERTED.append(hook)


def inquiry_converted(*, actor: Actor, client, condition: str) -> None:
    for hook in INQUIRY_CONVERTED:
        hook(actor=actor, client=client, condition=condition)
