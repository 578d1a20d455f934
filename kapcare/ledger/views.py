"""Ledger pages: stock by location, the entries, lots and their history. Writes are in
movement_views, count_views and setup_views; reports in report_views."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.utils.translation import gettext as _

from kapcare.accounts.actor import Actor
from kapcare.accounts.decorators import require_actor, staff_required
from kapcare.audit.models import AuditAction
from kapcare.audit.shown import audit_shown
from kapcare.core.paging import query_without_page
from kapcare.courses.dosing_sessions import sessions_by_id
from kapcare.ledger import selectors
from kapcare.ledger.forms import EntryFilterForm
from kapcare.ledger.models import LedgerEntry
from kapcare.ledger.permissions import LedgerAction, allowed, roles_for
from kapcare.ledger.reports import registrant_for
from kapcare.ledger.selectors import records

PAGE_SIZE = 50


def ledger_view(action: LedgerAction) -> Callable:
    """A ledger page for the roles that may `action` (permissions.POLICY)."""
    return staff_required(*roles_for(action))


def audit_listing(
    request: HttpRequest, actor: Actor, what: str, entries: Iterable[LedgerEntry], summary: str
) -> None:
    """A page that lists entries shows who received doses: audit it with the clients named."""
    audit_shown(
        request,
        actor=actor,
        action=AuditAction.LIST,
        object_type=f"ledger.{what}",
        summary=summary,
        details={"client_ids": sorted({e.client_id for e in entries if e.client_id})},
    )


def ledger_context(actor: Actor, **extra) -> dict:
    return {"can": {action.value: True for action in allowed(actor)}, **extra}


@ledger_view(LedgerAction.VIEW)
def home(request: HttpRequest) -> HttpResponse:
    actor = require_actor(request)
    clinic = actor.clinic
    recent = list(selectors.ledger_entries(clinic=clinic)[:10])
    audit_listing(request, actor, "home", recent, _("Ledger: stock and recent entries"))
    context = ledger_context(
        actor,
        locations=selectors.stock_by_location(clinic_id=actor.clinic_id, today=clinic.today()),
        counts=selectors.counts_today(clinic=clinic),
        cases=list(selectors.open_cases(clinic_id=actor.clinic_id)),
        inventory=selectors.inventory_status(clinic_id=actor.clinic_id),
        registrant=registrant_for(actor.clinic_id),
        open_losses=records.losses_awaiting_form_106(clinic),
        recent=recent,
        head=selectors.chain_head(clinic_id=actor.clinic_id),
    )
    return render(request, "ledger/home.html", context)


@ledger_view(LedgerAction.VIEW)
def entries(request: HttpRequest) -> HttpResponse:
    actor = require_actor(request)
    form = EntryFilterForm(request.GET or None, clinic_id=actor.clinic_id)
    filters = {}
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        filters = {
            "kind": data["kind"],
            "location_id": data["location"].pk if data["location"] else None,
            "date_from": data["date_from"],
            "date_to": data["date_to"],
        }
    page_obj = Paginator(
        selectors.ledger_entries(clinic=actor.clinic, **filters), PAGE_SIZE
    ).get_page(request.GET.get("page"))
    audit_listing(
        request,
        actor,
        "entries",
        page_obj,
        _("Ledger entries, page %(n)s") % {"n": page_obj.number},
    )
    query = query_without_page(request)
    context = ledger_context(actor, form=form, page_obj=page_obj, query=query)
    template = "ledger/partials/_entry_table.html" if request.htmx else "ledger/entries.html"
    return render(request, template, context)


@ledger_view(LedgerAction.VIEW)
def entry_detail(request: HttpRequest, entry_id: int) -> HttpResponse:
    actor = require_actor(request)
    entry = get_object_or_404(records.entries_with_detail(clinic_id=actor.clinic_id), pk=entry_id)
    audit_shown(
        request,
        actor=actor,
        action=AuditAction.VIEW,
        client=entry.client,
        obj=entry,
        summary=_("Opened ledger entry #%(n)s") % {"n": entry.sequence},
    )
    context = ledger_context(
        actor,
        entry=entry,
        corrections=records.corrections_of(entry),
        loss_report=records.loss_report_for(entry),
        correctable=entry.kind != "count",
        session=sessions_by_id([entry.dosing_session_id]).get(entry.dosing_session_id),
    )
    return render(request, "ledger/entry_detail.html", context)


@ledger_view(LedgerAction.VIEW)
def lots(request: HttpRequest) -> HttpResponse:
    actor = require_actor(request)
    page_obj = Paginator(selectors.lots_with_totals(clinic_id=actor.clinic_id), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    context = ledger_context(actor, page_obj=page_obj, today=actor.clinic.today(), query="")
    return render(request, "ledger/lots.html", context)


@ledger_view(LedgerAction.VIEW)
def lot_detail(request: HttpRequest, lot_id: int) -> HttpResponse:
    actor = require_actor(request)
    lot = get_object_or_404(records.lots(clinic_id=actor.clinic_id), pk=lot_id)
    page_obj = Paginator(records.lot_history(lot), PAGE_SIZE).get_page(request.GET.get("page"))
    audit_listing(
        request, actor, "lot", page_obj, _("History of lot %(lot)s") % {"lot": lot.lot_number}
    )
    context = ledger_context(
        actor,
        lot=lot,
        balances=records.lot_stock_by_location(lot),
        page_obj=page_obj,
        query="",
        expired=lot.is_expired(actor.clinic.today()),
        now=timezone.now(),
    )
    return render(request, "ledger/lot_detail.html", context)
