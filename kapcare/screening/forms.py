"""Forms for eligibility decisions and for publishing a new screening protocol version.

The forms only parse: reasons and signatures are checked by the services, which raise errors
keyed by these field names so they show beside the right field."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from kapcare.core.concurrency import VersionedFormMixin
from kapcare.screening.models import RuleKind

APPROVE, DECLINE = "approve", "decline"


class SignedDecisionForm(forms.Form):
    reason = forms.CharField(
        label=_("Clinical reason"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Kept with the decision and shown in the client's record."),
    )
    signature_name = forms.CharField(
        label=_("Your full name, typed as your signature"),
        required=False,
        max_length=200,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )


class ReviewForm(SignedDecisionForm):
    decision = forms.ChoiceField(
        label=_("Decision"),
        choices=[
            (APPROVE, _("Eligible: treatment may go ahead")),
            (DECLINE, _("Not eligible")),
        ],
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose eligible or not eligible.")},
    )
    field_order = ["decision", "reason", "signature_name"]

    @property
    def approve(self) -> bool:
        return self.cleaned_data["decision"] == APPROVE


class OverrideForm(SignedDecisionForm):
    pass


class RuleEditForm(forms.Form):
    """One rule of the protocol being edited. The rule's wording and condition are not editable
    here; an admin changes how strictly it applies, or switches it off."""

    key = forms.CharField(widget=forms.HiddenInput)
    enabled = forms.BooleanField(label=_("In use"), required=False)
    kind = forms.ChoiceField(label=_("Kind"), choices=RuleKind.choices)
    override_allowed = forms.BooleanField(label=_("Override allowed"), required=False)


class BaseRuleEditFormSet(forms.BaseFormSet):
    """The rules of the next version. `candidates` are the rule dicts the form may contain (the
    current version's rules, then defaults it no longer uses), keyed by rule key; `current` is
    the current version's rules as dicts."""

    def __init__(self, *args, candidates: dict[str, dict], current: list[dict], **kwargs):
        self.candidates = candidates
        self.current = current
        super().__init__(*args, **kwargs)

    def _construct_form(self, i, **kwargs):
        # Every row is a rule and must be filled in, even one a tampered INITIAL_FORMS count
        # would make an "extra" (empty, skipped) form.
        return super()._construct_form(i, empty_permitted=False, **kwargs)

    def clean(self):
        if any(self.errors):
            return
        keys = [form.cleaned_data["key"] for form in self.forms]
        if len(keys) != len(set(keys)) or set(keys) != set(self.candidates):
            raise forms.ValidationError(
                _(
                    "The list of rules changed while you were editing. Reload the page and try again."
                )
            )
        if not any(form.cleaned_data["enabled"] for form in self.forms):
            raise forms.ValidationError(_("Keep at least one rule in use."))
        if _summary(self.rule_dicts()) == _summary(self.current):
            raise forms.ValidationError(
                _("Nothing was changed, so there is no new version to publish.")
            )

    def rule_dicts(self) -> list[dict]:
        """The next version's rules, in the candidates' order, with the edits applied."""
        edits = {form.cleaned_data["key"]: form.cleaned_data for form in self.forms}
        rules = []
        for key, candidate in self.candidates.items():
            data = edits[key]
            if data["enabled"]:
                rule = dict(candidate)
                rule["kind"] = data["kind"]
                rule["override_allowed"] = data["override_allowed"]
                rules.append(rule)
        return rules


def _summary(rules: list[dict]) -> list[tuple]:
    return [(r["key"], r["kind"], bool(r["override_allowed"])) for r in rules]


RuleEditFormSet = forms.formset_factory(
    RuleEditForm, formset=BaseRuleEditFormSet, extra=0, max_num=500, absolute_max=500
)


class PublishProtocolForm(VersionedFormMixin, forms.Form):
    notes = forms.CharField(
        label=_("What changed, and why"),
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Shown in the version list; earlier decisions keep the version they used."),
        error_messages={"required": _("Say what changed and why.")},
    )
