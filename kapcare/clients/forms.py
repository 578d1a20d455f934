from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kapcare.accounts.selectors import clinic_staff
from kapcare.clients.models import CARE_TEAM_ROLES, Client, ClientStatus
from kapcare.clients.services import CLIENT_FIELDS
from kapcare.core.concurrency import VersionedFormMixin


class ClientForm(forms.ModelForm):
    class Meta:
        model = Client
        fields = CLIENT_FIELDS
        widgets = {
            "date_of_birth": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "address": forms.Textarea(attrs={"rows": 3}),
            "phone": forms.TextInput(attrs={"type": "tel", "autocomplete": "off"}),
            "emergency_contact_phone": forms.TextInput(attrs={"type": "tel"}),
        }

    def clean_date_of_birth(self):
        born = self.cleaned_data["date_of_birth"]
        today = timezone.localdate()
        if born > today:
            raise forms.ValidationError(_("A date of birth cannot be in the future."))
        if born.year < today.year - 120:
            raise forms.ValidationError(_("Check the year: that would make the client over 120."))
        return born

    def _post_clean(self):
        # Validation happens in the service (full_clean on the real row); the form only parses.
        pass


class ClientEditForm(VersionedFormMixin, ClientForm):
    """Editing a registered client: carries the version it was opened at."""


class CareTeamAddForm(VersionedFormMixin, forms.Form):
    user = forms.ModelChoiceField(
        queryset=None, label=_("Clinician"), empty_label=_("Choose a clinician")
    )
    role = forms.ChoiceField(
        choices=[(r.value, r.label) for r in CARE_TEAM_ROLES], label=_("Role on the team")
    )

    def __init__(self, *args, clinic_id: int, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["user"].queryset = (
            clinic_staff(clinic_id)
            .filter(
                memberships__role__in=[r.value for r in CARE_TEAM_ROLES],
                memberships__clinic_id=clinic_id,
            )
            .distinct()
        )
        self.fields["user"].label_from_instance = lambda user: user.display_name


class ClientSearchForm(forms.Form):
    q = forms.CharField(required=False, max_length=100, label=_("Search"))
    status = forms.ChoiceField(required=False, label=_("Status"))

    def __init__(self, *args, **kwargs):

        super().__init__(*args, **kwargs)
        self.fields["status"].choices = [("", _("Any status")), *ClientStatus.choices]
