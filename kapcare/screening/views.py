"""The client's screening tab, eligibility decisions, and the clinic's screening protocol."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from kapcare.accounts.decorators import require_actor, staff_required
from kapcare.accounts.models import Role
from kapcare.clients.access import client_page, client_page_context
from kapcare.clients.intake_catalogue import CONDITIONS
from kapcare.clients.models import Client, Intake, PregnancyStatus, SuicideRisk
from kapcare.clients.permissions import ClientAction
from kapcare.core.concurrency import ConcurrentChange
from kapcare.core.forms import add_service_errors
from kapcare.core.prg import post_action
from kapcare.core.sources import source_title
from kapcare.courses.gates import GateContext
from kapcare.courses.selectors import current_course
from kapcare.screening import selectors, services
from kapcare.screening.default_rules import DEFAULT_RULES
from kapcare.screening.forms import (
    OverrideForm,
    PublishProtocolForm,
    ReviewForm,
    RuleEditFormSet,
)
from kapcare.screening.gates import eligibility_gate
from kapcare.screening.models import DecisionBasis, RuleKind, ScreeningOutcome
from kapcare.screening.rules import describe_condition, describe_evidence

CLINICAL = ClientAction.VIEW_CLINICAL
HISTORY_LABELS = {key: label for key, label, _group in CONDITIONS}
# The intake facts a finding can cite, in the intake form's words (not the engine's keys).
FACT_LABELS = {
    "history": _lazy("History"),
    "conditions": _lazy("History"),
    "medications": _lazy("Medications"),
    "substance_use": _lazy("Substance use"),
    "pregnancy_status": _lazy("Pregnancy"),
    "suicide_risk": _lazy("Suicide risk"),
    "baseline_systolic": _lazy("Systolic BP (mmHg)"),
    "baseline_diastolic": _lazy("Diastolic BP (mmHg)"),
    "baseline_heart_rate": _lazy("Heart rate (beats/min)"),
    "weight_kg": _lazy("Weight (kg)"),
    "age": _lazy("Age"),
}
VALUE_LABELS = {
    "pregnancy_status": dict(PregnancyStatus.choices),
    "suicide_risk": dict(SuicideRisk.choices),
}


def _evidence_lines(evidence: dict) -> list[tuple[str, str]]:
    return [
        (
            str(FACT_LABELS.get(fact, fact)),
            str(VALUE_LABELS.get(fact, {}).get(value, value)),
        )
        for fact, value in describe_evidence(evidence, HISTORY_LABELS)
    ]


def _findings(screening) -> list[dict]:
    return [
        {
            **finding,
            "kind_label": RuleKind(finding["kind"]).label,
            "evidence_lines": _evidence_lines(finding["evidence"]),
            "source_title": source_title(finding["source"]),
        }
        for finding in screening.findings
    ]


def _unmeasured(screening) -> list[dict]:
    return [
        {
            **waiting,
            "missing_labels": [str(FACT_LABELS.get(f, f)) for f in waiting["missing"]],
            "source_title": source_title(waiting["source"]),
        }
        for waiting in screening.unmeasured
    ]


def _overview(request: HttpRequest, client: Client, **extra) -> HttpResponse:
    """The screening tab. Forms that failed come in `extra` so their errors show in place."""
    actor = require_actor(request)
    course = current_course(client)
    context: dict = {"course": course, "has_intake": Intake.objects.filter(client=client).exists()}
    if course is not None:
        screening = selectors.latest_screening(course)
        decisions = selectors.decision_history(course)
        protocol = selectors.current_protocol(client.clinic_id)
        context.update(
            screening=screening,
            decisions=decisions,
            current_protocol=protocol,
            gate=eligibility_gate(GateContext(course=course, at=timezone.now())),
        )
        if screening is not None:
            on_this = [d for d in decisions if d.screening_id == screening.pk]
            findings = _findings(screening)
            blocking = [
                f for f in findings if f["kind"] == "absolute" and not f["override_allowed"]
            ]
            is_current = protocol is not None and protocol.pk == screening.protocol_id
            prescriber = actor.has_role(Role.PRESCRIBER)
            excluded = screening.outcome == ScreeningOutcome.EXCLUDED
            overridden = any(d.basis == DecisionBasis.OVERRIDE for d in on_this)
            context.update(
                findings=findings,
                unmeasured=_unmeasured(screening),
                blocking=blocking,
                protocol_changed=not is_current,
                awaiting_review=screening.outcome == ScreeningOutcome.REVIEW and not on_this,
                can_review=prescriber
                and is_current
                and screening.outcome == ScreeningOutcome.REVIEW
                and not on_this,
                can_override=prescriber
                and is_current
                and excluded
                and not blocking
                and not overridden,
                overridden=overridden,
                standing=on_this[0] if on_this else None,
                standing_id=on_this[0].pk if on_this else None,
            )
    context["review_form"] = extra.pop("review_form", None) or ReviewForm()
    context["override_form"] = extra.pop("override_form", None) or OverrideForm()
    for form in (context["review_form"], context["override_form"]):
        form.fields["signature_name"].help_text = _(
            "Type it exactly as on your account: %(name)s."
        ) % {"name": actor.user.full_name}
    context.update(extra)
    # A refusal (e.g. "already decided") whose form is no longer on the page is shown at the top.
    context["hidden_errors"] = [
        form
        for form, shown in (
            (context["review_form"], context.get("can_review")),
            (context["override_form"], context.get("can_override")),
        )
        if not shown and form.non_field_errors()
    ]
    return render(
        request,
        "screening/overview.html",
        client_page_context(request, client, "screening", **context),
    )


@client_page(CLINICAL, page="screening")
def overview(request: HttpRequest, client: Client) -> HttpResponse:
    return _overview(request, client)


@post_action("screening:overview")
@client_page(CLINICAL, page="screening_run")
def run(request: HttpRequest, client: Client) -> HttpResponse:
    course = current_course(client)
    if course is None:
        raise Http404("No course.")
    try:
        screening = services.run_screening(actor=require_actor(request), course=course)
    except ValidationError as error:
        return _overview(
            request,
            client,
            run_error=" ".join(error.messages),
            run_needs_intake=getattr(error, "code", None) == "intake_missing",
        )
    # Green only when the screening is clear: "review required" in a success banner reads as
    # if nothing more were needed.
    report = messages.success if screening.outcome == ScreeningOutcome.CLEAR else messages.warning
    report(
        request,
        _("Screened under protocol version %(v)s: %(outcome)s.")
        % {"v": screening.protocol.version, "outcome": screening.get_outcome_display().lower()},
    )
    return redirect("screening:overview", client_id=client.pk)


def _screening_or_404(client: Client, screening_id: int):
    screening = selectors.screening_for_client(client, screening_id)
    if screening is None:
        raise Http404("No such screening.")
    return screening


@post_action("screening:overview")
@client_page(CLINICAL, page="screening_review")
def review(request: HttpRequest, client: Client, screening_id: int) -> HttpResponse:
    screening = _screening_or_404(client, screening_id)
    form = ReviewForm(request.POST)
    if form.is_valid():
        try:
            decision = services.review_screening(
                actor=require_actor(request),
                screening=screening,
                approve=form.approve,
                reason=form.cleaned_data["reason"],
                signature_name=form.cleaned_data["signature_name"],
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(
                request,
                _("Decision recorded: %(d)s.") % {"d": decision.get_decision_display().lower()},
            )
            return redirect("screening:overview", client_id=client.pk)
    return _overview(request, client, review_form=form)


@post_action("screening:overview")
@client_page(CLINICAL, page="screening_override")
def override(request: HttpRequest, client: Client, screening_id: int) -> HttpResponse:
    screening = _screening_or_404(client, screening_id)
    form = OverrideForm(request.POST)
    if form.is_valid():
        try:
            services.override_exclusion(
                actor=require_actor(request),
                screening=screening,
                reason=form.cleaned_data["reason"],
                signature_name=form.cleaned_data["signature_name"],
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("Override recorded: the client is eligible."))
            return redirect("screening:overview", client_id=client.pk)
    return _overview(request, client, override_form=form)


# --- The clinic's protocol ---------------------------------------------------------------------

KIND_ORDER = [RuleKind.ABSOLUTE, RuleKind.RELATIVE, RuleKind.INFORMATIONAL]


def _grouped(rules: list[dict]) -> list[dict]:
    described = [{**rule, "description": describe_condition(rule["condition"])} for rule in rules]
    return [
        {"kind": kind, "label": kind.label, "rules": [r for r in described if r["kind"] == kind]}
        for kind in KIND_ORDER
    ]


@staff_required(Role.CLINIC_ADMIN, Role.PRESCRIBER)
def protocol(request: HttpRequest) -> HttpResponse:
    actor = require_actor(request)
    versions = list(selectors.protocol_versions(actor.clinic_id))
    shown = versions[0] if versions else None
    wanted = request.GET.get("version")
    if wanted:
        shown = next((v for v in versions if str(v.version) == wanted), None)
        if shown is None:
            raise Http404("No such version.")
    rules = selectors.rules_as_dicts(shown) if shown else DEFAULT_RULES
    context = {
        "shown": shown,
        "is_current": shown is None or (versions and shown.pk == versions[0].pk),
        "groups": _grouped(rules),
        "versions": versions,
        "can_edit": actor.has_role(Role.CLINIC_ADMIN),
    }
    return render(request, "screening/protocol.html", context)


@staff_required(Role.CLINIC_ADMIN)
def protocol_edit(request: HttpRequest) -> HttpResponse:
    actor = require_actor(request)
    current, candidates = selectors.rules_for_editing(actor.clinic_id)
    in_use = {rule["key"] for rule in current}
    initial = [
        {
            "key": key,
            "enabled": key in in_use,
            "kind": rule["kind"],
            "override_allowed": rule["override_allowed"],
        }
        for key, rule in candidates.items()
    ]
    data = request.POST if request.method == "POST" else None
    formset = RuleEditFormSet(
        data, initial=initial, prefix="rules", candidates=candidates, current=current
    )
    shown = selectors.current_protocol(actor.clinic_id)
    form = PublishProtocolForm(data, version=str(shown.version if shown else 0))
    if data is not None and formset.is_valid() and form.is_valid():
        try:
            published = services.publish_protocol(
                clinic=actor.clinic,
                rule_dicts=formset.rule_dicts(),
                actor=actor,
                notes=form.cleaned_data["notes"],
                based_on_version=form.based_on,
            )
        except ConcurrentChange as conflict:
            form.show_conflict(conflict)
        except ValidationError as error:
            form.add_error(None, " ".join(error.messages))
        else:
            messages.success(
                request,
                _(
                    "Screening protocol version %(v)s is published. Clients are screened again "
                    "under it before their next dose."
                )
                % {"v": published.version},
            )
            return redirect("protocols:screening")
    rows = []
    for row in formset.forms:
        rule = candidates.get(row["key"].value())
        if rule is not None:
            description = describe_condition(rule["condition"])
            rows.append({"form": row, "rule": rule, "description": description})
    context = {"formset": formset, "form": form, "rows": rows}
    return render(request, "screening/protocol_edit.html", context)
