"""Forms for dosing: big inputs for a tablet at the chair, times defaulting to now (in the
clinic's time zone), and every impossible value refused at its field before a service runs."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kapcare.accounts.witness import WitnessFields
from kapcare.core.decimals import column_problem, decimal_form_field
from kapcare.dosing.defaults import DISSOCIATION_SCALES, SEDATION_LEVELS
from kapcare.dosing.models import (
    Administration,
    AdverseEventKind,
    DoseOrder,
    Outcome,
    PreDoseCheck,
    Product,
    Route,
    Severity,
    Site,
)
from kapcare.dosing.monitoring_rules import DISCHARGE_CRITERIA
from kapcare.dosing.services.checks import FORM_FIELDS
from kapcare.dosing.services.common import CLOCK_SLACK

BIG = {"class": "form-control-lg"}
NUMBER = {**BIG, "inputmode": "numeric"}
DECIMAL = {**BIG, "inputmode": "decimal"}


class WhenField(forms.DateTimeField):
    """A date and time on the tablet, in the clinic's zone; never in the future."""

    widget = forms.DateTimeInput(
        attrs={"type": "datetime-local", "class": "form-control-lg"}, format="%Y-%m-%dT%H:%M"
    )

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("input_formats", ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S"])
        super().__init__(*args, **kwargs)

    def clean(self, value):
        when = super().clean(value)
        if when is not None and when > timezone.now() + CLOCK_SLACK:
            raise ValidationError(_("This time is in the future."))
        return when


def _now_local() -> str:
    return timezone.localtime().strftime("%Y-%m-%dT%H:%M")


class TimedForm(forms.Form):
    """A form whose time fields show "now" until someone changes them."""

    time_fields: tuple[str, ...] = ()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            for name in self.time_fields:
                self.initial.setdefault(name, _now_local())


class ScheduleForm(forms.Form):
    scheduled_for = forms.DateTimeField(
        label=_("Date and time"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M"],
    )


class DoseOrderForm(forms.Form):
    product = forms.ChoiceField(label=_("Product"), choices=Product.choices)
    route = forms.ChoiceField(label=_("Route"), choices=Route.choices)
    # Bounded by the mg/kg column (the finer of the two); an mg dose is held to its own
    # column in clean().
    dose = decimal_form_field(
        DoseOrder, "dose_mg_per_kg", label=_("Dose"), min_value=Decimal("0.001")
    )
    dose_unit = forms.ChoiceField(
        label=_("Unit"),
        choices=[("mg_per_kg", _("mg/kg (weighed at each session)")), ("mg", _("mg"))],
        widget=forms.RadioSelect,
    )
    infusion_minutes = forms.IntegerField(
        label=_("Infusion duration (minutes, IV only)"), required=False, min_value=1, max_value=480
    )
    sessions_authorised = forms.IntegerField(
        label=_("Number of sessions"), min_value=1, max_value=52
    )
    valid_until = forms.DateField(
        label=_("Expires after"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    instructions = forms.CharField(
        label=_("Instructions"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    override_reason = forms.CharField(
        label=_("Override reason (only for a dose outside the protocol's limits)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    signature_name = forms.CharField(label=_("Type your full name to sign"), max_length=200)

    def clean(self):
        data = super().clean()
        dose, unit = data.get("dose"), data.get("dose_unit")
        if dose is not None and unit:
            problem = column_problem(
                DoseOrder, "dose_mg_per_kg" if unit == "mg_per_kg" else "dose_mg", dose
            )
            if problem:
                self.add_error("dose", problem)
        return data

    def service_kwargs(self) -> dict:
        data = self.cleaned_data
        per_kg = data["dose_unit"] == "mg_per_kg"
        return {
            "product": data["product"],
            "route": data["route"],
            "dose_mg": None if per_kg else data["dose"],
            "dose_mg_per_kg": data["dose"] if per_kg else None,
            "infusion_minutes": data.get("infusion_minutes"),
            "sessions_authorised": data["sessions_authorised"],
            "valid_until": data["valid_until"],
            "instructions": data.get("instructions", ""),
            "override_reason": data.get("override_reason", ""),
            "signature_name": data["signature_name"],
        }


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 2}))


class CheckInForm(TimedForm):
    time_fields = ("checked_in_at",)
    checked_in_at = WhenField(label=_("Arrived at"))


class PreDoseCheckForm(forms.ModelForm):
    """The checklist (FACTS.md §4.3). The model's validators refuse impossible values here."""

    recorded_at = WhenField(label=_("Time of the checks"))

    class Meta:
        model = PreDoseCheck
        fields = ["recorded_at", *FORM_FIELDS]
        widgets = {
            "weight_kg": forms.NumberInput(attrs=DECIMAL),
            "fasting_hours": forms.NumberInput(attrs=DECIMAL),
            "systolic": forms.NumberInput(attrs=NUMBER),
            "diastolic": forms.NumberInput(attrs=NUMBER),
            "heart_rate": forms.NumberInput(attrs=NUMBER),
            "spo2": forms.NumberInput(attrs=NUMBER),
            "phq9_item9": forms.NumberInput(attrs=NUMBER),
            "medication_changes": forms.Textarea(attrs={"rows": 2}),
            "substance_use": forms.Textarea(attrs={"rows": 2}),
            "intentions": forms.Textarea(attrs={"rows": 2}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["medication_changes"].help_text = _(
            "One per line. Benzodiazepines, lamotrigine, MAOIs and stimulants are flagged."
        )
        if not self.is_bound:
            self.initial.setdefault("recorded_at", _now_local())

    def clean(self):
        data = super().clean()
        sys_, dia = data.get("systolic"), data.get("diastolic")
        if sys_ is not None and dia is not None and dia >= sys_:
            self.add_error("diastolic", _("The diastolic must be below the systolic."))
        return data


class AdministerForm(TimedForm, WitnessFields):
    time_fields = ("started_at",)
    stock = forms.ChoiceField(label=_("Lot and location"))
    amount_mg = decimal_form_field(
        Administration,
        "amount_mg",
        label=_("Amount (mg)"),
        min_value=Decimal("0.1"),
        widget=forms.NumberInput(attrs=DECIMAL),
    )
    started_at = WhenField(label=_("Given (infusion started) at"))
    site = forms.ChoiceField(label=_("Site"), choices=[("", "—"), *Site.choices], required=False)
    note = forms.CharField(
        label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args, options=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.options = {f"{o.lot.pk}:{o.location.pk}": o for o in options}
        self.fields["stock"].choices = [(key, o.label) for key, o in self.options.items()]
        for name in ("stock", "site", *self.WITNESS_FIELDS):
            self.fields[name].widget.attrs.update(BIG)

    def chosen(self):
        return self.options[self.cleaned_data["stock"]]


class EndDosingForm(TimedForm):
    time_fields = ("ended_at",)
    ended_at = WhenField(label=_("Dose complete (infusion stopped) at"))


def _reading(label, low: int, high: int) -> forms.IntegerField:
    """An optional whole-number reading typed at the chair, within what a body can show."""
    return forms.IntegerField(
        label=label,
        required=False,
        min_value=low,
        max_value=high,
        widget=forms.NumberInput(attrs=NUMBER),
    )


class VitalsForm(TimedForm):
    """Quick entry: any of the readings; the limits are what a body can show."""

    time_fields = ("recorded_at",)
    recorded_at = WhenField(label=_("Time"))
    systolic = _reading(_("Systolic"), 50, 300)
    diastolic = _reading(_("Diastolic"), 20, 200)
    heart_rate = _reading(_("Heart rate"), 20, 250)
    spo2 = _reading(_("SpO2 %"), 50, 100)
    respiratory_rate = _reading(_("Breaths/min"), 2, 60)
    sedation = forms.TypedChoiceField(
        label=_("Sedation (MOAA/S)"),
        required=False,
        coerce=int,
        empty_value=None,
        choices=[("", "—"), *SEDATION_LEVELS],
        widget=forms.Select(attrs=BIG),
    )

    READINGS = ("systolic", "diastolic", "heart_rate", "spo2", "respiratory_rate", "sedation")

    def clean(self):
        data = super().clean()
        sys_, dia = data.get("systolic"), data.get("diastolic")
        if (
            (sys_ is None) != (dia is None)
            and not self.errors.get("systolic")
            and not self.errors.get("diastolic")
        ):
            self.add_error(
                "diastolic" if dia is None else "systolic", _("Blood pressure needs both numbers.")
            )
        elif sys_ is not None and dia is not None and dia >= sys_:
            self.add_error("diastolic", _("The diastolic must be below the systolic."))
        if not self.errors and all(data.get(name) in (None, "") for name in self.READINGS):
            raise ValidationError(_("Enter at least one reading."))
        return data

    def values(self) -> dict:
        return {name: self.cleaned_data.get(name) for name in self.READINGS}


class AcknowledgeForm(forms.Form):
    action_taken = forms.CharField(label=_("Action taken"), max_length=2000)


class DissociationForm(TimedForm):
    time_fields = ("rated_at",)
    rated_at = WhenField(label=_("Time"))
    score = forms.TypedChoiceField(label=_("Rating"), coerce=int)
    note = forms.CharField(
        label=_("Observations"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args, scale: str = "clinician_0_4", **kwargs):
        super().__init__(*args, **kwargs)
        spec = DISSOCIATION_SCALES[scale]
        self.fields["score"].label = spec["label"]
        levels = spec["levels"] or [str(n) for n in range(spec["max"] + 1)]
        self.fields["score"].choices = list(enumerate(levels))
        self.fields["score"].widget = (
            forms.RadioSelect() if spec["levels"] else forms.Select(attrs=BIG)
        )
        self.fields["score"].widget.choices = self.fields["score"].choices


class SessionNoteForm(forms.Form):
    prompts_offered = forms.CharField(
        label=_("Prompts and support offered"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    client_reports = forms.CharField(
        label=_("What the client reports"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    insights = forms.CharField(
        label=_("Insights and themes for integration"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    revision = forms.IntegerField(widget=forms.HiddenInput, min_value=0)


class AdverseEventForm(TimedForm):
    time_fields = ("occurred_at",)
    occurred_at = WhenField(label=_("Time"))
    kind = forms.ChoiceField(label=_("Type"), choices=AdverseEventKind.choices)
    severity = forms.ChoiceField(label=_("Severity"), choices=Severity.choices)
    description = forms.CharField(
        label=_("What happened"), widget=forms.Textarea(attrs={"rows": 2})
    )
    action_taken = forms.CharField(
        label=_("Action taken"), widget=forms.Textarea(attrs={"rows": 2})
    )
    outcome = forms.ChoiceField(label=_("Outcome"), choices=Outcome.choices)
    rescue_medication = forms.ChoiceField(label=_("Rescue medication given"), required=False)
    rescue_dose = forms.CharField(label=_("Dose"), required=False, max_length=60)
    rescue_route = forms.CharField(label=_("Route"), required=False, max_length=16)

    def __init__(self, *args, formulary=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["rescue_medication"].choices = [("", _("None"))] + [(m, m) for m in formulary]


class WasteForm(WitnessFields):
    # Waste is booked to the 0.01 mg the session's waste column holds.
    quantity_mg = decimal_form_field(
        Administration,
        "waste_mg",
        label=_("Amount wasted (mg)"),
        min_value=Decimal("0.01"),
        widget=forms.NumberInput(attrs=DECIMAL),
    )
    reason = forms.CharField(label=_("Why and how"), widget=forms.Textarea(attrs={"rows": 2}))


class DischargeForm(TimedForm):
    time_fields = ("discharged_at",)
    discharged_at = WhenField(label=_("Leaving at"))
    vitals_near_baseline = forms.BooleanField(
        label=_("Vital signs back near pre-dose"), required=False
    )
    alert_and_oriented = forms.BooleanField(label=_("Alert and oriented"), required=False)
    walking_steadily = forms.BooleanField(label=_("Walking steadily"), required=False)
    no_ongoing_nausea = forms.BooleanField(label=_("No ongoing nausea"), required=False)
    escort_present = forms.BooleanField(label=_("Escort present"), required=False)
    summary = forms.CharField(
        label=_("Discharge summary"), widget=forms.Textarea(attrs={"rows": 3})
    )
    aftercare_instructions = forms.CharField(
        label=_("After-care instructions"), widget=forms.Textarea(attrs={"rows": 4})
    )

    def criteria(self) -> dict[str, bool]:
        return {name: bool(self.cleaned_data.get(name)) for name in DISCHARGE_CRITERIA}


class RemsForm(forms.Form):
    rems_patient_id = forms.CharField(
        label=_("REMS patient enrolment ID"), required=False, max_length=40
    )
    sedation_observed = forms.BooleanField(label=_("Sedation observed"), required=False)
    sedation_resolved_at = WhenField(label=_("Sedation resolved at"), required=False)
    dissociation_observed = forms.BooleanField(label=_("Dissociation observed"), required=False)
    dissociation_resolved_at = WhenField(label=_("Dissociation resolved at"), required=False)
    ready_to_leave_at = WhenField(label=_("Ready to leave at"))
    notes = forms.CharField(
        label=_("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
