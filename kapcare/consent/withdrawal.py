"""What else a withdrawal of consent touches, through a registry so consent need not know the
domains above it: the dosing app registers how it describes a client's live session on the
withdrawal page and what withdrawal does to that session (kapcare.dosing.services.consent_withdrawal)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from kapcare.accounts.actor import Actor


@dataclass(frozen=True)
class LiveSessionNotice:
    """A session in progress for the client, as the person withdrawing must see it."""

    label: str  # e.g. "Dosing session 2 — monitoring (dose started 10:05)"
    effect: str  # what withdrawing now does to it
    url: str = ""


Describe = Callable[[object], list[LiveSessionNotice]]
Apply = Callable[[Actor, object, str], list[str]]

_DESCRIBERS: list[Describe] = []
_APPLIERS: list[Apply] = []


def register_withdrawal_effect(*, describe: Describe, apply: Apply) -> None:
    """`describe(client)` lists what is in progress; `apply(actor, client, reason)` runs inside
    the withdrawal's transaction and returns a summary line for each thing it changed."""
    if describe not in _DESCRIBERS:
        _DESCRIBERS.append(describe)
    if apply not in _APPLIERS:
        _APPLIERS.append(apply)


def live_notices(client) -> list[LiveSessionNotice]:
    return [notice for describe in _DESCRIBERS for notice in describe(client)]


def apply_effects(actor: Actor, client, reason: str) -> list[str]:
    return [line for apply in _APPLIERS for line in apply(actor, client, reason)]
