"""A questionnaire filled in through a single-use link, without an account, on a phone."""

from __future__ import annotations

import dataclasses

from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache

from kapcare.accounts.actor import Actor
from kapcare.accounts.models import Clinic
from kapcare.audit.models import AuditAction
from kapcare.audit.request_meta import client_ip, user_agent
from kapcare.audit.shown import audit_shown
from kapcare.clients.models import LinkPurpose
from kapcare.clients.services.links import usable_link_or_404
from kapcare.core.forms import add_service_errors
from kapcare.measures import services
from kapcare.measures.forms import ResponseForm


def _link_actor(request: HttpRequest, clinic) -> Actor:
    """kapcare acting for the client who holds the link, from the request's address."""
    return dataclasses.replace(
        Actor.system(clinic, request_id=getattr(request, "request_id", "") or "link"),
        ip_address=client_ip(request),
        user_agent=user_agent(request),
    )


def _not_usable(request: HttpRequest) -> HttpResponse:
    # One page and one status for reused, expired and forged links: a guess learns nothing.
    response = render(request, "public/link_not_usable.html", status=404)
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


@login_not_required
@never_cache
def fill(request: HttpRequest, token: str) -> HttpResponse:
    try:
        link = usable_link_or_404(token, LinkPurpose.QUESTIONNAIRE)
        assignment = services.link_assignment(link)
    except Http404:
        return _not_usable(request)
    definition = services.active_definition(link.clinic_id, assignment.instrument_code)
    if definition is None or not definition.has_all_item_text:
        return _not_usable(request)
    actor = _link_actor(request, link.clinic)
    form = ResponseForm(request.POST or None, definition=definition, for_client=True)
    if request.method == "POST" and form.is_valid():
        try:
            response = services.submit_through_link(
                token=token, actor=actor, answers=form.answers()
            )
        except Http404:
            return _not_usable(request)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            # Post/redirect/get: a reload of the thank-you page posts nothing again.
            request.session[_DONE_KEY] = {
                "clinic_id": link.clinic_id,
                "alerted": response.alerts.exists(),
            }
            return redirect("measures_public:done")
    elif request.method == "GET":
        audit_shown(
            request,
            actor=actor,
            action=AuditAction.VIEW,
            client=link.client,
            obj=link,
            summary=_("The client opened a single-use link: %(p)s")
            % {"p": link.get_purpose_display()},
        )
    context = {
        "form": form,
        "definition": definition,
        "client_first_name": link.client.preferred_name or link.client.first_name,
        "link_clinic": link.clinic,
    }
    result = render(request, "measures/public_fill.html", context)
    result["X-Robots-Tag"] = "noindex, nofollow"
    return result


_DONE_KEY = "kapcare_questionnaire_done"


@login_not_required
@never_cache
def done(request: HttpRequest) -> HttpResponse:
    """The thank-you page after a questionnaire sent through a link (shown again on reload)."""
    sent = request.session.get(_DONE_KEY)
    if not sent:
        return _not_usable(request)
    context = {
        "link_clinic": Clinic.objects.filter(pk=sent["clinic_id"]).first(),
        "alerted": sent["alerted"],
    }
    result = render(request, "measures/public_done.html", context)
    result["X-Robots-Tag"] = "noindex, nofollow"
    return result
