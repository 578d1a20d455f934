"""The clinic's outcome definitions: read by admins and prescribers, published by admins."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.forms import formset_factory
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from kapcare.accounts.decorators import require_actor, staff_required
from kapcare.accounts.models import Role
from kapcare.clients.conditions import Condition
from kapcare.core.forms import add_service_errors
from kapcare.outcomes import selectors, services
from kapcare.outcomes.config import (
    DEFAULT_ANXIETY_MEASURE,
    DEFAULT_INSTRUMENTS,
    OUTCOME_INSTRUMENTS,
    OutcomeConfig,
    default_config,
)
from kapcare.outcomes.forms import InstrumentSettingsForm, PublishSettingsForm
from kapcare.outcomes.models import BaselineRule
from kapcare.outcomes.views import DASHBOARD_ROLES


def _instrument_rows(config: OutcomeConfig, titles: dict[str, str]) -> list[dict]:
    return [
        {
            "code": code,
            "title": titles.get(code, code),
            "config": instrument,
            "source": _source(code),
        }
        for code, instrument in config.instruments.items()
    ]


@staff_required(*DASHBOARD_ROLES)
def settings_page(request: HttpRequest) -> HttpResponse:
    actor = require_actor(request)
    versions = list(selectors.settings_versions(actor.clinic_id).select_related("published_by"))
    shown = versions[0] if versions else None
    wanted = request.GET.get("version")
    if wanted:
        shown = next((v for v in versions if str(v.version) == wanted), None)
        if shown is None:
            raise Http404("No such version.")
    config = selectors.config_from_settings(shown) if shown else default_config()
    titles = selectors.instrument_titles(actor.clinic_id)
    context = {
        "shown": shown,
        "config": config,
        "baseline_label": BaselineRule(config.baseline_rule).label,
        "rows": _instrument_rows(config, titles),
        "pairs": [
            {
                "condition": Condition(c).label if c in Condition.values else c,
                "measure": titles.get(m, m),
            }
            for c, m in sorted(config.anxiety_by_condition.items())
        ],
        "default_pair": titles.get(DEFAULT_ANXIETY_MEASURE, DEFAULT_ANXIETY_MEASURE),
        "versions": versions,
        "can_edit": actor.has_role(Role.CLINIC_ADMIN),
    }
    return render(request, "outcomes/settings.html", context)


def _initial(config: OutcomeConfig) -> list[dict]:
    rows = []
    for code in OUTCOME_INSTRUMENTS:
        instrument = config.instruments.get(code)
        if instrument is None:
            values = dict(DEFAULT_INSTRUMENTS[code])
        else:
            reliability, norms = instrument.reliability, instrument.norms
            values = {
                "response_kind": instrument.response.kind.value,
                "response_threshold": instrument.response.threshold,
                "remission_below": instrument.remission_below,
                "nhs_caseness": instrument.nhs.caseness if instrument.nhs else None,
                "nhs_reliable_change": instrument.nhs.reliable_change if instrument.nhs else None,
                "jt_sd_pre": reliability.sd_pre if reliability else None,
                "jt_reliability": reliability.reliability if reliability else None,
                "jt_clinical_mean": norms.clinical_mean if norms else None,
                "jt_clinical_sd": norms.clinical_sd if norms else None,
                "jt_normal_mean": norms.normal_mean if norms else None,
                "jt_normal_sd": norms.normal_sd if norms else None,
                "jt_criterion": instrument.criterion.value,
                "jt_source": instrument.jt_source,
            }
        rows.append(values)
    return rows


@staff_required(Role.CLINIC_ADMIN)
def settings_edit(request: HttpRequest) -> HttpResponse:
    actor = require_actor(request)
    config = selectors.current_config(actor.clinic_id)
    titles = selectors.instrument_titles(actor.clinic_id)
    count = len(OUTCOME_INSTRUMENTS)
    formset_class = _formset(count)
    data = request.POST if request.method == "POST" else None
    formset = formset_class(data, initial=_initial(config), prefix="instruments")
    initial = {"baseline_rule": config.baseline_rule}
    initial |= {f"pair_{c}": m for c, m in config.anxiety_by_condition.items()}
    form = PublishSettingsForm(
        data, initial=initial, instruments={c: titles[c] for c in OUTCOME_INSTRUMENTS}
    )
    if data is not None and formset.is_valid() and form.is_valid():
        try:
            published = services.publish_outcome_settings(
                actor=actor,
                baseline_rule=form.cleaned_data["baseline_rule"],
                anxiety_by_condition=form.pairs(),
                instruments={
                    code: f.cleaned_data
                    for code, f in zip(OUTCOME_INSTRUMENTS, formset.forms, strict=True)
                },
                notes=form.cleaned_data["notes"],
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(
                request,
                _("Outcome settings version %(v)s is published.") % {"v": published.version},
            )
            return redirect("outcomes:settings")
    rows = [
        {"code": code, "title": titles[code], "form": f, "source": _source(code)}
        for code, f in zip(OUTCOME_INSTRUMENTS, formset.forms, strict=False)
    ]
    return render(
        request,
        "outcomes/settings_edit.html",
        {"form": form, "formset": formset, "rows": rows},
    )


def _source(code: str) -> str:
    return DEFAULT_INSTRUMENTS.get(code, {}).get("source", "")


def _formset(count: int):
    # Exactly one form per instrument, whatever the submitted management form says.
    return formset_factory(
        InstrumentSettingsForm,
        extra=0,
        min_num=count,
        max_num=count,
        validate_min=True,
        validate_max=True,
    )
