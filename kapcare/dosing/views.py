"""The client's Dosing tab (sessions and orders), ordering, scheduling, and the clinic's
"Today's sessions" page with the prescriber's notifications."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from kapcare.accounts.decorators import require_actor, staff_required
from kapcare.accounts.models import Role
from kapcare.audit.models import AuditAction
from kapcare.audit.shown import audit_shown
from kapcare.clients.access import client_page, client_page_context
from kapcare.clients.models import Client
from kapcare.clients.permissions import ClientAction
from kapcare.core.forms import add_service_errors
from kapcare.core.prg import post_action
from kapcare.courses.selectors import current_course
from kapcare.dosing import forms, selectors, services
from kapcare.dosing.models import DoseOrder, DosingNotification
from kapcare.dosing.permissions import can_order, can_schedule

CLINICAL = ClientAction.VIEW_CLINICAL
# Rows on the board before it pages: more than a busy clinic doses in a day.
TODAY_PAGE_SIZE = 50


def _tab(request, client, order_form=None, schedule_form=None, status=200) -> HttpResponse:
    actor = require_actor(request)
    course = current_course(client)
    context = {
        "course": course,
        "sessions": selectors.client_sessions(client),
        "orders": selectors.client_orders(client),
        "can_order": course is not None and can_order(actor, client),
        "can_schedule": course is not None and can_schedule(actor, client),
        "order_form": order_form or forms.DoseOrderForm(initial={"dose_unit": "mg_per_kg"}),
        "schedule_form": schedule_form or forms.ScheduleForm(),
        "cancel_form": forms.ReasonForm(),
    }
    return render(
        request,
        "dosing/tab.html",
        client_page_context(request, client, "dosing", **context),
        status=status,
    )


@client_page(CLINICAL, page="dosing")
def tab(request: HttpRequest, client: Client) -> HttpResponse:
    return _tab(request, client)


@post_action("dosing:tab")
@client_page(CLINICAL, page="dosing_order")
def order_new(request: HttpRequest, client: Client) -> HttpResponse:
    actor = require_actor(request)
    course = current_course(client)
    if course is None or not can_order(actor, client):
        raise PermissionDenied(_("Only a prescriber on the care team orders doses."))
    form = forms.DoseOrderForm(request.POST)
    if form.is_valid():
        try:
            services.sign_dose_order(actor=actor, course=course, **form.service_kwargs())
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("Dose order signed."))
            return redirect("dosing:tab", client_id=client.pk)
    return _tab(request, client, order_form=form)


@post_action("dosing:tab")
@client_page(CLINICAL, page="dosing_order_cancel")
def order_cancel(request: HttpRequest, client: Client, order_id: int) -> HttpResponse:
    order = get_object_or_404(DoseOrder, pk=order_id, client=client, clinic=client.clinic)
    form = forms.ReasonForm(request.POST)
    if form.is_valid():
        try:
            services.cancel_dose_order(
                actor=require_actor(request), order=order, reason=form.cleaned_data["reason"]
            )
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, _("Order cancelled."))
    else:
        messages.error(request, _("Give a reason to cancel the order."))
    return redirect("dosing:tab", client_id=client.pk)


@post_action("dosing:tab")
@client_page(CLINICAL, page="dosing_schedule")
def schedule(request: HttpRequest, client: Client) -> HttpResponse:
    actor = require_actor(request)
    course = current_course(client)
    form = forms.ScheduleForm(request.POST)
    if course is None:
        raise PermissionDenied(_("The client has no course."))
    if form.is_valid():
        try:
            session = services.schedule_session(
                actor=actor, course=course, scheduled_for=form.cleaned_data["scheduled_for"]
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("Session %(n)s scheduled.") % {"n": session.number})
            return redirect("dosing:tab", client_id=client.pk)
    return _tab(request, client, schedule_form=form)


@staff_required(Role.NURSE, Role.PRESCRIBER, Role.THERAPIST)
def today(request: HttpRequest) -> HttpResponse:
    """Sessions today and any still under way, for the clients the user may see clinically."""
    actor = require_actor(request)
    sessions = selectors.todays_sessions(actor, actor.clinic.today())
    page_obj = Paginator(sessions, TODAY_PAGE_SIZE).get_page(request.GET.get("page"))
    audit_shown(
        request,
        actor=actor,
        action=AuditAction.LIST,
        object_type="dosing.today",
        summary=_("Today's dosing sessions, page %(page)s") % {"page": page_obj.number},
        details={
            "session_ids": [s.pk for s in page_obj],
            "client_ids": sorted({s.client_id for s in page_obj}),
        },
    )
    context = {
        "sessions": page_obj,
        "page_obj": page_obj,
        "query": "",
        "notifications": selectors.unread_notifications(actor),
    }
    return render(request, "dosing/today.html", context)


@post_action("dosing_clinic:today")
@staff_required(Role.NURSE, Role.PRESCRIBER, Role.THERAPIST)
def notification_read(request: HttpRequest, notification_id: int) -> HttpResponse:
    actor = require_actor(request)
    notification = get_object_or_404(
        DosingNotification, pk=notification_id, recipient=actor.user, clinic=actor.clinic
    )
    services.mark_notification_read(actor=actor, notification=notification)
    return redirect("dosing_clinic:today")
