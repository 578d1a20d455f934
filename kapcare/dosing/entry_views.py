"""Frequent entries on the live page, posted with HTMX: vital signs, dissociation ratings,
the session note and alert acknowledgements. Each swaps only its own part and tells the status
panel to refresh (HX-Trigger); without JavaScript they post normally and redirect."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, render
from django.utils.translation import gettext as _

from kapcare.accounts.decorators import require_actor
from kapcare.clients.access import client_page
from kapcare.core.prg import post_action
from kapcare.dosing import forms, selectors, services
from kapcare.dosing.live_views import CLINICAL, _back, _page, _panel, _session
from kapcare.dosing.models import MonitoringAlert

CHANGED = "kc-session-changed"


def _entry(request, client, session_id, form, template, call, bound_key, fresh):
    session = _session(request, client, session_id)
    if form.is_valid():
        try:
            call(require_actor(request), session, form)
        except ValidationError as error:
            forms.attach_errors(form, error)
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
            forms.attach_errors(form, error)
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
            ack_forms={alert.pk: form},
            page_status=request.POST.get("page_status", ""),
        )
    messages.error(request, _("Say what was done to acknowledge the alert."))
    return _back(client, session)
