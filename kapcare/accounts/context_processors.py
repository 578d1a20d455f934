from django.conf import settings
from django.http import HttpRequest

from kapcare.accounts.models import Role


def clinic_context(request: HttpRequest) -> dict:
    actor = getattr(request, "actor", None)
    roles = actor.roles if actor else frozenset()
    return {
        "actor": actor,
        "clinic": actor.clinic if actor else None,
        "available_clinics": getattr(request, "clinics", []),
        "role_labels": [Role(r).label for r in sorted(roles)],
        "is_clinic_admin": Role.CLINIC_ADMIN in roles,
        "handles_inquiries": bool(roles & {Role.FRONT_DESK, Role.CLINIC_ADMIN}),
        "sees_protocols": bool(roles & {Role.CLINIC_ADMIN, Role.PRESCRIBER}),
        "sees_measures": bool(
            roles & {Role.THERAPIST, Role.PRESCRIBER, Role.NURSE, Role.CLINIC_ADMIN}
        ),
        "measures_clinician": bool(roles & {Role.THERAPIST, Role.PRESCRIBER, Role.NURSE}),
        "sees_outcomes": bool(roles & {Role.CLINIC_ADMIN, Role.PRESCRIBER}),
        "sees_dosing": bool(roles & {Role.NURSE, Role.PRESCRIBER, Role.THERAPIST}),
        "sees_ledger": bool(roles & {Role.NURSE, Role.PRESCRIBER, Role.CLINIC_ADMIN}),
        "idle_timeout_seconds": settings.KAPCARE_IDLE_TIMEOUT_SECONDS,
        "idle_warning_seconds": settings.KAPCARE_IDLE_WARNING_SECONDS,
    }
