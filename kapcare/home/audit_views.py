"""The audit log page and its CSV export: the trail read back across staff and clients
(presentation, above the audit recorder in the kernel)."""

from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _

from kapcare.accounts.decorators import require_actor, staff_required
from kapcare.accounts.models import Role
from kapcare.audit.models import AuditAction
from kapcare.audit.selectors import audit_events
from kapcare.audit.shown import audit_shown
from kapcare.core.downloads import set_download_name
from kapcare.core.exports import csv_lines
from kapcare.core.paging import query_without_page, uncounted_page
from kapcare.home.audit_forms import AuditFilterForm

PAGE_SIZE = 50
CSV_COLUMNS = [
    "occurred_at",
    "actor",
    "action",
    "client_id",
    "client",
    "object_type",
    "object_id",
    "summary",
    "ip_address",
    "user_agent",
    "request_id",
]


def _filtered(request: HttpRequest):
    actor = require_actor(request)
    form = AuditFilterForm(request.GET or None, clinic_id=actor.clinic_id)
    filters = {}
    if form.is_valid():
        data = form.cleaned_data
        filters = {
            "client_id": data["client"].pk if data["client"] else None,
            "user_id": data["user"].pk if data["user"] else None,
            "date_from": data["date_from"],
            "date_to": data["date_to"],
            "action": data["action"],
        }
    return actor, form, audit_events(actor=actor, **filters)


@staff_required(Role.CLINIC_ADMIN)
def audit_log(request: HttpRequest) -> HttpResponse:
    actor, form, events = _filtered(request)
    # Not counted: the page needs "is there a next page", not how many of a million events.
    page_obj = uncounted_page(events, PAGE_SIZE, request.GET.get("page"))
    audit_shown(
        request,
        actor=actor,
        action=AuditAction.LIST,
        object_type="audit.log",
        summary=_("Audit log, page %(page)s") % {"page": page_obj.number},
    )
    query = query_without_page(request)
    context = {"form": form, "page_obj": page_obj, "query": query}
    template = "audit/partials/_event_table.html" if request.htmx else "audit/audit_log.html"
    return render(request, template, context)


@staff_required(Role.CLINIC_ADMIN)
def audit_export(request: HttpRequest) -> HttpResponse:
    actor, form, events = _filtered(request)
    if form.is_bound and not form.is_valid():
        return render(request, "audit/audit_log.html", {"form": form, "page_obj": None}, status=400)
    audit_shown(
        request,
        actor=actor,
        action=AuditAction.EXPORT,
        object_type="audit.log",
        summary=_("Exported the audit log as CSV"),
        details={"filters": request.GET.dict()},
    )
    zone = timezone.get_current_timezone()

    def rows():
        for event in events.iterator(chunk_size=2000):
            yield [
                event.occurred_at.astimezone(zone).isoformat(),
                event.actor_label,
                event.action,
                event.client_id or "",
                event.client.full_name if event.client else "",
                event.object_type,
                event.object_id,
                event.summary,
                event.ip_address or "",
                event.user_agent,
                event.request_id,
            ]

    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response = StreamingHttpResponse(
        csv_lines(CSV_COLUMNS, rows()), content_type="text/csv; charset=utf-8"
    )
    return set_download_name(response, f"kapcare-audit-{stamp}.csv")
