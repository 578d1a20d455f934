from django import forms
from django.utils.translation import gettext_lazy as _

from kapcare.accounts.selectors import clinic_staff
from kapcare.audit.models import AuditAction
from kapcare.clients.models import Client
from kapcare.clients.picker import ClientPickerField


class AuditFilterForm(forms.Form):
    # Typed, not a <select>: a clinic's clients are too many to list as options.
    client = ClientPickerField(required=False, label=_("Client"))
    user = forms.ModelChoiceField(
        queryset=None, required=False, label=_("Staff member"), empty_label=_("Anyone")
    )
    action = forms.ChoiceField(required=False, label=_("Action"))
    date_from = forms.DateField(
        required=False, label=_("From"), widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(
        required=False, label=_("To"), widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args, clinic_id: int, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["client"].queryset = Client.objects.filter(clinic_id=clinic_id)
        self.fields["user"].queryset = clinic_staff(clinic_id)
        self.fields["action"].choices = [("", _("Any action")), *AuditAction.choices]

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("date_from"), cleaned.get("date_to")
        if start and end and end < start:
            self.add_error("date_to", _("The end date is before the start date."))
        return cleaned
