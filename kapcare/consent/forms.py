"""Forms for signing and withdrawing consent and for publishing a consent version.

They only parse: the services check the name, the tick box and the text's hash, and raise
errors keyed by these field names."""

from django import forms
from django.utils.translation import gettext_lazy as _

from kapcare.consent.models import WithdrawalChannel


class SignForm(forms.Form):
    shown_sha256 = forms.CharField(widget=forms.HiddenInput, max_length=64, required=False)
    agreed = forms.BooleanField(
        label=_("I have read this consent, had the chance to ask questions, and agree"),
        required=False,
    )
    typed_name = forms.CharField(
        label=_("Your full name, typed as your signature"),
        max_length=200,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )


class WithdrawForm(forms.Form):
    requested_via = forms.ChoiceField(
        label=_("Who asked to withdraw, and how"),
        choices=[("", _("Choose…")), *WithdrawalChannel.choices],
        required=False,
    )
    reason = forms.CharField(
        label=_("Reason"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("In the client's words where possible."),
    )
    confirmed = forms.BooleanField(
        label=_(
            "I confirm the client withdraws consent: no dose can be given from now until they "
            "sign again"
        ),
        required=False,
    )


class DocumentForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200, required=False)
    body = forms.CharField(
        label=_("Text"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 24}),
        help_text=_("Plain text; blank lines separate paragraphs."),
    )
