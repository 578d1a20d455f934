"""Pages that move stock: receive, transfer, waste, return or dispose, report a loss, correct.
Each parses its form, calls one service and shows any refusal at the field it concerns."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from kapcare.accounts.decorators import require_actor
from kapcare.core.forms import add_service_errors
from kapcare.ledger import rules, services
from kapcare.ledger.forms import (
    CorrectionForm,
    DisposalForm,
    LossFollowUpForm,
    LossForm,
    ReceiveForm,
    TransferForm,
    WasteForm,
)
from kapcare.ledger.models import LedgerEntry, LossReport
from kapcare.ledger.permissions import LedgerAction, require
from kapcare.ledger.selectors import loss_reports, records
from kapcare.ledger.services import disposals, reconciliation
from kapcare.ledger.services.drafts import clinic_date
from kapcare.ledger.views import PAGE_SIZE, ledger_context, ledger_view

QUANTITY = {"quantity_mg": "quantity", "from_location": "balance"}


def _done(request: HttpRequest, text: str, entry: LedgerEntry) -> HttpResponse:
    messages.success(request, f"{text} " + _("Entry #%(n)s.") % {"n": entry.sequence})
    return redirect("ledger:home")


def _page(request, template: str, form, **extra) -> HttpResponse:
    return render(request, template, ledger_context(require_actor(request), form=form, **extra))


@ledger_view(LedgerAction.RECEIVE)
def receive(request: HttpRequest) -> HttpResponse:
    actor = require_actor(request)
    form = ReceiveForm(request.POST or None, actor=actor)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            entry = services.receive_stock(
                actor=actor,
                product=data["product"],
                lot_number=data["lot_number"],
                ndc=data["ndc"],
                expires_on=data["expires_on"],
                supplier_name=data["supplier_name"],
                supplier_address=data["supplier_address"],
                supplier_dea_number=data["supplier_dea_number"],
                location=data["location"],
                quantity_mg=data["quantity_mg"],
                reference=data["reference"],
                occurred_at=data["received_at"],
                note=data["note"],
            )
        except ValidationError as error:
            add_service_errors(form, error, {**QUANTITY, "occurred_at": "received_at"})
        else:
            return _done(
                request,
                _("Received %(mg)s mg of lot %(lot)s into %(where)s.")
                % {
                    "mg": rules.canonical_value(entry.quantity_mg),
                    "lot": entry.lot.lot_number,
                    "where": entry.location.name,
                },
                entry,
            )
    return _page(request, "ledger/receive.html", form)


@ledger_view(LedgerAction.TRANSFER)
def transfer(request: HttpRequest) -> HttpResponse:
    actor = require_actor(request)
    form = TransferForm(request.POST or None, actor=actor)
    if request.method == "POST" and form.is_valid():
        data, row = form.cleaned_data, form.cleaned_data["balance"]
        try:
            out, _incoming = services.transfer_stock(
                actor=actor,
                lot=row.lot,
                from_location=row.location,
                to_location=data["to_location"],
                quantity_mg=data["quantity_mg"],
                reason=data["reason"],
            )
        except ValidationError as error:
            add_service_errors(form, error, QUANTITY)
        else:
            return _done(request, _("Moved to %(to)s.") % {"to": data["to_location"].name}, out)
    return _page(request, "ledger/transfer.html", form)


@ledger_view(LedgerAction.WASTE)
def waste(request: HttpRequest) -> HttpResponse:
    actor = require_actor(request)
    form = WasteForm(request.POST or None, actor=actor)
    if request.method == "POST" and form.is_valid() and form.witness is not None:
        data, row = form.cleaned_data, form.cleaned_data["balance"]
        try:
            entry = services.record_waste(
                actor=actor,
                witness=form.witness,
                lot=row.lot,
                location=row.location,
                quantity_mg=data["quantity_mg"],
                reason=data["reason"],
            )
        except ValidationError as error:
            add_service_errors(form, error, QUANTITY)
        else:
            return _done(
                request,
                _("Waste of %(mg)s mg recorded, witnessed by %(w)s.")
                % {"mg": rules.canonical_value(-entry.quantity_mg), "w": entry.witness_label},
                entry,
            )
    return _page(request, "ledger/waste.html", form)


@ledger_view(LedgerAction.DISPOSE)
def dispose(request: HttpRequest) -> HttpResponse:
    actor = require_actor(request)
    form = DisposalForm(request.POST or None, actor=actor)
    if request.method == "POST" and form.is_valid():
        data, row = form.cleaned_data, form.cleaned_data["balance"]
        try:
            entry = disposals.record_disposal(
                actor=actor,
                lot=row.lot,
                location=row.location,
                quantity_mg=data["quantity_mg"],
                method=data["method"],
                reference=data["reference"],
                counterparty=data["counterparty"],
                witness=form.witness,
                reason=data["reason"],
            )
        except ValidationError as error:
            add_service_errors(form, error, QUANTITY)
        else:
            return _done(request, _("Return or disposal recorded."), entry)
    return _page(request, "ledger/dispose.html", form)


@ledger_view(LedgerAction.VIEW)
def losses(request: HttpRequest) -> HttpResponse:
    actor = require_actor(request)
    page_obj = Paginator(loss_reports(clinic_id=actor.clinic_id), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    for report in page_obj:
        _deadlines(report, actor.clinic)
    return render(request, "ledger/losses.html", ledger_context(actor, page_obj=page_obj, query=""))


def _deadlines(report: LossReport, clinic) -> None:
    discovered = clinic_date(clinic, report.discovered_at)
    report.notice_due = rules.dea_notice_due(discovered)
    report.form_106_due = rules.form_106_due(discovered)
    today = clinic.today()
    report.notice_overdue = report.dea_notified_at is None and today > report.notice_due
    report.form_106_overdue = not report.form_106_reference and today > report.form_106_due


@ledger_view(LedgerAction.REPORT_LOSS)
def loss_new(request: HttpRequest) -> HttpResponse:
    actor = require_actor(request)
    form = LossForm(request.POST or None, actor=actor)
    if request.method == "POST" and form.is_valid():
        data, row = form.cleaned_data, form.cleaned_data["balance"]
        try:
            report = disposals.report_loss(
                actor=actor,
                lot=row.lot,
                location=row.location,
                quantity_mg=data["quantity_mg"],
                kind=data["kind"],
                discovered_at=data["discovered_at"],
                circumstances=data["circumstances"],
                police_report=data["police_report"],
            )
        except ValidationError as error:
            add_service_errors(form, error, {**QUANTITY, "occurred_at": "discovered_at"})
        else:
            messages.warning(
                request,
                _(
                    "Loss recorded. Notify the DEA field office in writing within 1 business day, and file DEA Form 106 within 45 days."
                ),
            )
            return redirect("ledger:loss", report.pk)
    return _page(request, "ledger/loss_new.html", form)


@ledger_view(LedgerAction.VIEW)
def loss_detail(request: HttpRequest, report_id: int) -> HttpResponse:
    actor = require_actor(request)
    report = get_object_or_404(loss_reports(clinic_id=actor.clinic_id), pk=report_id)
    form = LossFollowUpForm(
        request.POST or None,
        initial={
            "dea_notified_at": report.dea_notified_at,
            "form_106_reference": report.form_106_reference,
            "form_106_submitted_at": report.form_106_submitted_at,
            "police_report": report.police_report,
        },
    )
    if request.method == "POST":
        require(actor, LedgerAction.REPORT_LOSS)
        if form.is_valid():
            try:
                disposals.update_loss_report(actor=actor, report=report, **form.cleaned_data)
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                messages.success(request, _("Loss report updated."))
                return redirect("ledger:loss", report.pk)
    _deadlines(report, actor.clinic)
    return _page(request, "ledger/loss_detail.html", form, report=report)


@ledger_view(LedgerAction.CORRECT)
def correct(request: HttpRequest, entry_id: int) -> HttpResponse:
    actor = require_actor(request)
    entry = get_object_or_404(records.correctable_entries(clinic_id=actor.clinic_id), pk=entry_id)
    form = CorrectionForm(request.POST or None, actor=actor)
    if request.method == "POST" and form.is_valid() and form.witness is not None:
        try:
            correction = reconciliation.record_correction(
                actor=actor,
                witness=form.witness,
                entry=entry,
                quantity_mg=form.cleaned_data["quantity_mg"],
                reason=form.cleaned_data["reason"],
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(
                request,
                _("Correction recorded as entry #%(n)s.") % {"n": correction.sequence},
            )
            return redirect("ledger:entry", correction.pk)
    return _page(request, "ledger/correct.html", form, entry=entry)
