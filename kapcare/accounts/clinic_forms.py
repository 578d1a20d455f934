from django import forms

from kapcare.accounts.clinic_services import CLINIC_SETTINGS_FIELDS
from kapcare.accounts.models import Clinic


class ClinicSettingsForm(forms.ModelForm):
    """The clinic's settings; the form never saves (the service does)."""

    class Meta:
        model = Clinic
        fields = CLINIC_SETTINGS_FIELDS
        widgets = {
            "about": forms.Textarea({"rows": 4}),
            "opening_hours": forms.Textarea({"rows": 4}),
            "fees": forms.Textarea({"rows": 4}),
            "phone": forms.TextInput({"type": "tel"}),
        }
