"""The clinic admin's API tokens page: the clinic's tokens, issue one, revoke one.

A new token's secret is shown once, on the answer to the POST that issued it (201, with the
no-store header every signed-in page gets): it is never put in a URL or the session, and the
database keeps only its hash.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from kapcare.accounts.actor import Actor
from kapcare.accounts.api_tokens import clinic_tokens, issue_token, revoke_token
from kapcare.accounts.decorators import staff_required
from kapcare.accounts.models import ApiToken, Role
from kapcare.api.token_forms import SCOPE_EXAMPLES, IssueTokenForm
from kapcare.core.forms import add_service_errors
from kapcare.core.paging import query_without_page
from kapcare.core.prg import post_action

TOKENS_PER_PAGE = 50


def _tokens_page(request: HttpRequest, form: IssueTokenForm) -> HttpResponse:
    actor = request.actor
    page_obj = Paginator(clinic_tokens(actor.clinic), TOKENS_PER_PAGE).get_page(
        request.GET.get("page")
    )
    context = {
        "page_obj": page_obj,
        "query": query_without_page(request),
        "form": form,
        "scope_examples": SCOPE_EXAMPLES,
        "now": timezone.now(),
    }
    return render(request, "api/tokens/list.html", context)


@staff_required(Role.CLINIC_ADMIN)
def token_list(request: HttpRequest) -> HttpResponse:
    return _tokens_page(request, IssueTokenForm(actor=request.actor))


@staff_required(Role.CLINIC_ADMIN)
@post_action("api_tokens:list")
def token_issue(request: HttpRequest) -> HttpResponse:
    actor: Actor = request.actor
    form = IssueTokenForm(request.POST, actor=actor)
    if form.is_valid():
        data = form.cleaned_data
        try:
            token, raw = issue_token(
                actor=actor,
                user=data["user"],
                scopes=data["scopes"],
                label=data["label"],
                expires_days=data["expires_days"],
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            # 201 and the page itself, not a redirect: the secret exists only in this answer.
            return render(
                request, "api/tokens/issued.html", {"token": token, "raw": raw}, status=201
            )
    return _tokens_page(request, form)


def _clinic_token_or_404(actor: Actor, token_id: int) -> ApiToken:
    token = clinic_tokens(actor.clinic).filter(pk=token_id).first()
    if token is None:
        raise Http404("No such API token.")
    return token


@staff_required(Role.CLINIC_ADMIN)
@post_action("api_tokens:list")
def token_revoke(request: HttpRequest, token_id: int) -> HttpResponse:
    token = _clinic_token_or_404(request.actor, token_id)
    if token.revoked_at is not None:
        messages.info(request, _("%(token)s was already revoked.") % {"token": token})
    else:
        revoke_token(actor=request.actor, token=token)
        messages.success(
            request, _("%(token)s is revoked: it stops working at once.") % {"token": token}
        )
    return redirect("api_tokens:list")


STAFF_SECTION_TOKENS = 10


def staff_tokens_section(request: HttpRequest, actor: Actor, member) -> tuple[str, dict]:
    """Registered in ApiConfig.ready as a section of the staff page: the tokens acting as this
    member (a bounded few, the newest first; the tokens page has them all)."""
    tokens = list(clinic_tokens(actor.clinic).filter(user=member)[: STAFF_SECTION_TOKENS + 1])
    return "api/tokens/_staff_section.html", {
        "tokens": tokens[:STAFF_SECTION_TOKENS],
        "more": len(tokens) > STAFF_SECTION_TOKENS,
        "now": timezone.now(),
    }
