"""What the live session page shows, assembled once for the full page, its HTMX panel and the
step forms. Reads only (but for loading the shipped instruments on first use, as the Measures
tab does); bounded queries (the live view selector plus a handful)."""

from __future__ import annotations

from django.urls import reverse
from django.utils import timezone

from kapcare.accounts.actor import Actor
from kapcare.courses.gates import dosing_gates
from kapcare.courses.permissions import can_write_session_note
from kapcare.dosing import forms, selectors
from kapcare.dosing.charts import vitals_chart_uri
from kapcare.dosing.gates import product_matches
from kapcare.dosing.models import DosingSession, DosingStatus, RemsRecord
from kapcare.dosing.monitoring_rules import monitoring_prompts
from kapcare.dosing.permissions import can_work_the_chair, live_page_permissions
from kapcare.dosing.review_context import ask_form, panel_review
from kapcare.dosing.rules import session_dose_mg
from kapcare.dosing.services.checks import FORM_FIELDS
from kapcare.dosing.services.consent_withdrawal import withdrawn_during
from kapcare.dosing.services.discharge import draft_summary, readiness
from kapcare.dosing.states import AFTER_DOSE, AWAITING_DOSE, FINAL, REMS_RECORDABLE, STEPS
from kapcare.ledger.selectors import available_lots
from kapcare.measures.forms import ResponseForm
from kapcare.measures.pre_dose import higher_item9, pre_dose_measures
from kapcare.measures.services.instruments import ensure_shipped_instruments

S = DosingStatus


def steps(session: DosingSession) -> list[dict]:
    reached = STEPS.index(session.status) if session.status in STEPS else -1
    return [
        {
            "key": key,
            "label": DosingStatus(key).label,
            "done": index < reached,
            "current": index == reached,
        }
        for index, key in enumerate(STEPS)
    ]


def panel_context(
    session: DosingSession,
    data: dict,
    actor: Actor,
    page_status: str = "",
    can_ack: bool | None = None,
) -> dict:
    """The polled part: clock, prompts, alerts, recent readings and the chart. `can_ack` is
    `can_work_the_chair`, when the caller already knows it."""
    now = timezone.now()
    prompts = []
    protocol = session.protocol
    if session.dose_started_at and session.status in AFTER_DOSE and protocol:
        prompts = [
            {"prompt": p, "overdue": p.overdue(now)}
            for p in monitoring_prompts(
                dose_started_at=session.dose_started_at,
                interval_minutes=protocol.vitals_interval_minutes,
                bp_check_minutes=protocol.bp_check_minutes,
                dissociation_minutes=protocol.dissociation_check_minutes,
                readings=[(v.recorded_at, v.has_bp) for v in data["vitals"]],
                ratings=[r.rated_at for r in data["ratings"]],
            )
            if not p.done
        ]
    baseline = selectors.baseline_of(data["check"])
    chart = (
        vitals_chart_uri(
            data["vitals"],
            dose_started_at=session.dose_started_at,
            baseline=baseline,
            zone=session.clinic.zone,
        )
        if data["vitals"]
        else ""
    )
    readiness_now = None
    if session.status == S.MONITORING and protocol:
        readiness_now = readiness(
            session,
            now,
            checks=data["checks"],
            vitals=data["vitals"],
            open_alerts=len(data["open_alerts"]),
        )
    page_status = page_status or session.status
    return {
        "page_status": page_status,
        "moved_on": page_status != session.status,
        "live_url": reverse("dosing:live", args=[session.client_id, session.pk]),
        "readiness": readiness_now,
        "clock_text": _clock(session, now),
        "prompts": prompts,
        "chart": chart,
        "recent_vitals": list(reversed(data["vitals"]))[:8],
        "alerts": data["alerts"],
        "open_alerts": data["open_alerts"],
        "alert_groups": alerts_by_reading(data["open_alerts"]),
        "can_ack": can_work_the_chair(actor, session.client) if can_ack is None else can_ack,
        "panel_url": reverse("dosing:panel", args=[session.client_id, session.pk]),
        "baseline": baseline,
        "review": panel_review(session),
        "consent_withdrawn_at": withdrawn_during(session),
    }


def alerts_by_reading(alerts) -> list[dict]:
    """Open alerts gathered under the reading that raised them, oldest reading first: one
    reading is one episode at the chair, acknowledged with one action (every alert still
    shown)."""
    groups: dict[int, dict] = {}
    for alert in alerts:
        group = groups.setdefault(alert.vital_id, {"vital": alert.vital, "alerts": []})
        group["alerts"].append(alert)
    return sorted(groups.values(), key=lambda g: (g["vital"].recorded_at, g["vital"].pk))


def stock_options(session: DosingSession, order) -> list:

    if order is None:
        return []
    return [
        option
        for option in available_lots(clinic_id=session.clinic_id)
        if product_matches(order, option.lot.product)
    ]


