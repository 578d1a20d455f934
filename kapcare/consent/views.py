"""The consent tab (status, signing in the clinic, signing links, withdrawal), the clinic's
consent documents, and the public page a signing link opens."""

from __future__ import annotations

import dataclasses
import zoneinfo

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from kapcare.accounts.actor import Actor
from kapcare.accounts.decorators import require_actor, staff_required
from kapcare.accounts.models import Role
from kapcare.audit.models import AuditAction
from kapcare.audit.request_meta import client_ip, user_agent
from kapcare.audit.shown import audit_shown
from kapcare.clients.access import client_page, client_page_context
from kapcare.clients.models import Client, LinkPurpose
from kapcare.clients.services.links import (
    create_link,
    issued_link,
    make_and_send,
    usable_link_or_404,
)
from kapcare.consent import selectors, services
from kapcare.consent.defaults import DEFAULT_BODY, DEFAULT_TITLE
from kapcare.consent.forms import DocumentForm, SignForm, WithdrawForm
from kapcare.consent.services import DocumentOutOfDate, text_sha256
from kapcare.consent.withdrawal import live_notices
from kapcare.core.forms import add_service_errors


def _overview(request: HttpRequest, client: Client, **extra) -> HttpResponse:
    signatures = selectors.signature_history(client)
    context = {
        "document": selectors.current_document(client.clinic_id),
        "problem": selectors.consent_problem(client, timezone.now()),
        "signatures": signatures,
        "standing": any(s.withdrawn_at is None for s in signatures),
        **extra,
    }
    return render(
        request, "consent/overview.html", client_page_context(request, client, "consent", **context)
    )


@client_page(page="consent")
def overview(request: HttpRequest, client: Client) -> HttpResponse:
    return _overview(request, client)


@client_page(page="consent_sign")
def sign(request: HttpRequest, client: Client) -> HttpResponse:
    """Signing in the clinic: staff hand the device to the client and witness the signature."""
    document = selectors.current_document(client.clinic_id)
    if document is None:
        messages.error(request, _("The clinic has not published a consent document yet."))
        return redirect("consent:overview", client_id=client.pk)
    form = SignForm(request.POST or None, initial={"shown_sha256": text_sha256(document)})
    if request.method == "POST" and form.is_valid():
        try:
            services.sign_consent(
                actor=require_actor(request),
                client=client,
                document=document,
                typed_name=form.cleaned_data["typed_name"],
                agreed=form.cleaned_data["agreed"],
                shown_sha256=form.cleaned_data["shown_sha256"],
                witnessed=True,
            )
        except ValidationError as error:
            add_service_errors(form, error)
            if not _per_field(error):
                # The text changed under the form: show the current one with its own hash.
                form = _fresh_sign_form(form, document)
        else:
            messages.success(
                request, _("Consent version %(v)s is signed.") % {"v": document.version}
            )
            return redirect("consent:overview", client_id=client.pk)
    context = client_page_context(request, client, "consent", document=document, form=form)
    return render(request, "consent/sign.html", context)


def _per_field(error: ValidationError) -> bool:
    return hasattr(error, "error_dict")


def _fresh_sign_form(old: SignForm, document) -> SignForm:
    """A form carrying the current text's hash, keeping what was typed and the error shown."""
    data = old.data.copy()
    data["shown_sha256"] = text_sha256(document)
    form = SignForm(data)
    form.is_valid()
    for error in old.non_field_errors():
        form.add_error(None, error)
    return form


@require_http_methods(["GET", "POST"])
@client_page(page="consent_link")
def send_link(request: HttpRequest, client: Client) -> HttpResponse:
    """A single-use signing link for the current version. POST makes it and redirects here
    (post/redirect/get); GET shows it again to whoever made it until it is used, else leads
    back to the consent page to make a new one."""
    document = selectors.current_document(client.clinic_id)
    if document is None:
        messages.error(request, _("The clinic has not published a consent document yet."))
        return redirect("consent:overview", client_id=client.pk)
    if request.method == "POST":
        actor = require_actor(request)
        link, token = create_link(
            actor=actor, client=client, purpose=LinkPurpose.CONSENT, target_id=document.pk
        )
        url = request.build_absolute_uri(reverse("consent_public:sign", args=[token]))
        sent_to = make_and_send(request, actor=actor, link=link, token=token, url=url)
        if not request.htmx:
            return redirect("consent:link", client_id=client.pk)
    else:
        issued = issued_link(
            request, client=client, purpose=LinkPurpose.CONSENT, target_id=document.pk
        )
        if issued is None:
            return redirect("consent:overview", client_id=client.pk)
        link, token, sent_to = issued
        url = request.build_absolute_uri(reverse("consent_public:sign", args=[token]))
    extra = {"link_url": url, "link": link, "link_sent_to": sent_to}
    if request.htmx:
        response = render(request, "consent/partials/_link.html", {"client": client, **extra})
    else:
        response = _overview(request, client, **extra)
    add_never_cache_headers(response)  # the page holds a working token
    return response


