"""Asking the prescriber from the chair, and the prescriber's decision page.

The nurse posts "Ask the prescriber" from the live page; the prescriber opens the request from
"Needs you now" on their home page (or the e-mail's link, which names no client) and decides.
The nurse's status panel polls and shows the decision when it is made."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from kapcare.accounts.decorators import require_actor, staff_required
from kapcare.accounts.models import Role
from kapcare.clients.access import client_page, client_page_context
from kapcare.clients.models import Client
from kapcare.clients.permissions import ClientAction
from kapcare.core.forms import add_service_errors
from kapcare.core.prg import post_action
from kapcare.dosing import selectors
from kapcare.dosing.models import ReviewStatus
from kapcare.dosing.permissions import can_clear_check
from kapcare.dosing.review_forms import AskReviewForm, DecisionForm
from kapcare.dosing.review_selectors import (
    review_for_actor_or_404,
    session_review,
    session_review_requests,
)
from kapcare.dosing.services.review import ask_prescriber, decide_review_request

CLINICAL = ClientAction.VIEW_CLINICAL


@post_action("dosing:live")
@client_page(CLINICAL, page="dosing_ask_review")
def ask_review(request: HttpRequest, client: Client, session_id: int) -> HttpResponse:
    actor = require_actor(request)
    session = selectors.session_for_actor_or_404(actor, client, session_id)
    form = AskReviewForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(m for ms in form.errors.values() for m in ms))
    else:
        try:
            ask_prescriber(
                actor=actor,
                session=session,
                note=form.cleaned_data["note"],
                link_base=request.build_absolute_uri("/"),
            )
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(
                request,
                _("The prescriber is asked. This page shows their decision when it is made."),
            )
    return redirect("dosing:live", client_id=client.pk, session_id=session.pk)


@client_page(CLINICAL, page="dosing_review")
def review(request: HttpRequest, client: Client, session_id: int, request_id: int):
    """The request with the checks it is about; a prescriber on the care team decides here."""
    actor = require_actor(request)
    session = selectors.session_for_actor_or_404(actor, client, session_id)
    review_request = get_object_or_404(session_review_requests(session), pk=request_id)
    can_decide = can_clear_check(actor, client)
    form = DecisionForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and can_decide and form.is_valid():
        try:
            decided = decide_review_request(
                actor=actor,
                request=review_request,
                approve=form.approve,
                reason=form.cleaned_data["reason"],
                signature_name=form.cleaned_data["signature_name"],
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            if decided.status == ReviewStatus.SUPERSEDED:
                messages.info(request, _("The session moved on: this request is no longer needed."))
            elif decided.status == ReviewStatus.APPROVED:
                messages.success(request, _("Approved. The nurse's page shows it now."))
            else:
                messages.warning(request, _("Declined. The nurse's page shows your reason now."))
            return redirect(
                "dosing:review", client_id=client.pk, session_id=session.pk, request_id=request_id
            )
    elif request.method == "POST" and not can_decide:
        return HttpResponse(status=403)
    latest = session_review(session)
    still_waiting = bool(latest and latest.pk == review_request.pk and latest.still_waiting)
    request.audited = review_request
    context = client_page_context(
        request,
        client,
        "dosing",
        session=session,
        review=review_request,
        check=review_request.pre_dose_check,
        still_waiting=still_waiting,
        can_decide=can_decide,
        form=form,
    )
    return render(request, "dosing/review.html", context)


@staff_required(Role.PRESCRIBER, Role.NURSE, Role.THERAPIST)
def review_link(request: HttpRequest, request_id: int) -> HttpResponse:
    """The e-mail's link: it names no client, so it leads here and on to the request's page."""
    found = review_for_actor_or_404(require_actor(request), request_id)
    return redirect(
        "dosing:review",
        client_id=found.session.client_id,
        session_id=found.session_id,
        request_id=found.pk,
    )
