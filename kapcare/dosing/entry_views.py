"""Frequent entries on the live page, posted with HTMX: vital signs, dissociation ratings,
the session note and alert acknowledgements. Each swaps only its own part and tells the status
panel to refresh (HX-Trigger); without JavaScript they post normally and redirect."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.utils.translation import gettext as _

from kapcare.accounts.decorators import require_actor
from kapcare.clients.access import client_page
from kapcare.core.forms import add_service_errors
from kapcare.core.prg import post_action
from kapcare.dosing import forms, selectors, services
from kapcare.dosing.live_views import CLINICAL, _back, _page, _panel, _session
from kapcare.dosing.models import MonitoringAlert, VitalSign
from kapcare.dosing.permissions import can_work_the_chair
from kapcare.dosing.states import AWAITING_DOSE
from kapcare.measures.forms import ResponseForm
from kapcare.measures.pre_dose import pre_dose_measures
from kapcare.measures.services import record_response

CHANGED = "kc-session-changed"


def _entry(request, client, session_id, form, template, call, bound_key, fresh):
    session = _session(request, client, session_id)
    if form.is_valid():
        try:
            call(require_actor(request), session, form)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            if not request.htmx:
                return _back(client, session)
            session.refresh_from_db()
            response = render(request, template, {"session": session, "form": fresh(session)})
            response["HX-Trigger"] = CHANGED
            return response
    if request.htmx:
        return render(request, template, {"session": session, "form": form})
    return _page(request, client, session, **{bound_key: form})


@post_action("dosing:live")
@client_page(CLINICAL, page="dosing_vitals")
def vitals(request, client, session_id):
    return _entry(
        request,
        client,
        session_id,
        forms.VitalsForm(request.POST),
        "dosing/partials/_vitals_form.html",
        lambda actor, session, form: services.record_vitals(
            actor=actor,
            session=session,
            recorded_at=form.cleaned_data["recorded_at"],
            values=form.values(),
        ),
        "vitals",
        lambda session: forms.VitalsForm(),
    )


@post_action("dosing:live")
@client_page(CLINICAL, page="dosing_dissociation")
def dissociation(request, client, session_id):
    session = _session(request, client, session_id)
    scale = session.protocol.dissociation_scale
    return _entry(
        request,
        client,
        session_id,
        forms.DissociationForm(request.POST, scale=scale),
        "dosing/partials/_rating_form.html",
        lambda actor, session, form: services.rate_dissociation(
            actor=actor,
            session=session,
            rated_at=form.cleaned_data["rated_at"],
            score=form.cleaned_data["score"],
            note=form.cleaned_data["note"],
        ),
        "rating",
        lambda session: forms.DissociationForm(scale=scale),
    )


@post_action("dosing:live")
@client_page(CLINICAL, page="dosing_note")
def note(request, client, session_id):
    def fresh(session):
        saved = selectors.live_view(session)["note"]
        return forms.SessionNoteForm(
            initial={
                "prompts_offered": saved.prompts_offered,
                "client_reports": saved.client_reports,
                "insights": saved.insights,
                "revision": saved.revision,
            }
        )

    return _entry(
        request,
        client,
        session_id,
        forms.SessionNoteForm(request.POST),
        "dosing/partials/_note_form.html",
        lambda actor, session, form: services.save_session_note(
            actor=actor,
            session=session,
            prompts_offered=form.cleaned_data["prompts_offered"],
            client_reports=form.cleaned_data["client_reports"],
            insights=form.cleaned_data["insights"],
            based_on_revision=form.cleaned_data["revision"],
        ),
        "note",
        fresh,
    )


@post_action("dosing:live")
@client_page(CLINICAL, page="dosing_ack")
def acknowledge(request, client, session_id, alert_id):
    session = _session(request, client, session_id)
    alert = get_object_or_404(MonitoringAlert, pk=alert_id, session=session)
    form = forms.AcknowledgeForm(request.POST, prefix=f"ack-{alert.pk}")
    if form.is_valid():
        try:
            services.acknowledge_alert(
                actor=require_actor(request),
                alert=alert,
                action_taken=form.cleaned_data["action_taken"],
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            if not request.htmx:
                messages.success(request, _("Alert acknowledged."))
                return _back(client, session)
            session.refresh_from_db()
            response = _panel(request, session, page_status=request.POST.get("page_status", ""))
            response["HX-Trigger"] = CHANGED
            return response
    if request.htmx:
        return _panel(
            request,
            session,
            ack_forms={alert.vital_id: form},  # the panel shows errors by reading
            page_status=request.POST.get("page_status", ""),
        )
    messages.error(request, _("Say what was done to acknowledge the alert."))
    return _back(client, session)


@post_action("dosing:live")
@client_page(CLINICAL, page="dosing_ack")
def acknowledge_reading(request, client, session_id, vital_id):
    """One action for the alerts one reading raised (each keeps its own row and audit event).
    The form carries the alerts that were on screen; the service acknowledges exactly those."""
    session = _session(request, client, session_id)
    vital = get_object_or_404(VitalSign, pk=vital_id, session=session)
    form = forms.AcknowledgeForm(request.POST, prefix=f"ack-r{vital.pk}")
    shown = [int(v) for v in request.POST.getlist("alert") if v.isascii() and v.isdigit()]
    if form.is_valid():
        try:
            services.acknowledge_reading_alerts(
                actor=require_actor(request),
                vital=vital,
                action_taken=form.cleaned_data["action_taken"],
                alert_ids=shown,
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            if not request.htmx:
                messages.success(request, _("Alerts acknowledged."))
                return _back(client, session)
            session.refresh_from_db()
            response = _panel(request, session, page_status=request.POST.get("page_status", ""))
            response["HX-Trigger"] = CHANGED
            return response
    if request.htmx:
        return _panel(
            request,
            session,
            ack_forms={vital.pk: form},
            page_status=request.POST.get("page_status", ""),
        )
    messages.error(
        request,
        " ".join(form.non_field_errors()) or _("Say what was done to acknowledge the alerts."),
    )
    return _back(client, session)


@post_action("dosing:live")
@client_page(CLINICAL, page="dosing_pre_dose_measure")
def pre_dose_measure(request, client, session_id, code):
    """A pre-session questionnaire entered at the chair (read to the client, or from their
    paper form), through the Measures response service: scored, its risk alerts raised and its
    schedule slot answered exactly as on the Measures tab."""

    session = _session(request, client, session_id)
    actor = require_actor(request)
    measure = next((m for m in pre_dose_measures(session, timezone.now()) if m.code == code), None)
    if measure is None or measure.definition is None:
        raise Http404("This questionnaire is not asked for before this session.")
    if not can_work_the_chair(actor, client):
        raise PermissionDenied(_("Only a nurse or prescriber on the care team does this here."))
    if session.status not in AWAITING_DOSE:
        messages.error(request, _("The pre-dose questionnaires are entered before the dose."))
        return _back(client, session)
    form = ResponseForm(request.POST, definition=measure.definition, prefix=f"m-{code}")
    if form.is_valid():
        try:
            record_response(
                actor=actor,
                client=client,
                definition=measure.definition,
                answers=form.answers(),
                course=session.course,
                completed_at=form.completed_at(),
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("%(t)s saved in Measures.") % {"t": measure.title})
            return _back(client, session)
    return _page(request, client, session, measures={code: form})
