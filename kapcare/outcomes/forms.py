"""Forms: the dashboard's filters and the outcome settings editor."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.utils.translation import gettext_lazy as _

from kapcare.clients.conditions import Condition
from kapcare.core.decimals import decimal_form_field
from kapcare.outcomes.config import DEFAULT_ANXIETY_MEASURE
from kapcare.outcomes.models import (
    BaselineRule,
    CutoffCriterion,
    InstrumentOutcomeSettings,
    ResponseKind,
)

GROUP_LABELS = {
    "condition": _("Condition"),
    "route": _("Route"),
    "therapist": _("Therapist"),
    "period": _("Quarter of baseline"),
}


class DashboardForm(forms.Form):
    # Not required: a missing filter means its default (a bookmarked or hand-typed address).
    instrument = forms.ChoiceField(label=_("Measure"), required=False)
    group_by = forms.ChoiceField(label=_("Group by"), required=False)
    date_from = forms.DateField(
        label=_("Baseline from"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(
        label=_("Baseline to"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args, instruments: dict[str, str], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["instrument"].choices = list(instruments.items())
        self.fields["group_by"].choices = list(GROUP_LABELS.items())

    def clean(self):
        data = super().clean()
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and start > end:
            self.add_error("date_to", _("The end date must be on or after the start date."))
        return data

    def values(self) -> dict:
        """The filters to use: the submitted ones when valid, else the defaults."""
        defaults = {
            "instrument": self.fields["instrument"].choices[0][0],
            "group_by": "condition",
            "date_from": None,
            "date_to": None,
        }
        if self.is_bound and self.is_valid():
            return {**defaults, **{k: v for k, v in self.cleaned_data.items() if v}}
        return defaults


def day_bounds(
    start: dt.date | None, end: dt.date | None, tz
) -> tuple[dt.datetime | None, dt.datetime | None]:
    """Clinic-local dates as an aware [from, to) range: `end` includes its whole day."""
    low = dt.datetime.combine(start, dt.time(), tzinfo=tz) if start else None
    high = dt.datetime.combine(end + dt.timedelta(days=1), dt.time(), tzinfo=tz) if end else None
    return low, high


def _decimal(name: str, label, **kwargs) -> forms.DecimalField:
    """The instrument setting `name`, bounded by its column."""
    kwargs.setdefault("required", False)
    return decimal_form_field(InstrumentOutcomeSettings, name, label=label, **kwargs)


class PublishSettingsForm(forms.Form):
    baseline_rule = forms.ChoiceField(
        label=_("Baseline"),
        choices=BaselineRule.choices,
        help_text=_("FACTS.md §2.1: the last score before the first dosing session by default."),
    )
    notes = forms.CharField(
        label=_("What changed and why"), widget=forms.Textarea(attrs={"rows": 2}), required=True
    )

    def __init__(self, *args, instruments: dict[str, str], **kwargs):
        super().__init__(*args, **kwargs)
        choices = list(instruments.items())
        # FACTS.md §2.3: the anxiety measure paired with PHQ-9, per condition.
        for condition in Condition:
            self.fields[f"pair_{condition.value}"] = forms.ChoiceField(
                label=_("Anxiety measure paired with PHQ-9 for %(c)s") % {"c": condition.label},
                choices=choices,
                initial=DEFAULT_ANXIETY_MEASURE,
            )

    def pairs(self) -> dict[str, str]:
        """Only the conditions that differ from the GAD-7 default are stored."""
        return {
            c.value: self.cleaned_data[f"pair_{c.value}"]
            for c in Condition
            if self.cleaned_data[f"pair_{c.value}"] != DEFAULT_ANXIETY_MEASURE
        }


class InstrumentSettingsForm(forms.Form):
    """One instrument's outcome parameters; the cross-field rules mirror FACTS.md §2.1–2.3."""

    response_kind = forms.ChoiceField(label=_("Response rule"), choices=ResponseKind.choices)
    response_threshold = _decimal(
        "response_threshold", _("Response threshold"), required=True, min_value=0
    )
    remission_below = _decimal("remission_below", _("Remission: score below"), min_value=0)
    nhs_caseness = _decimal("nhs_caseness", _("NHS TT caseness (at or above)"), min_value=0)
    nhs_reliable_change = _decimal("nhs_reliable_change", _("NHS TT reliable change"), min_value=0)
    jt_sd_pre = _decimal("jt_sd_pre", _("SD before treatment"))
    jt_reliability = _decimal("jt_reliability", _("Reliability r_xx"))
    jt_clinical_mean = _decimal("jt_clinical_mean", _("Clinical mean"))
    jt_clinical_sd = _decimal("jt_clinical_sd", _("Clinical SD"))
    jt_normal_mean = _decimal("jt_normal_mean", _("Normal-population mean"))
    jt_normal_sd = _decimal("jt_normal_sd", _("Normal-population SD"))
    jt_criterion = forms.ChoiceField(
        label=_("Cut-off criterion"), choices=CutoffCriterion.choices, initial="c"
    )
    jt_source = forms.CharField(label=_("Normative study"), max_length=300, required=False)

    def clean(self):
        data = super().clean()
        if data.get("response_kind") == ResponseKind.PERCENT:
            threshold = data.get("response_threshold")
            if threshold is not None and not 0 < threshold <= 100:
                self.add_error("response_threshold", _("A percentage is above 0 and at most 100."))
        self._both("nhs_caseness", "nhs_reliable_change", _("Enter both NHS TT values or neither."))
        self._both("jt_sd_pre", "jt_reliability", _("Enter the SD and r_xx together."))
        self._both("jt_clinical_mean", "jt_clinical_sd", _("Enter the clinical mean and SD."))
        self._both("jt_normal_mean", "jt_normal_sd", _("Enter the normal mean and SD."))
        for name in ("jt_sd_pre", "jt_clinical_sd", "jt_normal_sd"):
            if data.get(name) is not None and data[name] <= 0:
                self.add_error(name, _("An SD must be above 0."))
        reliability = data.get("jt_reliability")
        if reliability is not None and not 0 < reliability < 1:
            self.add_error("jt_reliability", _("Reliability lies between 0 and 1 (exclusive)."))
        if (
            data.get("jt_criterion") in ("b", "c")
            and data.get("jt_clinical_mean") is not None
            and data.get("jt_normal_mean") is None
        ):
            self.add_error("jt_criterion", _("Criteria b and c need normal-population norms."))
        entered = any(data.get(n) is not None for n in ("jt_sd_pre", "jt_clinical_mean"))
        if entered and not data.get("jt_source", "").strip():
            # FACTS.md §2.2: the values come from a normative study; say which.
            self.add_error("jt_source", _("Name the normative study these values come from."))
        return data

    def _both(self, first: str, second: str, message) -> None:
        if (self.cleaned_data.get(first) is None) != (self.cleaned_data.get(second) is None):
            missing = first if self.cleaned_data.get(first) is None else second
            if missing not in self.errors:
                self.add_error(missing, message)
