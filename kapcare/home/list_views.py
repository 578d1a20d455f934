"""The full lists behind the home page's sections, a page at a time: a section shows its first
rows and its count, and links here for the rest."""

from django.core.paginator import Page, Paginator
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from kapcare.accounts.decorators import require_actor, staff_required
from kapcare.accounts.models import Role
from kapcare.audit.models import AuditAction
from kapcare.audit.shown import audit_shown
from kapcare.core.paging import query_without_page
from kapcare.home.selectors import (
    CLINICAL_ROLES,
    OPEN_STAGES,
    my_drafts,
    my_open_courses,
    my_reviews_pending,
)

PAGE_SIZE = 25


def _page(request: HttpRequest, rows: QuerySet, object_type: str, summary: str) -> Page:
    """One page of `rows`, audited as a read of the clients it shows."""
    actor = require_actor(request)
    page_obj = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    audit_shown(
        request,
        actor=actor,
        action=AuditAction.LIST,
        object_type=object_type,
        summary=_("%(list)s, page %(page)s") % {"list": summary, "page": page_obj.number},
        details={"client_ids": sorted({row.client_id for row in page_obj})},
    )
    return page_obj


@staff_required(*CLINICAL_ROLES)
def open_courses(request: HttpRequest) -> HttpResponse:
    """Open courses of the clients on my care teams, optionally one stage of them."""
    actor = require_actor(request)
    stages = dict(OPEN_STAGES)
    # An unknown stage (a stale or edited link) shows every open course, not an error page.
    status = request.GET.get("status", "")
    status = status if status in stages else ""
    page_obj = _page(request, my_open_courses(actor, status), "home.courses", _("Open courses"))
    context = {
        "page_obj": page_obj,
        "query": query_without_page(request) if status else "",
        "stages": OPEN_STAGES,
        "status": status,
        "stage_label": stages.get(status, ""),
    }
    return render(request, "home/open_courses.html", context)


@staff_required(Role.PRESCRIBER)
def reviews_pending(request: HttpRequest) -> HttpResponse:
    """Eligibility reviews waiting for a prescriber, for the clients on my care teams."""
    actor = require_actor(request)
    rows = my_reviews_pending(actor)
    page_obj = _page(request, rows, "home.reviews", _("Eligibility reviews pending"))
    return render(request, "home/reviews_pending.html", {"page_obj": page_obj, "query": ""})


@staff_required(Role.THERAPIST)
def drafts(request: HttpRequest) -> HttpResponse:
    """My clinical notes still in draft, oldest session first."""
    actor = require_actor(request)
    page_obj = _page(request, my_drafts(actor), "home.drafts", _("Your unsigned notes"))
    return render(request, "home/drafts.html", {"page_obj": page_obj, "query": ""})
