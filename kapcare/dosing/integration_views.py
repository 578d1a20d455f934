from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _

from kapcare.accounts.decorators import require_actor, staff_required
from kapcare.accounts.models import Role
from kapcare.audit.models import AuditAction
from kapcare.audit.shown import audit_shown
from kapcare.dosing.integration_selectors import overdue_integration, with_due_by

PAGE_SIZE = 25


@staff_required(Role.THERAPIST, Role.PRESCRIBER, Role.NURSE)
def overdue(request: HttpRequest) -> HttpResponse:
    """Dosing sessions past their integration window, for the clients on my care teams, a page
    at a time (the read audit names the clients of the page shown)."""
    actor = require_actor(request)
    sessions, window = overdue_integration(
        clinic_id=actor.clinic_id, at=timezone.now(), member=actor.user
    )
    page_obj = Paginator(sessions, PAGE_SIZE).get_page(request.GET.get("page"))
    shown = with_due_by(page_obj, window)
    audit_shown(
        request,
        actor=actor,
        action=AuditAction.LIST,
        object_type="integration.overdue",
        summary=_("Integration overdue, page %(page)s") % {"page": page_obj.number},
        details={"client_ids": sorted({s.client_id for s in shown})},
    )
    context = {"sessions": shown, "page_obj": page_obj, "query": "", "window_hours": window}
    return render(request, "dosing/integration_overdue.html", context)
