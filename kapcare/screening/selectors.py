"""Reads of screening protocols, screenings and eligibility decisions."""

from __future__ import annotations

from kapcare.screening.models import EligibilityDecision, Screening, ScreeningProtocol


def current_protocol(clinic_id: int) -> ScreeningProtocol | None:
    return ScreeningProtocol.objects.filter(clinic_id=clinic_id).order_by("-version").first()


def rules_as_dicts(protocol: ScreeningProtocol) -> list[dict]:
    return list(
        protocol.rules.values(
            "key", "label", "kind", "condition", "rationale", "source", "override_allowed"
        )
    )


def latest_screening(course) -> Screening | None:
    return course.screenings.select_related("protocol").order_by("-screened_at", "-id").first()


def latest_decision(course) -> EligibilityDecision | None:
    return (
        EligibilityDecision.objects.filter(course=course)
        .select_related("protocol", "decided_by")
        .order_by("-decided_at", "-id")
        .first()
    )


def pending_reviews(clinic_id: int):
    """Screenings that need a prescriber and have no decision yet (the latest per course)."""
    return (
        Screening.objects.filter(clinic_id=clinic_id, outcome="review", decisions__isnull=True)
        .exclude(course__status__in=["completed", "discontinued"])
        .select_related("client", "course")
        .order_by("screened_at")
    )
