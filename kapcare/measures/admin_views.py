"""Clinic-level measures pages: the due list, and the admin's instruments and settings."""

from __future__ import annotations

from types import SimpleNamespace

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from kapcare.accounts.decorators import require_actor, staff_required
from kapcare.accounts.models import Role
from kapcare.audit.models import AuditAction
from kapcare.audit.shown import audit_shown
from kapcare.clients.conditions import Condition
from kapcare.core.forms import add_service_errors
from kapcare.core.paging import Section, first_rows
from kapcare.measures import selectors
from kapcare.measures.forms import (
    DefinitionUploadForm,
    ItemTextForm,
    MeasureSettingsForm,
    ParametersForm,
)
from kapcare.measures.models import InstrumentDefinition
from kapcare.measures.services import instruments as instrument_services

CLINICIANS = (Role.THERAPIST, Role.PRESCRIBER, Role.NURSE)
DUE_LISTS = ("overdue", "due")
# Rows of each list on the due page before its "see all" link; the full list pages by PAGE_SIZE.
DUE_ROWS = 20
PAGE_SIZE = 50


@staff_required(*CLINICIANS)
def due_list(request: HttpRequest) -> HttpResponse:
    """Questionnaires due and overdue for the clients on my care teams. It only reads: the
    schedules are kept current by the services that change them (services/schedules.py)."""
    actor = require_actor(request)
    instrument_services.ensure_shipped_instruments(clinic=actor.clinic)
    today = actor.clinic.today()
    queries = selectors.due_for_actor(actor, today)
    # Both lists, each its first rows and its count; or one of them in full, a page at a time.
    only = request.GET.get("list", "")
    page_obj = None
    if only in DUE_LISTS:
        page_obj = Paginator(getattr(queries, only), PAGE_SIZE).get_page(request.GET.get("page"))
        lists = {only: Section(rows=list(page_obj), total=page_obj.paginator.count)}
    else:
        only = ""
        lists = {name: first_rows(getattr(queries, name), DUE_ROWS) for name in DUE_LISTS}
    audit_shown(
        request,
        actor=actor,
        action=AuditAction.LIST,
        object_type="measure.due_list",
        summary=_("Measures due list"),
        details={"client_ids": sorted({a.client_id for rows in lists.values() for a in rows})},
    )
    titles = {d.code: d.short_title for d in selectors.active_definitions(actor.clinic_id)}
    context = {
        "lists": SimpleNamespace(overdue=lists.get("overdue"), due=lists.get("due")),
        "only": only,
        "page_obj": page_obj,
        "query": f"list={only}" if only else "",
        "today": today,
        "titles": titles,
    }
    return render(request, "measures/due_list.html", context)


@staff_required(Role.CLINIC_ADMIN)
def instruments(request: HttpRequest) -> HttpResponse:
    actor = require_actor(request)
    instrument_services.ensure_shipped_instruments(clinic=actor.clinic)
    definitions = selectors.clinic_definitions(actor.clinic_id)
    settings = instrument_services.measure_settings(actor.clinic)
    return render(
        request,
        "measures/instruments.html",
        {"definitions": definitions, "settings": settings, "upload_form": DefinitionUploadForm()},
    )


def _definition_or_404(request: HttpRequest, definition_id: int) -> InstrumentDefinition:
    actor = require_actor(request)
    definition = selectors.clinic_definition(actor.clinic_id, definition_id)
    if definition is None:
        raise Http404("No such instrument.")
    return definition


@staff_required(Role.CLINIC_ADMIN)
def add_definition(request: HttpRequest) -> HttpResponse:
    form = DefinitionUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            definition = instrument_services.add_definition(
                actor=require_actor(request), data=form.cleaned_data["definition"]
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(
                request, _("%(t)s is loaded and in use.") % {"t": definition.short_title}
            )
            return redirect("measures_admin:instrument", definition_id=definition.pk)
    return render(request, "measures/definition_add.html", {"form": form})


@staff_required(Role.CLINIC_ADMIN)
def instrument_detail(request: HttpRequest, definition_id: int) -> HttpResponse:
    """One definition: its items and scoring, the licensed text to load and its parameters."""
    definition = _definition_or_404(request, definition_id)
    actor = require_actor(request)
    text_form = ItemTextForm(
        request.POST if request.POST.get("form") == "text" else None, definition=definition
    )
    params_form = ParametersForm(
        request.POST if request.POST.get("form") == "params" else None, definition=definition
    )
    if request.method == "POST":
        form = text_form if request.POST.get("form") == "text" else params_form
        if form.is_bound and form.is_valid():
            try:
                if form is text_form:
                    instrument_services.load_item_text(
                        actor=actor, definition=definition, texts=form.texts()
                    )
                else:
                    instrument_services.set_parameters(
                        actor=actor, definition=definition, values=form.cleaned_data
                    )
            except ValidationError as error:
                item_field = (lambda key: f"item_{key}") if form is text_form else None
                add_service_errors(form, error, aliases=item_field)
            else:
                messages.success(request, _("Saved."))
                return redirect("measures_admin:instrument", definition_id=definition.pk)
    items = [
        {**item, "shown_text": definition.text_for(item["key"])}
        for item in definition.definition["items"]
    ]
    context = {
        "definition": definition,
        "spec": definition.definition,
        "items": items,
        "text_form": text_form if text_form.fields else None,
        "params_form": params_form if params_form.fields else None,
    }
    return render(request, "measures/instrument_detail.html", context)


@staff_required(Role.CLINIC_ADMIN)
def settings_view(request: HttpRequest) -> HttpResponse:
    actor = require_actor(request)
    instrument_services.ensure_shipped_instruments(clinic=actor.clinic)
    settings = instrument_services.measure_settings(actor.clinic)
    codes = [(d.code, d.short_title) for d in selectors.active_definitions(actor.clinic_id)]
    form = MeasureSettingsForm(
        request.POST or None, instance=settings, conditions=Condition.choices, codes=codes
    )
    if request.method == "POST" and form.is_valid():
        try:
            instrument_services.update_measure_settings(actor=actor, data=form.settings_data())
        except ValidationError as error:
            add_service_errors(form, error, aliases={"follow_up_months": "follow_up_months_text"})
        else:
            messages.success(request, _("Measure settings saved."))
            return redirect("measures_admin:instruments")
    return render(request, "measures/settings.html", {"form": form})
