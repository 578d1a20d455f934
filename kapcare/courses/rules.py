"""Pure rules of the pathway (no ORM): preparation coverage, integration windows, note hashes."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterable
from typing import Any

from kapcare.courses.models import PreparationElement as E

# Which prompts of a preparation note must be filled for it to cover each element.
ELEMENT_FIELDS: dict[str, tuple[str, ...]] = {
    E.PSYCHOEDUCATION: ("psychoeducation_given",),
    E.INTENTIONS: ("intentions",),
    E.CONCERNS: ("concerns_expectations",),
    E.MINDFULNESS: ("mindfulness_practice",),
    E.SAFETY_PLAN: (
        "safety_warning_signs",
        "safety_coping_steps",
        "safety_contacts",
        "safety_crisis_line",
    ),
    E.RIDE_PLAN: ("escort_name", "ride_home_plan"),
    E.FASTING: ("fasting_instructions_given",),
}


def _filled(value: Any) -> bool:
    if isinstance(value, str):
        return bool(value.strip())
    return bool(value)


def elements_covered(content: dict[str, Any]) -> set[str]:
    """The preparation elements a note's answers cover: every prompt of the element filled."""
    return {
        element
        for element, fields in ELEMENT_FIELDS.items()
        if all(_filled(content.get(field)) for field in fields)
    }


def preparation_shortfall(
    signed_contents: Iterable[dict[str, Any]], *, min_sessions: int, required: Iterable[str]
) -> list[str]:
    """What is still missing before preparation is complete (empty when complete).

    FACTS.md §6.1: clinics require 1–3 preparation sessions; the default requirement is one
    signed session covering psychoeducation, intentions, a safety plan and the ride home.
    """
    contents = list(signed_contents)
    missing = []
    if len(contents) < min_sessions:
        missing.append(f"{len(contents)} of {min_sessions} signed preparation sessions")
    covered: set[str] = set().union(*(elements_covered(c) for c in contents)) if contents else set()
    uncovered = [E(element).label for element in required if element not in covered]
    if uncovered:
        missing.append("not yet covered: " + ", ".join(str(label) for label in uncovered))
    return missing


def integration_due_by(dosed_at: dt.datetime, window_hours: int) -> dt.datetime:
    """FACTS.md §6.1: integration commonly same day to within ~24–72 h of the dosing session."""
    return dosed_at + dt.timedelta(hours=window_hours)


def canonical_sha256(payload: dict[str, Any]) -> str:
    """SHA-256 of a JSON rendering that does not depend on key order or spacing."""
    text = json.dumps(
        payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str
    )
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
