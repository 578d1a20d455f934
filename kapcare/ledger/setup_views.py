"""The clinic admin's ledger set-up: registrant, settings, products and storage locations."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from kapcare.accounts.decorators import require_actor
from kapcare.ledger import selectors
from kapcare.ledger.models import LedgerSettings, Registrant
from kapcare.ledger.permissions import LedgerAction
from kapcare.ledger.reports import registrant_for
from kapcare.ledger.selectors import records
from kapcare.ledger.services.configuration import save_catalogue_item, save_clinic_record
from kapcare.ledger.setup_forms import LedgerSettingsForm, LocationForm, ProductForm, RegistrantForm
from kapcare.ledger.views import ledger_context, ledger_view


@ledger_view(LedgerAction.CONFIGURE)
def setup(request: HttpRequest) -> HttpResponse:
    actor = require_actor(request)
    registrant = registrant_for(actor.clinic_id)
    config = selectors.settings_for(actor.clinic)
    which = request.POST.get("form") if request.method == "POST" else None
    registrant_form = RegistrantForm(
        request.POST if which == "registrant" else None, instance=registrant, prefix="registrant"
    )
    settings_form = LedgerSettingsForm(
        request.POST if which == "settings" else None, instance=config, prefix="settings"
    )
    for name, form, model in [
        ("registrant", registrant_form, Registrant),
        ("settings", settings_form, LedgerSettings),
    ]:
        if which == name and form.is_valid():
            values = {field: form.cleaned_data[field] for field in form.Meta.fields}
            save_clinic_record(actor=actor, model=model, values=values)
            messages.success(request, _("Saved."))
            return redirect("ledger:setup")
    context = ledger_context(
        actor,
        registrant_form=registrant_form,
        settings_form=settings_form,
        products=list(records.products(clinic_id=actor.clinic_id)),
        locations=list(records.locations(clinic_id=actor.clinic_id)),
    )
    return render(request, "ledger/setup.html", context)


def _edit(request: HttpRequest, form_class, instance, template_title: str) -> HttpResponse:
    actor = require_actor(request)
    form = form_class(request.POST or None, instance=instance, clinic=actor.clinic)
    if request.method == "POST" and form.is_valid():
        save_catalogue_item(actor=actor, item=form.save(commit=False))
        messages.success(request, _("Saved."))
        return redirect("ledger:setup")
    context = ledger_context(actor, form=form, title=template_title, item=instance)
    return render(request, "ledger/setup_item.html", context)


@ledger_view(LedgerAction.CONFIGURE)
def product_edit(request: HttpRequest, product_id: int | None = None) -> HttpResponse:
    actor = require_actor(request)
    product = (
        get_object_or_404(records.products(clinic_id=actor.clinic_id), pk=product_id)
        if product_id
        else None
    )
    title = _("Edit product") if product else _("New product")
    return _edit(request, ProductForm, product, title)


@ledger_view(LedgerAction.CONFIGURE)
def location_edit(request: HttpRequest, location_id: int | None = None) -> HttpResponse:
    actor = require_actor(request)
    location = (
        get_object_or_404(records.locations(clinic_id=actor.clinic_id), pk=location_id)
        if location_id
        else None
    )
    title = _("Edit storage location") if location else _("New storage location")
    return _edit(request, LocationForm, location, title)
