"""Pages anyone may open: what KAP is, the contact form, and a client's single-use intake link.

No login, no staff navigation, nothing about any client beyond what a link's holder typed."""

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
from kapcare.clients.pathway_forms import (
    HONEYPOT_FIELD,
    InquiryForm,
    IntakeForm,
)
from kapcare.clients.pathway_selectors import clinics_taking_inquiries
from kapcare.clients.services.links import usable_link_or_404
from kapcare.clients.services.pathway import (
    TooManyInquiries,
    complete_intake_from_link,
    submit_inquiry,
)
from kapcare.core.forms import add_service_errors


@login_not_required
def about(request: HttpRequest) -> HttpResponse:
    return render(request, "public/about.html")


def _receiving_clinic() -> tuple[Clinic | None, bool]:
    """(the clinic, False) when there is exactly one; (None, True) when the visitor must choose;
    (None, False) when there is none to write to."""
    clinics = list(clinics_taking_inquiries()[:2])
    if len(clinics) == 1:
        return clinics[0], False
    return None, len(clinics) > 1


@login_not_required
def contact(request: HttpRequest) -> HttpResponse:
    clinic, choose_clinic = _receiving_clinic()
    if clinic is None and not choose_clinic:
        return render(request, "public/contact.html", {"unavailable": True}, status=503)
    if request.method != "POST":
        form = InquiryForm(choose_clinic=choose_clinic)
        return render(request, "public/contact.html", {"form": form})
    if request.POST.get(HONEYPOT_FIELD, "").strip():
        # Only a robot fills the hidden field: thank it as if it were a person, keep nothing.
        return redirect("public:contact_thanks")
    form = InquiryForm(request.POST, choose_clinic=choose_clinic)
    if form.is_valid():
        try:
            submit_inquiry(
                clinic=form.cleaned_data.get("clinic") or clinic,
                data=form.inquiry_data(),
                ip_address=client_ip(request),
            )
        except TooManyInquiries:
            return render(request, "public/rate_limited.html", status=429)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            return redirect("public:contact_thanks")
    return render(request, "public/contact.html", {"form": form})


@login_not_required
def contact_thanks(request: HttpRequest) -> HttpResponse:
    return render(request, "public/contact_thanks.html")


def _client_actor(request: HttpRequest, clinic: Clinic) -> Actor:
    """kapcare acting for whoever holds a link, with the request's address for the audit log."""
    return dataclasses.replace(
        Actor.system(clinic),
        ip_address=client_ip(request),
        user_agent=user_agent(request),
        request_id=getattr(request, "request_id", "") or "system",
    )


def _link_not_usable(request: HttpRequest) -> HttpResponse:
    # One page and one status for reused, expired and forged links: a guess learns nothing.
    return render(request, "public/link_not_usable.html", status=404)


def _private(response: HttpResponse) -> HttpResponse:
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


@login_not_required
@never_cache
def intake_link(request: HttpRequest, token: str) -> HttpResponse:
    try:
        link = usable_link_or_404(token, LinkPurpose.INTAKE)
    except Http404:
        return _private(_link_not_usable(request))
    actor = _client_actor(request, link.clinic)
    client = link.client
    if request.method == "POST":
        form = IntakeForm(request.POST, client=client, for_client=True)
        if form.is_valid():
            try:
                complete_intake_from_link(
                    actor=actor,
                    token=token,
                    data=form.intake_data(),
                    emergency_contact=form.emergency_contact(),
                )
            except Http404:
                return _private(_link_not_usable(request))
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                return redirect("public:intake_thanks")
    else:
        form = IntakeForm(client=client, for_client=True)
        audit_shown(
            request,
            actor=actor,
            action=AuditAction.VIEW,
            client=client,
            obj=link,
            summary=_("The client opened a single-use link: %(p)s")
            % {"p": link.get_purpose_display()},
        )
    context = {
        "form": form,
        "client_first_name": client.preferred_name or client.first_name,
        "link_clinic": link.clinic,
    }
    return _private(render(request, "public/intake_link.html", context))


@login_not_required
def intake_thanks(request: HttpRequest) -> HttpResponse:
    return render(request, "public/intake_thanks.html")
