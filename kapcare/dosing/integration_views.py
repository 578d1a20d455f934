from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from kapcare.accounts.decorators import require_actor, staff_required
from kapcare.accounts.models import Role
from kapcare.audit.models import AuditAction
from kapcare.audit.shown import audit_shown
from kapcare.courses.selectors import current_care_protocol
from kapcare.dosing.integration_selectors import integration_overdue


@staff_required(Role.THERAPIST, Role.PRESCRIBER, Role.NURSE)
def overdue(request: HttpRequest) -> HttpResponse:
    """Dosing sessions past their integration window, for the clients on my care teams."""
    actor = require_actor(request)
    sessions = integration_overdue(clinic_id=actor.clinic_id, at=timezone.now(), member=actor.user)
    audit_shown(
        request,
        actor=actor,
        action=AuditAction.LIST,
        object_type="integration.overdue",
        details={"client_ids": sorted({s.client_id for s in sessions})},
    )
    context = {
        "sessions": sessions,
        "window_hours": current_care_protocol(actor.clinic_id).integration_window_hours,
    }
    return render(request, "dosing/integration_overdue.html", context)
