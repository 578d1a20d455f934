"""The client picker's suggestions (kapcare.clients.picker): a few clients the user may see
whose name or record number matches what they have typed so far."""

from django import forms
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from kapcare.accounts.decorators import require_actor, staff_required
from kapcare.audit.models import AuditAction
from kapcare.audit.shown import audit_shown
from kapcare.clients.permissions import clients_visible_to
from kapcare.clients.picker import MAX_LENGTH, picker_label
from kapcare.clients.selectors import matching_clients, record_number

# Enough to find someone by a few letters of their name; the rest is typing more.
SUGGESTIONS = 10
# Fewer letters match too much to be worth a query (and a trigram needs three).
MIN_LETTERS = 2


class SuggestForm(forms.Form):
    client = forms.CharField(max_length=MAX_LENGTH, required=False, strip=True)


@staff_required()
def suggest(request: HttpRequest) -> HttpResponse:
    actor = require_actor(request)
    form = SuggestForm(request.GET)
    if not form.is_valid():
        return HttpResponse(
            _("Type at most %(n)s characters, without control characters.") % {"n": MAX_LENGTH},
            status=400,
            content_type="text/plain; charset=utf-8",
        )
    text = form.cleaned_data["client"]
    clients = []
    if len(text) >= MIN_LETTERS or record_number(text) is not None:
        clients = list(matching_clients(clients_visible_to(actor), text)[:SUGGESTIONS])
    if clients:
        # The suggestions name clients: a read of their records like any list.
        audit_shown(
            request,
            actor=actor,
            action=AuditAction.LIST,
            object_type="client.suggest",
            summary=_("Client picker suggestions"),
            details={"client_ids": [c.pk for c in clients]},
        )
    options = [picker_label(c) for c in clients]
    return render(request, "clients/partials/_client_options.html", {"options": options})
