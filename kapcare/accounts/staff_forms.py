from django import forms
from django.contrib.auth.forms import SetPasswordForm
from django.utils.translation import gettext_lazy as _

from kapcare.accounts.models import Role, User
from kapcare.accounts.witness import WitnessFields


class RolesField(forms.MultipleChoiceField):
    def __init__(self, **kwargs):
        super().__init__(
            choices=Role.choices,
            widget=forms.CheckboxSelectMultiple,
            label=_("Roles"),
            error_messages={"required": _("Choose at least one role.")},
            **kwargs,
        )


class InviteStaffForm(forms.Form):
    full_name = forms.CharField(
        label=_("Full name"), max_length=User._meta.get_field("full_name").max_length
    )
    credentials = forms.CharField(
        label=_("Credentials"),
        required=False,
        max_length=User._meta.get_field("credentials").max_length,
        help_text=_("e.g. LCSW, MD, RN"),
    )
    email = forms.EmailField(label=_("E-mail"), max_length=254)
    roles = RolesField()


class StaffRolesForm(forms.Form):
    roles = RolesField()


class DeactivateForm(forms.Form):
    reason = forms.CharField(label=_("Reason (optional)"), required=False, max_length=200)


class ResetAuthenticatorForm(WitnessFields):
    """A second clinic admin re-authenticates here to witness the reset."""

    def __init__(self, *args, actor, **kwargs):
        super().__init__(*args, **kwargs)
        self.actor = actor
        self.witness = None
        self.fields["witness_email"].label = _("Second admin's e-mail")
        self.fields["witness_password"].label = _("Second admin's password")
        self.fields["witness_token"].label = _("Second admin's authenticator code")

    def clean(self):
        cleaned = super().clean()
        self.witness = self.verify_witness_fields(self.actor)
        return cleaned


class AcceptInvitationForm(SetPasswordForm):
    """The invitee's first password; Django's password validators check it."""
