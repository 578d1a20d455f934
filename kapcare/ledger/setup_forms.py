"""Forms for the clinic admin's ledger set-up: registrant, settings, products, locations."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from kapcare.ledger import rules
from kapcare.ledger.models import LedgerSettings, Location, Product, Registrant, Route


class RegistrantForm(forms.ModelForm):
    class Meta:
        model = Registrant
        fields = [
            "name",
            "dea_number",
            "dea_expires_on",
            "state_license",
            "address_line1",
            "address_line2",
            "city",
            "region",
            "postal_code",
        ]
        widgets = {"dea_expires_on": forms.DateInput(attrs={"type": "date"})}

    def clean_dea_number(self) -> str:
        number = self.cleaned_data["dea_number"].strip().upper()
        if not rules.dea_number_valid(number):
            raise forms.ValidationError(
                _(
                    "This is not a valid DEA number: two letters and seven digits, the last a check digit."
                )
            )
        return number


class LedgerSettingsForm(forms.ModelForm):
    class Meta:
        model = LedgerSettings
        fields = [
            "count_at_opening",
            "count_at_closing",
            "day_opens_at",
            "day_closes_at",
            "exact_count_for_open_containers",
            "retention_years",
        ]
        widgets = {
            "day_opens_at": forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
            "day_closes_at": forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
        }

    def clean(self):
        cleaned = super().clean()
        opens, closes = cleaned.get("day_opens_at"), cleaned.get("day_closes_at")
        if opens and closes and closes <= opens:
            self.add_error("day_closes_at", _("The day must end after it starts."))
        return cleaned


class ProductForm(forms.ModelForm):
    routes = forms.MultipleChoiceField(
        label=_("Routes"), choices=Route.choices, widget=forms.CheckboxSelectMultiple
    )

    class Meta:
        model = Product
        fields = [
            "name",
            "is_esketamine",
            "dosage_form",
            "concentration_mg_per_ml",
            "volume_ml_per_unit",
            "mg_per_unit",
            "unit_label",
            "units_per_container",
            "routes",
            "active",
        ]

    def __init__(self, *args, clinic, **kwargs):
        super().__init__(*args, **kwargs)
        self.instance.clinic = clinic

    def validate_unique(self):
        # clinic is not a form field, so ModelForm would skip the (clinic, name) constraint.
        try:
            self.instance.validate_constraints()
        except forms.ValidationError as error:
            self._update_errors(error)


class LocationForm(forms.ModelForm):
    class Meta:
        model = Location
        fields = ["name", "kind", "active"]

    def __init__(self, *args, clinic, **kwargs):
        super().__init__(*args, **kwargs)
        self.instance.clinic = clinic

    def validate_unique(self):
        try:
            self.instance.validate_constraints()
        except forms.ValidationError as error:
            self._update_errors(error)
