"""The live session page at the chair and every step posted from it.

Views parse, call one service and render. Steps that move the session on (check-in, checks,
administration, end of dosing, discharge, abort) post normally and redirect, so the page shows
the next step. Frequent entries (vitals, ratings, alert acknowledgements, the session note) post
with HTMX and swap only their own part; the status panel polls every few seconds and returns
204 (nothing to swap, nothing audited) when the session has not changed.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from kapcare.accounts.decorators import require_actor
from kapcare.clients.access import client_page, client_page_context
from kapcare.clients.models import Client
from kapcare.clients.permissions import ClientAction
from kapcare.core.forms import add_service_errors
from kapcare.core.prg import post_action
from kapcare.dosing import forms, selectors, services
from kapcare.dosing.live_context import live_context, panel_context, stock_options
from kapcare.dosing.models import DosingStatus, PreDoseCheck

CLINICAL = ClientAction.VIEW_CLINICAL
# The event an HTMX entry sends so the status panel refreshes at once.
CHANGED = "kc-session-changed"


def _session(request, client, session_id):
    return selectors.session_for_actor_or_404(require_actor(request), client, session_id)


def _page(request, client, session, status=200, **bound) -> HttpResponse:
    context = live_context(require_actor(request), session, bound)
    request.audited = session
    return render(
        request,
        "dosing/live.html",
        client_page_context(request, client, "dosing", **context),
        status=status,
    )


def _back(client, session) -> HttpResponse:
    return redirect("dosing:live", client_id=client.pk, session_id=session.pk)


@client_page(CLINICAL, page="dosing_session")
def live(request: HttpRequest, client: Client, session_id: int) -> HttpResponse:
    return _page(request, client, _session(request, client, session_id))


@client_page(CLINICAL, page="dosing_panel")
def panel(request: HttpRequest, client: Client, session_id: int) -> HttpResponse:
    """The polled status panel: 204 when nothing changed since the caller's revision (nothing
    to swap, nothing audited). When the session moved to another step than the page shows,
    the panel says so and offers the next step, rather than reloading: someone may be typing
    in one of the page's forms."""
    session = _session(request, client, session_id)
    if request.GET.get("rev") == str(session.revision) and request.htmx:
        return HttpResponse(status=204)
    return _panel(request, session, page_status=request.GET.get("status", ""))


def _panel(request, session, ack_forms=None, page_status="") -> HttpResponse:
    actor = require_actor(request)
    data = selectors.panel_view(session)
    request.audited = session
    page_status = page_status if page_status in DosingStatus.values else session.status
    context = {
        "session": session,
        "panel": panel_context(session, data, actor, page_status=page_status),
        "ack_forms": ack_forms or {},
    }
    return render(request, "dosing/partials/_panel.html", context)


def post_step(
    request, client, session, form, call, *, bound="", success="", swap=None, refused=None
):
    """The one shape of every step posted from the live page.

    A valid form goes to `call(actor, session, form)`; the step is refused when the form is
    invalid, the service raises a ValidationError (mapped onto the form's fields) or `call` put
    errors on the form itself (a witness who did not verify). Accepted: with HTMX and `swap`,
    `swap(session, None)` re-rendered after the write with HX-Trigger telling the status panel to
    refresh; otherwise the `success` message, if any, and a redirect to the page. Refused: with
    HTMX and `swap`, `swap(session, form)`; else `refused(form)` when given; else the whole page
    with the bound form under `bound`, its errors at their fields.
    """
    if form.is_valid():
        try:
            call(require_actor(request), session, form)
        except ValidationError as error:
            add_service_errors(form, error)
        if not form.errors:
            if request.htmx and swap is not None:
                session.refresh_from_db()
                response = swap(session, None)
                response["HX-Trigger"] = CHANGED
                return response
            if success:
                messages.success(request, success)
            return _back(client, session)
    if request.htmx and swap is not None:
        return swap(session, form)
    if refused is not None:
        return refused(form)
    return _page(request, client, session, **{bound: form})


def _step(request, client, session_id, form, bound, call, success) -> HttpResponse:
    """A step that moves the session on: posted normally, then the page shows the next step."""
    session = _session(request, client, session_id)
    return post_step(request, client, session, form, call, bound=bound, success=success)


@post_action("dosing:live")
@client_page(CLINICAL, page="dosing_check_in")
def check_in(request, client, session_id):
    return _step(
        request,
        client,
        session_id,
        forms.CheckInForm(request.POST),
        "checkin",
        lambda actor, session, form: services.check_in(
            actor=actor, session=session, at=form.cleaned_data["checked_in_at"]
        ),
        _("Checked in."),
    )


