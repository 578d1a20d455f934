"""The front desk's inquiry queue: read an inquiry, mark it contacted or closed, make a client."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from kapcare.accounts.decorators import require_actor, staff_required
from kapcare.accounts.models import Role
from kapcare.audit.models import AuditAction
from kapcare.audit.shown import audit_shown
from kapcare.clients.models import Inquiry, InquiryStatus
from kapcare.clients.pathway_forms import (
    ConvertInquiryForm,
    InquiryFilterForm,
    InquiryStatusForm,
)
from kapcare.clients.pathway_selectors import get_inquiry_for_actor_or_404, inquiry_queue
from kapcare.clients.services.pathway import convert_inquiry, set_inquiry_status
from kapcare.core.forms import add_service_errors
from kapcare.core.paging import query_without_page
from kapcare.core.prg import post_action

INQUIRY_ROLES = (Role.FRONT_DESK, Role.CLINIC_ADMIN)
PAGE_SIZE = 25


@staff_required(*INQUIRY_ROLES)
def queue(request: HttpRequest) -> HttpResponse:
    actor = require_actor(request)
    form = InquiryFilterForm(request.GET or None)
    status = form.cleaned_data["status"] if form.is_valid() else ""
    page_obj = Paginator(inquiry_queue(actor=actor, status=status), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    audit_shown(
        request,
        actor=actor,
        action=AuditAction.LIST,
        object_type="inquiry.list",
        summary=_("Inquiry queue, page %(page)s") % {"page": page_obj.number},
        details={"inquiry_ids": [i.pk for i in page_obj], "status": status},
    )
    query = query_without_page(request)
    context = {"form": form, "page_obj": page_obj, "query": query, "status": status}
    template = "inquiries/partials/_queue.html" if request.htmx else "inquiries/queue.html"
    return render(request, template, context)


def _record_view(request: HttpRequest, inquiry: Inquiry, page: str) -> None:
    # An inquiry is nobody's record until it is converted; from then on, reading it is part of
    # that client's access log.
    audit_shown(
        request,
        actor=require_actor(request),
        action=AuditAction.VIEW,
        client=inquiry.client,
        obj=inquiry,
        summary=page,
    )


@staff_required(*INQUIRY_ROLES)
def detail(request: HttpRequest, inquiry_id: int) -> HttpResponse:
    inquiry = get_inquiry_for_actor_or_404(require_actor(request), inquiry_id)
    _record_view(request, inquiry, _("Opened an inquiry"))
    context = {
        "inquiry": inquiry,
        "can_change_status": inquiry.status != InquiryStatus.CONVERTED,
        "statuses": InquiryStatus,
    }
    return render(request, "inquiries/detail.html", context)


@post_action("inquiries:detail")
@staff_required(*INQUIRY_ROLES)
def set_status(request: HttpRequest, inquiry_id: int) -> HttpResponse:
    actor = require_actor(request)
    inquiry = get_inquiry_for_actor_or_404(actor, inquiry_id)
    form = InquiryStatusForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose contacted or closed."))
        return redirect("inquiries:detail", inquiry_id=inquiry.pk)
    try:
        inquiry = set_inquiry_status(
            actor=actor, inquiry=inquiry, status=form.cleaned_data["status"]
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(
            request,
            _("%(name)s: marked %(status)s.")
            % {"name": inquiry, "status": inquiry.get_status_display().lower()},
        )
    return redirect("inquiries:detail", inquiry_id=inquiry.pk)


@staff_required(*INQUIRY_ROLES)
def convert(request: HttpRequest, inquiry_id: int) -> HttpResponse:
    actor = require_actor(request)
    inquiry = get_inquiry_for_actor_or_404(actor, inquiry_id)
    if inquiry.client_id is not None:
        messages.info(request, _("This inquiry is already a client."))
        return redirect("clients:detail", client_id=inquiry.client_id)
    form = ConvertInquiryForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            client = convert_inquiry(
                actor=actor,
                inquiry=inquiry,
                date_of_birth=form.cleaned_data["date_of_birth"],
                condition=form.cleaned_data["condition"],
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(
                request,
                _("%(name)s is now a client, with a treatment course in screening.")
                % {"name": client.full_name},
            )
            return redirect("clients:detail", client_id=client.pk)
    if request.method == "GET":
        _record_view(request, inquiry, _("Opened an inquiry to register the person as a client"))
    return render(request, "inquiries/convert.html", {"inquiry": inquiry, "form": form})
