"""Forms for asking the prescriber from the chair and for the prescriber's decision. They only
parse: kapcare.dosing.services.review checks the reason and the typed-name signature."""

from django import forms
from django.utils.translation import gettext_lazy as _


class AskReviewForm(forms.Form):
    note = forms.CharField(
        label=_("Note for the prescriber (optional)"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class DecisionForm(forms.Form):
    APPROVE, DECLINE = "approve", "decline"
    decision = forms.ChoiceField(
        label=_("Your decision"),
        choices=[
            (APPROVE, _("Approve: the dose may go ahead")),
            (DECLINE, _("Decline: no dose today")),
        ],
        widget=forms.RadioSelect,
    )
    reason = forms.CharField(
        label=_("Clinical reason"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    signature_name = forms.CharField(
        label=_("Type your full name to sign"), max_length=200, required=False
    )

    @property
    def approve(self) -> bool:
        return self.cleaned_data["decision"] == self.APPROVE