@post_action("dosing:live")
@client_page(CLINICAL, page="dosing_checks")
def pre_dose_checks(request, client, session_id):
    def call(actor, session, form):
        data = dict(form.cleaned_data)
        services.record_pre_dose_check(
            actor=actor, session=session, data=data, recorded_at=data.pop("recorded_at")
        )

    return _step(
        request,
        client,
        session_id,
        forms.PreDoseCheckForm(request.POST),
        "check",
        call,
        _("Pre-dose checks recorded."),
    )


@post_action("dosing:live")
@client_page(CLINICAL, page="dosing_clear")
def clear_check(request, client, session_id, check_id):
    session = _session(request, client, session_id)
    check = get_object_or_404(PreDoseCheck, pk=check_id, session=session)
    return _step(
        request,
        client,
        session_id,
        forms.ReasonForm(request.POST),
        "clear",
        lambda actor, _session, form: services.clear_pre_dose_check(
            actor=actor, check=check, reason=form.cleaned_data["reason"]
        ),
        _("Cleared for dosing."),
    )


@post_action("dosing:live")
@client_page(CLINICAL, page="dosing_administer")
def administer(request, client, session_id):
    session = _session(request, client, session_id)
    options = stock_options(session, selectors.current_order(session.course))

    def call(actor, session, form):
        witness = None
        if any(form.cleaned_data.get(f) for f in form.WITNESS_FIELDS):
            witness = form.verify_witness_fields(actor)
        if form.errors:
            return
        choice = form.chosen()
        services.administer_dose(
            actor=actor,
            session=session,
            lot=choice.lot,
            location=choice.location,
            amount_mg=form.cleaned_data["amount_mg"],
            started_at=form.cleaned_data["started_at"],
            site=form.cleaned_data["site"],
            witness=witness,
            note=form.cleaned_data["note"],
        )

    form = forms.AdministerForm(request.POST, options=options)
    success = _("Dose given and recorded in the ledger.")
    return post_step(request, client, session, form, call, bound="administer", success=success)


@post_action("dosing:live")
@client_page(CLINICAL, page="dosing_end")
def end_dosing(request, client, session_id):
    return _step(
        request,
        client,
        session_id,
        forms.EndDosingForm(request.POST),
        "end",
        lambda actor, session, form: services.complete_dosing(
            actor=actor, session=session, ended_at=form.cleaned_data["ended_at"]
        ),
        _("Dosing complete: monitoring."),
    )


@post_action("dosing:live")
@client_page(CLINICAL, page="dosing_discharge")
def discharge(request, client, session_id):
    return _step(
        request,
        client,
        session_id,
        forms.DischargeForm(request.POST),
        "discharge",
        lambda actor, session, form: services.discharge_session(
            actor=actor,
            session=session,
            discharged_at=form.cleaned_data["discharged_at"],
            criteria=form.criteria(),
            summary=form.cleaned_data["summary"],
            aftercare_instructions=form.cleaned_data["aftercare_instructions"],
        ),
        _("Discharged."),
    )


@post_action("dosing:live")
@client_page(CLINICAL, page="dosing_abort")
def abort(request, client, session_id):
    return _step(
        request,
        client,
        session_id,
        forms.ReasonForm(request.POST),
        "abort",
        lambda actor, session, form: services.abort_session(
            actor=actor, session=session, reason=form.cleaned_data["reason"]
        ),
        _("The session was stopped."),
    )


@post_action("dosing:live")
@client_page(CLINICAL, page="dosing_adverse_event")
def adverse_event(request, client, session_id):
    session = _session(request, client, session_id)
    form = forms.AdverseEventForm(request.POST, formulary=session.protocol.rescue_medications)
    return _step(
        request,
        client,
        session_id,
        form,
        "event",
        lambda actor, session, form: services.record_adverse_event(
            actor=actor, session=session, **form.cleaned_data
        ),
        _("Adverse event recorded."),
    )


@post_action("dosing:live")
@client_page(CLINICAL, page="dosing_waste")
def waste(request, client, session_id):
    def call(actor, session, form):
        witness = form.verify_witness_fields(actor)
        if witness is not None:
            services.record_session_waste(
                actor=actor,
                session=session,
                witness=witness,
                quantity_mg=form.cleaned_data["quantity_mg"],
                reason=form.cleaned_data["reason"],
            )

    session = _session(request, client, session_id)
    form = forms.WasteForm(request.POST)
    success = _("Waste recorded in the ledger, witnessed.")
    return post_step(request, client, session, form, call, bound="waste", success=success)


@post_action("dosing:live")
@client_page(CLINICAL, page="dosing_rems")
def rems(request, client, session_id):
    return _step(
        request,
        client,
        session_id,
        forms.RemsForm(request.POST),
        "rems",
        lambda actor, session, form: services.save_rems_record(
            actor=actor, session=session, **form.cleaned_data
        ),
        _("REMS monitoring record saved."),
    )
