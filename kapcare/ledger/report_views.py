"""Report pages and their CSV and PDF exports: period report, per-lot history, per-client
administrations, and inventories. Every export is audited; CSVs stream through csv_lines."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.utils.translation import gettext as _

from kapcare.accounts.actor import Actor
from kapcare.accounts.decorators import require_actor
from kapcare.audit.models import AuditAction
from kapcare.audit.shown import audit_shown
from kapcare.clients.models import Client
from kapcare.core.downloads import set_download_name
from kapcare.core.exports import csv_lines
from kapcare.core.paging import Section
from kapcare.ledger import reports, selectors
from kapcare.ledger.models import Count
from kapcare.ledger.pdf import pdf_response, render_pdf
from kapcare.ledger.permissions import LedgerAction
from kapcare.ledger.report_forms import ClientSearchForm, PeriodForm
from kapcare.ledger.selectors import records
from kapcare.ledger.views import PAGE_SIZE, audit_listing, ledger_context, ledger_view

# Lots the period page lists before it points to the exports for the rest.
SUMMARY_LOTS = 25


def _stamp() -> str:
    return timezone.localtime().strftime("%Y%m%d-%H%M")


def _csv(name: str, header: list[str], rows) -> StreamingHttpResponse:
    response = StreamingHttpResponse(
        csv_lines(header, rows), content_type="text/csv; charset=utf-8"
    )
    return set_download_name(response, f"kapcare-{name}-{_stamp()}.csv")


def _exported(
    request: HttpRequest, actor: Actor, what: str, summary: str, client=None, **details
) -> None:
    """Audit the export once the file is made (an unknown format is a 404 and writes nothing)."""
    audit_shown(
        request,
        actor=actor,
        action=AuditAction.EXPORT,
        client=client,
        object_type=f"ledger.{what}",
        summary=summary,
        details=details,
    )


def _pdf_context(actor: Actor, **extra) -> dict:
    return {
        "clinic": actor.clinic,
        "registrant": reports.registrant_for(actor.clinic_id),
        "generated_at": timezone.localtime(),
        "generated_by": actor.user.display_name,
        "head": selectors.chain_head(clinic_id=actor.clinic_id),
        "entry_limit": reports.PDF_ENTRY_LIMIT,
        **extra,
    }


@ledger_view(LedgerAction.VIEW)
def index(request: HttpRequest) -> HttpResponse:
    actor = require_actor(request)
    search = ClientSearchForm(request.GET or None)
    found = []
    if search.is_valid() and search.cleaned_data["q"]:
        found = records.clients_named(clinic=actor.clinic, query=search.cleaned_data["q"])
    context = ledger_context(
        actor,
        period_form=PeriodForm.for_request({}, actor.clinic.today()),
        search=search,
        found=found,
        inventories=list(selectors.inventories(clinic_id=actor.clinic_id)[:10]),
    )
    return render(request, "ledger/reports.html", context)


def _period(request: HttpRequest):
    actor = require_actor(request)
    form = PeriodForm.for_request(request.GET, actor.clinic.today())
    if not form.is_valid():
        return actor, form, None, None
    start, end = form.cleaned_data["date_from"], form.cleaned_data["date_to"]
    return actor, form, start, end


@ledger_view(LedgerAction.VIEW)
def period(request: HttpRequest) -> HttpResponse:
    actor, form, start, end = _period(request)
    context = ledger_context(actor, form=form, rows=None, page_obj=None)
    if start is not None:
        page_obj = Paginator(
            reports.period_entries(clinic=actor.clinic, start=start, end=end), PAGE_SIZE
        ).get_page(request.GET.get("page"))
        audit_listing(
            request,
            actor,
            "period",
            page_obj,
            _("Period report %(a)s – %(b)s") % {"a": start, "b": end},
        )
        rows = reports.period_summary(clinic=actor.clinic, start=start, end=end)
        context.update(
            # The page is bounded: the first lots and the totals per product; the exports list
            # every lot (a big clinic's year holds hundreds).
            rows=Section(rows=rows[:SUMMARY_LOTS], total=len(rows)),
            totals=reports.product_totals(rows),
            page_obj=page_obj,
            query=f"date_from={start.isoformat()}&date_to={end.isoformat()}",
            start=start,
            end=end,
        )
    return render(request, "ledger/period.html", context, status=200 if start else 400)


@ledger_view(LedgerAction.VIEW)
def period_export(request: HttpRequest, fmt: str) -> HttpResponse:
    actor, form, start, end = _period(request)
    if start is None:
        return render(request, "ledger/period.html", ledger_context(actor, form=form), status=400)
    summary = reports.period_summary(clinic=actor.clinic, start=start, end=end)
    entries = reports.period_entries(clinic=actor.clinic, start=start, end=end)
    name = f"ledger-{start.isoformat()}-to-{end.isoformat()}"
    _exported(
        request,
        actor,
        "period",
        _("Exported the period report (%(fmt)s)") % {"fmt": fmt},
        start=str(start),
        end=str(end),
    )
    zone = timezone.get_current_timezone()
    if fmt == "summary.csv":
        return _csv(f"{name}-summary", reports.SUMMARY_COLUMNS, map(reports.summary_row, summary))
    if fmt == "csv":
        return _csv(name, reports.ENTRY_COLUMNS, reports.entry_rows(entries, zone))
    if fmt != "pdf":
        raise Http404("No such format.")
    listed, too_many = reports.entries_for_pdf(entries)
    context = _pdf_context(
        actor,
        title=_("Controlled-substance period report"),
        start=start,
        end=end,
        rows=summary,
        entries=listed,
        too_many=too_many,
    )
    return pdf_response(render_pdf("ledger/pdf/period.html", context), f"kapcare-{name}.pdf")


@ledger_view(LedgerAction.VIEW)
def lot_export(request: HttpRequest, lot_id: int, fmt: str) -> HttpResponse:
    actor = require_actor(request)
    lot = get_object_or_404(records.lots(clinic_id=actor.clinic_id), pk=lot_id)
    entries = reports.lot_entries(lot=lot)
    _exported(
        request,
        actor,
        "lot",
        _("Exported the history of lot %(lot)s (%(fmt)s)") % {"lot": lot.lot_number, "fmt": fmt},
        lot_id=lot.pk,
    )
    name = f"lot-{lot.lot_number}"
    if fmt == "csv":
        return _csv(
            name,
            reports.ENTRY_COLUMNS,
            reports.entry_rows(entries, timezone.get_current_timezone()),
        )
    if fmt != "pdf":
        raise Http404("No such format.")
    listed, too_many = reports.entries_for_pdf(entries.select_related("lot__product"))
    context = _pdf_context(
        actor,
        title=_("History of lot %(lot)s") % {"lot": lot.lot_number},
        lot=lot,
        entries=listed,
        too_many=too_many,
    )
    return pdf_response(render_pdf("ledger/pdf/entries.html", context), f"kapcare-{name}.pdf")


def _client(actor: Actor, client_id: int) -> Client:
    return get_object_or_404(Client, clinic_id=actor.clinic_id, pk=client_id)


@ledger_view(LedgerAction.VIEW)
def client_report(request: HttpRequest, client_id: int) -> HttpResponse:
    actor = require_actor(request)
    client = _client(actor, client_id)
    page_obj = Paginator(
        selectors.client_administrations(clinic_id=actor.clinic_id, client_id=client.pk), PAGE_SIZE
    ).get_page(request.GET.get("page"))
    audit_shown(
        request,
        actor=actor,
        action=AuditAction.VIEW,
        client=client,
        object_type="ledger.client",
        object_id=client.pk,
        summary=_("Opened the controlled-substance administrations report"),
    )
    return render(
        request,
        "ledger/client_report.html",
        ledger_context(actor, client=client, page_obj=page_obj, query=""),
    )


@ledger_view(LedgerAction.VIEW)
def client_export(request: HttpRequest, client_id: int, fmt: str) -> HttpResponse:
    actor = require_actor(request)
    client = _client(actor, client_id)
    entries = selectors.client_administrations(clinic_id=actor.clinic_id, client_id=client.pk)
    _exported(
        request,
        actor,
        "client",
        _("Exported administrations (%(fmt)s)") % {"fmt": fmt},
        client=client,
    )
    name = f"administrations-client-{client.pk}"
    if fmt == "csv":
        return _csv(
            name,
            reports.ENTRY_COLUMNS,
            reports.entry_rows(entries, timezone.get_current_timezone()),
        )
    if fmt != "pdf":
        raise Http404("No such format.")
    listed, too_many = reports.entries_for_pdf(entries)
    context = _pdf_context(
        actor,
        title=_("Controlled-substance administrations: %(name)s") % {"name": client.full_name},
        client=client,
        entries=listed,
        too_many=too_many,
    )
    return pdf_response(render_pdf("ledger/pdf/entries.html", context), f"kapcare-{name}.pdf")


def _count(actor: Actor, count_id: int) -> Count:
    return get_object_or_404(records.counts(clinic_id=actor.clinic_id), pk=count_id)


@ledger_view(LedgerAction.VIEW)
def count_export(request: HttpRequest, count_id: int, fmt: str) -> HttpResponse:
    """An inventory (or any count) as §5.3 lays it out: CSV, or a signed-and-dated PDF."""
    actor = require_actor(request)
    count = _count(actor, count_id)
    lines = reports.inventory_lines(count)
    _exported(
        request,
        actor,
        "count",
        _("Exported %(what)s (%(fmt)s)") % {"what": count.get_purpose_display(), "fmt": fmt},
        count_id=count.pk,
    )
    name = f"{count.purpose}-{count.business_date.isoformat()}"
    if fmt == "csv":
        return _csv(name, reports.INVENTORY_COLUMNS, map(reports.inventory_row, lines))
    if fmt != "pdf":
        raise Http404("No such format.")
    context = _pdf_context(actor, title=count.get_purpose_display(), count=count, lines=lines)
    return pdf_response(render_pdf("ledger/pdf/inventory.html", context), f"kapcare-{name}.pdf")