def live_context(actor: Actor, session: DosingSession, bound: dict | None = None) -> dict:
    """The whole page. `bound` holds forms that failed validation, shown with their errors."""
    bound = bound or {}
    client = session.client
    data = selectors.live_view(session)
    allowed = live_page_permissions(actor, client)
    chair = allowed["chair"]
    context = {
        "session": session,
        "data": data,
        "steps": steps(session),
        "is_final": session.status in FINAL,
        "can_chair": chair,
        "can_clear": allowed["clear"],
        "can_rate": allowed["rate"],
        "can_note": can_write_session_note(actor, client),
        "panel": panel_context(session, data, actor, can_ack=chair),
        "abort_form": bound.get("abort") or forms.ReasonForm(),
        "is_esketamine": bool(session.dose_order_id and session.dose_order.product == "esketamine"),
    }
    if session.status == S.SCHEDULED:
        context["checkin_form"] = bound.get("checkin") or forms.CheckInForm()
    if session.status in AWAITING_DOSE:
        order = selectors.current_order(session.course)
        options = stock_options(session, order)
        check = data["check"]
        dose = (
            session_dose_mg(
                dose_mg=order.dose_mg,
                dose_mg_per_kg=order.dose_mg_per_kg,
                weight_kg=check.weight_kg if check else None,
            )
            if order
            else None
        )
        measures = pre_dose_measures(session, timezone.now())
        if any(m.definition is None for m in measures):
            # As the Measures tab does on first use: the clinic gets the shipped instruments,
            # so the questionnaire can be entered here rather than strand the client.
            ensure_shipped_instruments(clinic=session.clinic)
            measures = pre_dose_measures(session, timezone.now())
        context.update(
            order=order,
            dose=dose,
            pre_dose_measures=[
                {
                    "measure": m,
                    "form": None
                    if m.done or m.definition is None or not context["can_chair"]
                    else bound.get("measures", {}).get(m.code)
                    or ResponseForm(definition=m.definition, prefix=f"m-{m.code}"),
                }
                for m in measures
            ],
            check_form=bound.get("check")
            or forms.PreDoseCheckForm(initial=check_initial(check, measures)),
            gates=dosing_gates(session.course, timezone.now()),
            clear_form=bound.get("clear") or forms.ReasonForm(),
            administer_form=bound.get("administer")
            or forms.AdministerForm(options=options, initial={"amount_mg": dose}),
        )
        context["ready"] = all(g.passed for g in context["gates"])
        context["ask_review_form"] = ask_form(
            check=check,
            review=context["panel"]["review"],
            can_chair=chair,
            can_clear=context["can_clear"],
        )
    if session.status == S.DOSING:
        context["end_form"] = bound.get("end") or forms.EndDosingForm()
    if session.status in AFTER_DOSE:
        context["vitals_form"] = bound.get("vitals") or forms.VitalsForm()
        context["rating_form"] = bound.get("rating") or forms.DissociationForm(
            scale=session.protocol.dissociation_scale
        )
        context["event_form"] = bound.get("event") or forms.AdverseEventForm(
            formulary=session.protocol.rescue_medications
        )
    if session.status in (*AFTER_DOSE, S.ABORTED) and data["dose"] is not None:
        # Drug drawn but not given (an infusion stopped early) is wasted under a witness.
        context["waste_form"] = bound.get("waste") or forms.WasteForm()
    if session.status == S.MONITORING:
        context["discharge_form"] = bound.get("discharge") or forms.DischargeForm(
            initial={
                "summary": draft_summary(session, data),
                "aftercare_instructions": session.protocol.aftercare_instructions,
            }
        )
    if context["is_esketamine"] and session.status in REMS_RECORDABLE:
        record = RemsRecord.objects.filter(session=session).first()
        context["rems"] = record
        context["rems_form"] = bound.get("rems") or forms.RemsForm(initial=_rems_initial(record))
    if session.status not in (S.SCHEDULED,):
        note = data["note"]
        context["note_form"] = bound.get("note") or forms.SessionNoteForm(
            initial={
                "prompts_offered": note.prompts_offered if note else "",
                "client_reports": note.client_reports if note else "",
                "insights": note.insights if note else "",
                "revision": note.revision if note else 0,
            }
        )
    return context


def check_initial(previous, measures) -> dict:
    """The form behind "Record the checks again" starts from the previous check (a re-measured
    BP is usually the only change), with PHQ-9 item 9 as Measures has it when that is higher;
    the time is now."""
    initial = {name: getattr(previous, name) for name in FORM_FIELDS} if previous else {}
    item9 = higher_item9(initial.get("phq9_item9"), measures)
    if item9 is not None:
        initial["phq9_item9"] = item9
    return initial


def _rems_initial(record) -> dict:
    if record is None:
        return {}
    fmt = "%Y-%m-%dT%H:%M"

    def local(value):
        return timezone.localtime(value).strftime(fmt) if value else None

    return {
        "rems_patient_id": record.rems_patient_id,
        "sedation_observed": record.sedation_observed,
        "sedation_resolved_at": local(record.sedation_resolved_at),
        "dissociation_observed": record.dissociation_observed,
        "dissociation_resolved_at": local(record.dissociation_resolved_at),
        "ready_to_leave_at": local(record.ready_to_leave_at),
        "notes": record.notes,
    }


def _clock(session: DosingSession, now) -> str:
    """The clock's first face, as kapcare.js then ticks it: H:MM:SS since the dose started."""
    if not session.dose_started_at:
        return ""
    end = session.discharged_at or session.aborted_at or now
    seconds = max(0, int((end - session.dose_started_at).total_seconds()))
    return f"{seconds // 3600}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"