@client_page(page="consent_withdraw")
def withdraw(request: HttpRequest, client: Client) -> HttpResponse:
    """Who asked, the reason and a confirmation, then the withdrawal, which takes effect at
    once. The page shows any dosing session in progress and what withdrawing does to it."""
    standing = [s for s in selectors.signature_history(client) if s.withdrawn_at is None]
    # Bound on every POST, even an empty one (an empty QueryDict is falsy).
    form = WithdrawForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and not standing:
        messages.info(request, _("There was no standing consent to withdraw."))
        return redirect("consent:overview", client_id=client.pk)
    if request.method == "POST" and form.is_valid():
        try:
            count = services.withdraw_consent(
                actor=require_actor(request),
                client=client,
                requested_via=form.cleaned_data["requested_via"],
                reason=form.cleaned_data["reason"],
                confirmed=form.cleaned_data["confirmed"],
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            if count:
                messages.warning(
                    request,
                    _("Consent is withdrawn. No dose can be given until the client signs again."),
                )
            else:
                messages.info(request, _("There was no standing consent to withdraw."))
            return redirect("consent:overview", client_id=client.pk)
    context = client_page_context(
        request,
        client,
        "consent",
        form=form,
        standing=standing,
        live_sessions=live_notices(client),
    )
    return render(request, "consent/withdraw.html", context)


# --- The clinic's consent documents ------------------------------------------------------------


@staff_required(Role.CLINIC_ADMIN)
def document_list(request: HttpRequest) -> HttpResponse:
    actor = require_actor(request)
    context = {"versions": selectors.document_versions(actor.clinic_id)}
    return render(request, "consent/document_list.html", context)


@staff_required(Role.CLINIC_ADMIN)
def document_detail(request: HttpRequest, version: int) -> HttpResponse:
    actor = require_actor(request)
    document = selectors.document_version(actor.clinic_id, version)
    if document is None:
        raise Http404("No such version.")
    current = selectors.current_document(actor.clinic_id)
    context = {
        "document": document,
        "is_current": current is not None and current.pk == document.pk,
    }
    return render(request, "consent/document_detail.html", context)


@staff_required(Role.CLINIC_ADMIN)
def document_publish(request: HttpRequest) -> HttpResponse:
    actor = require_actor(request)
    current = selectors.current_document(actor.clinic_id)
    initial = (
        {"title": current.title, "body": current.body}
        if current
        else {"title": DEFAULT_TITLE, "body": DEFAULT_BODY}
    )
    form = DocumentForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            document = services.publish_document(
                clinic=actor.clinic,
                title=form.cleaned_data["title"],
                body=form.cleaned_data["body"],
                actor=actor,
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(
                request,
                _(
                    "Consent version %(v)s is published. Every client must sign it before their "
                    "next dose."
                )
                % {"v": document.version},
            )
            return redirect("consent_docs:list")
    return render(request, "consent/document_form.html", {"form": form, "current": current})


# --- The public signing page -------------------------------------------------------------------


def _link_actor(request: HttpRequest, clinic) -> Actor:
    """kapcare acting for the client who holds the link, from the request's address."""
    return dataclasses.replace(
        Actor.system(clinic, request_id=getattr(request, "request_id", "") or "link"),
        ip_address=client_ip(request),
        user_agent=user_agent(request),
    )


@login_not_required
@never_cache
def public_sign(request: HttpRequest, token: str) -> HttpResponse:
    """Reused, expired and forged links are a plain 404. A link made for a version that has
    since been replaced says only that it is out of date."""
    link = usable_link_or_404(token, LinkPurpose.CONSENT)
    # No one is signed in here for the middleware to take a time zone from: show the version's
    # date as the clinic (and the client beside it) would read it.
    with timezone.override(zoneinfo.ZoneInfo(link.clinic.time_zone)):
        return _public_sign(request, token, link)


def _public_sign(request: HttpRequest, token: str, link) -> HttpResponse:
    try:
        document = services.link_document(link)
    except DocumentOutOfDate:
        return render(request, "consent/link_out_of_date.html", status=404)
    actor = _link_actor(request, link.clinic)
    form = SignForm(request.POST or None, initial={"shown_sha256": text_sha256(document)})
    if request.method == "POST" and form.is_valid():
        try:
            services.sign_consent_through_link(
                token=token,
                actor=actor,
                typed_name=form.cleaned_data["typed_name"],
                agreed=form.cleaned_data["agreed"],
                shown_sha256=form.cleaned_data["shown_sha256"],
            )
        except DocumentOutOfDate:
            return render(request, "consent/link_out_of_date.html", status=404)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            # Redirect, so reloading the thank-you page does not post to a spent link.
            return redirect("consent_public:signed")
    elif request.method == "GET":
        audit_shown(
            request,
            actor=actor,
            action=AuditAction.VIEW,
            client=link.client,
            object_type="client.consent_link",
            object_id=link.client_id,
            summary=_("Opened a consent signing link"),
        )
    return render(request, "consent/public_sign.html", {"document": document, "form": form})


@login_not_required
def public_signed(request: HttpRequest) -> HttpResponse:
    return render(request, "consent/public_signed.html")
