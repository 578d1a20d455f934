"""Frequent entries on the live page, posted with HTMX: vital signs, dissociation ratings,
the session note and a reading's alert acknowledgements. Each swaps only its own part and tells
the status panel to refresh (HX-Trigger); without JavaScript they post normally and redirect."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.utils.translation import gettext as _

from kapcare.accounts.decorators import require_actor
from kapcare.clients.access import client_page
from kapcare.core.prg import post_action
from kapcare.dosing import forms, selectors, services
from kapcare.dosing.live_views import CLINICAL, _back, _page, _panel, _session, post_step
from kapcare.dosing.models import VitalSign
from kapcare.dosing.permissions import can_work_the_chair
from kapcare.dosing.states import AWAITING_DOSE
from kapcare.measures.forms import ResponseForm
from kapcare.measures.pre_dose import pre_dose_measures
from kapcare.measures.services import record_response


def _entry(request, client, session_id, form, template, call, bound, fresh):
    """A frequent entry: with HTMX only its form is swapped (a fresh one after a save)."""
    session = _session(request, client, session_id)

    def swap(session, bound_form):
        context = {"session": session, "form": fresh(session) if bound_form is None else bound_form}
        return render(request, template, context)

    return post_step(request, client, session, form, call, bound=bound, swap=swap)


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
def acknowledge_reading(request, client, session_id, vital_id):
    """One action for the alerts one reading raised (each keeps its own row and audit event).
    The form carries the alerts that were on screen; the service acknowledges exactly those."""
    session = _session(request, client, session_id)
    vital = get_object_or_404(VitalSign, pk=vital_id, session=session)
    form = forms.AcknowledgeForm(request.POST, prefix=f"ack-r{vital.pk}")
    shown = [int(v) for v in request.POST.getlist("alert") if v.isascii() and v.isdigit()]
    page_status = request.POST.get("page_status", "")

    def call(actor, session, form):
        services.acknowledge_reading_alerts(
            actor=actor,
            vital=vital,
            action_taken=form.cleaned_data["action_taken"],
            alert_ids=shown,
        )

    def swap(session, bound_form):
        # The panel shows a refused form's errors by reading.
        ack_forms = None if bound_form is None else {vital.pk: bound_form}
        return _panel(request, session, ack_forms=ack_forms, page_status=page_status)

    def refused(form):
        alone = _("Say what was done to acknowledge the alerts.")
        messages.error(request, " ".join(form.non_field_errors()) or alone)
        return _back(client, session)

    success = _("Alerts acknowledged.")
    return post_step(
        request, client, session, form, call, success=success, swap=swap, refused=refused
    )


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

    def call(actor, session, form):
        record_response(
            actor=actor,
            client=client,
            definition=measure.definition,
            answers=form.answers(),
            course=session.course,
            completed_at=form.completed_at(),
        )

    return post_step(
        request,
        client,
        session,
        form,
        call,
        success=_("%(t)s saved in Measures.") % {"t": measure.title},
        refused=lambda form: _page(request, client, session, measures={code: form}),
    )
