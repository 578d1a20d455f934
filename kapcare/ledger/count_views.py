"""Pages for counts and inventories, and for closing discrepancy cases."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from kapcare.accounts.decorators import require_actor
from kapcare.core.forms import add_service_errors
from kapcare.ledger import selectors
from kapcare.ledger.count_forms import CloseCaseForm, CountForm
from kapcare.ledger.models import (
    INVENTORY_PURPOSES,
    CaseStatus,
    CountPurpose,
    CountTiming,
)
from kapcare.ledger.permissions import LedgerAction, can
from kapcare.ledger.reports import inventory_lines
from kapcare.ledger.selectors import records
from kapcare.ledger.services import reconciliation
from kapcare.ledger.views import PAGE_SIZE, ledger_context, ledger_view


@ledger_view(LedgerAction.VIEW)
def counts(request: HttpRequest) -> HttpResponse:
    actor = require_actor(request)
    page_obj = Paginator(records.counts(clinic_id=actor.clinic_id), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    context = ledger_context(
        actor,
        page_obj=page_obj,
        query="",
        today=selectors.counts_today(clinic=actor.clinic),
        inventory=selectors.inventory_status(clinic_id=actor.clinic_id),
    )
    return render(request, "ledger/counts.html", context)


def _suggested_timing(clinic) -> str:
    for row in selectors.counts_today(clinic=clinic):
        if row[CountTiming.OPENING]["status"] == "due":
            return CountTiming.OPENING
    return CountTiming.CLOSING


def _timing_asked(request) -> str:
    """The timing a "count now" link asked for (?timing=closing), if it is one."""
    timing = request.GET.get("timing", "")
    return timing if timing in (CountTiming.OPENING, CountTiming.CLOSING) else ""


def _count_page(request, *, location, purposes: list[str]) -> HttpResponse:
    actor = require_actor(request)
    config = selectors.settings_for(actor.clinic)
    form = CountForm(
        request.POST or None,
        actor=actor,
        rows=records.lots_to_count(clinic=actor.clinic, location=location),
        purposes=purposes,
        estimates_allowed=not config.exact_count_for_open_containers,
        initial={"timing": _timing_asked(request) or _suggested_timing(actor.clinic)},
    )
    if request.method == "POST" and form.is_valid() and form.witness is not None:
        data = form.cleaned_data
        try:
            count = reconciliation.record_count(
                actor=actor,
                witness=form.witness,
                purpose=data["purpose"],
                timing=data["timing"] if data["purpose"] != CountPurpose.SPOT else "",
                location=location,
                lines=form.lines,
                note=data["note"],
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            if count.has_discrepancy:
                messages.warning(
                    request,
                    _(
                        "The count differs from the ledger. Administrations from the location are blocked until a clinic admin resolves the discrepancy."
                    ),
                )
            else:
                messages.success(request, _("Count recorded: it matches the ledger."))
            if selectors.doses_before_opening_count(count):
                messages.warning(
                    request,
                    _(
                        "This start-of-day count was recorded after doses were given today; "
                        "it is flagged as late."
                    ),
                )
            return redirect("ledger:count", count.pk)
    context = ledger_context(actor, form=form, location=location, rows=form.row_fields())
    return render(request, "ledger/count_form.html", context)


@ledger_view(LedgerAction.COUNT)
def count_new(request: HttpRequest) -> HttpResponse:
    actor = require_actor(request)
    location_id = request.GET.get("location")
    if not location_id:
        return render(
            request,
            "ledger/count_choose.html",
            ledger_context(actor, today=selectors.counts_today(clinic=actor.clinic)),
        )
    location = get_object_or_404(
        records.locations(clinic_id=actor.clinic_id), pk=location_id if location_id.isdigit() else 0
    )
    return _count_page(request, location=location, purposes=[CountPurpose.DAILY, CountPurpose.SPOT])


@ledger_view(LedgerAction.COUNT)
def inventory_new(request: HttpRequest) -> HttpResponse:
    purpose = request.GET.get("purpose", "")
    if purpose not in INVENTORY_PURPOSES:
        raise Http404("No such inventory.")
    return _count_page(request, location=None, purposes=[purpose])


@ledger_view(LedgerAction.VIEW)
def count_detail(request: HttpRequest, count_id: int) -> HttpResponse:
    actor = require_actor(request)
    count = get_object_or_404(records.counts(clinic_id=actor.clinic_id), pk=count_id)
    context = ledger_context(
        actor,
        count=count,
        lines=inventory_lines(count),
        cases=records.cases_of_count(count),
        doses_before=selectors.doses_before_opening_count(count),
    )
    return render(request, "ledger/count_detail.html", context)


@ledger_view(LedgerAction.VIEW)
def case_detail(request: HttpRequest, case_id: int) -> HttpResponse:
    actor = require_actor(request)
    case = get_object_or_404(records.discrepancy_cases(clinic_id=actor.clinic_id), pk=case_id)
    form = CloseCaseForm(request.POST or None, actor=actor)
    if request.method == "POST":
        if not can(actor, LedgerAction.RESOLVE):
            raise PermissionDenied(_("Only a clinic admin closes a discrepancy case."))
        if form.is_valid() and (
            form.cleaned_data["outcome"] != CaseStatus.RESOLVED or form.witness is not None
        ):
            try:
                reconciliation.transition_case(
                    actor=actor,
                    case=case,
                    to=form.cleaned_data["outcome"],
                    reason=form.cleaned_data["reason"],
                    witness=form.witness,
                )
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                messages.success(
                    request,
                    _("Case closed. Administrations from %(where)s are no longer blocked.")
                    % {"where": case.location.name},
                )
                return redirect("ledger:case", case.pk)
    context = ledger_context(
        actor,
        case=case,
        differences=selectors.count_differences(case),
        adjustments=records.case_adjustments(case),
        form=form,
    )
    return render(request, "ledger/case_detail.html", context)
