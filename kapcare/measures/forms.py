"""Forms built from an instrument definition: one radio group per item, every problem shown at
the item it concerns."""

from __future__ import annotations

import datetime as dt
import json
import zoneinfo

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kapcare.measures.models import InstrumentDefinition, MeasureSettings
from kapcare.measures.scoring import condition_holds
from kapcare.measures.services import item_field

# Staff copying a paper form must say so when the client left an item blank: an unticked item
# on screen is an error, never a silent blank.
LEFT_BLANK = "blank"


class ResponseForm(forms.Form):
    """`for_client` forms (links) need every question asked; staff forms offer "left blank"."""

    def __init__(self, *args, definition: InstrumentDefinition, for_client: bool = False, **kw):
        super().__init__(*args, **kw)
        self.definition = definition
        self.for_client = for_client
        spec = definition.definition
        for item in spec["items"]:
            options = [(str(o["value"]), o["label"]) for o in spec["answer_sets"][item["answers"]]]
            if not for_client:
                options.append((LEFT_BLANK, _("Left blank by the client")))
            text = definition.text_for(item["key"])
            label = f"{item['key']}. {text}" if text else _("Item %(k)s") % {"k": item["key"]}
            field = forms.ChoiceField(
                label=label,
                choices=options,
                widget=forms.RadioSelect,
                required=False,
                help_text=item.get("note", "") if not text else "",
            )
            field.item = item
            self.fields[item_field(item["key"])] = field
        if not for_client:
            self.fields["completed_on"] = forms.DateField(
                label=_("Date the client filled it in"),
                widget=forms.DateInput(attrs={"type": "date"}),
                initial=definition.clinic.today() if definition.clinic_id else None,
            )

    def clean(self):
        data = super().clean()
        answers = self.answers()
        for name, field in self.fields.items():
            item = getattr(field, "item", None)
            if item is None or self.has_error(name):
                continue
            asked = "ask_if" not in item or condition_holds(item["ask_if"], answers)
            value = data.get(name)
            if not asked:
                if value not in ("", LEFT_BLANK, None):
                    self.add_error(
                        name,
                        _("Leave this out: it is asked only after a Yes to the question before."),
                    )
                continue
            if value in ("", None):
                if not item.get("required", True):
                    continue  # optional items (the PHQ-9 difficulty question) may stay empty
                self.add_error(
                    name,
                    _("Choose an answer.")
                    if self.for_client
                    else _("Choose an answer, or “Left blank by the client” if they skipped it."),
                )
            elif self.for_client and value == LEFT_BLANK:
                self.add_error(name, _("Choose an answer."))
        return data

    def clean_completed_on(self):
        day = self.cleaned_data["completed_on"]
        if day > self.definition.clinic.today():
            raise forms.ValidationError(_("This date is in the future."))
        return day

    def answers(self) -> dict[str, int | None]:
        """Answers by item key from the cleaned data (blank and "left blank" → None)."""
        result: dict[str, int | None] = {}
        for name, field in self.fields.items():
            item = getattr(field, "item", None)
            if item is None:
                continue
            value = self.cleaned_data.get(name) if hasattr(self, "cleaned_data") else None
            result[item["key"]] = int(value) if value not in (None, "", LEFT_BLANK) else None
        return result

    def completed_at(self) -> dt.datetime | None:
        """Now for today's date; noon clinic time for an earlier paper form."""
        day = self.cleaned_data.get("completed_on")
        clinic = self.definition.clinic
        if day is None or day == clinic.today():
            return None
        zone = zoneinfo.ZoneInfo(clinic.time_zone)
        return timezone.make_aware(dt.datetime.combine(day, dt.time(12)), zone)

    def item_fields(self):
        return [self[name] for name, f in self.fields.items() if hasattr(f, "item")]


class AcknowledgeForm(forms.Form):
    action_taken = forms.CharField(
        label=_("What did you do?"),
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=2000,
        help_text=_(
            "e.g. Called the client, completed a risk assessment, updated the safety plan."
        ),
    )


class DefinitionUploadForm(forms.Form):
    file = forms.FileField(label=_("Definition file (JSON)"), required=False)
    text = forms.CharField(
        label=_("…or paste the definition"),
        widget=forms.Textarea(attrs={"rows": 10}),
        required=False,
    )

    def clean(self):
        data = super().clean()
        raw = data.get("text") or ""
        upload = data.get("file")
        if upload:
            if upload.size > 512 * 1024:
                raise forms.ValidationError(_("The file is too large (at most 512 KB)."))
            raw = upload.read().decode("utf-8", errors="replace")
        if not raw.strip():
            raise forms.ValidationError(_("Upload a file or paste the definition."))
        try:
            data["definition"] = json.loads(raw)
        except json.JSONDecodeError as error:
            raise forms.ValidationError(
                _("This is not valid JSON (line %(l)s: %(m)s).")
                % {"l": error.lineno, "m": error.msg}
            ) from None
        return data


class ItemTextForm(forms.Form):
    def __init__(self, *args, definition: InstrumentDefinition, **kw):
        super().__init__(*args, **kw)
        for item in definition.definition["items"]:
            if item.get("text"):
                continue
            self.fields[item_field(item["key"])] = forms.CharField(
                label=_("Item %(k)s") % {"k": item["key"]},
                initial=definition.item_text.get(item["key"], ""),
                help_text=item.get("note", ""),
                max_length=1000,
                widget=forms.Textarea(attrs={"rows": 2}),
            )

    def texts(self) -> dict[str, str]:
        return {name.removeprefix("item_"): v for name, v in self.cleaned_data.items()}


class ParametersForm(forms.Form):
    def __init__(self, *args, definition: InstrumentDefinition, **kw):
        super().__init__(*args, **kw)
        current = {
            **{k: s["default"] for k, s in definition.definition.get("parameters", {}).items()},
            **definition.parameters,
        }
        for name, spec in definition.definition.get("parameters", {}).items():
            help_text = _("Default %(d)s. Source: %(s)s") % {
                "d": spec["default"],
                "s": spec.get("source", ""),
            }
            if "choices" in spec:
                field = forms.ChoiceField(
                    label=spec["label"],
                    choices=[(c, c) for c in spec["choices"]],
                    help_text=help_text,
                )
            else:
                field = forms.IntegerField(
                    label=spec["label"],
                    min_value=spec["min"],
                    max_value=spec["max"],
                    help_text=help_text,
                )
            field.initial = current[name]
            self.fields[name] = field


class MeasureSettingsForm(forms.ModelForm):
    follow_up_months_text = forms.CharField(
        label=_("Follow-ups (months after the end of the course)"),
        help_text=_("Comma-separated, e.g. 1, 3, 6. Leave empty for none."),
        required=False,
    )

    class Meta:
        model = MeasureSettings
        fields = [
            "before_each_dose",
            "end_of_course",
            "pre_dose_window_days",
            "grace_days",
            "escalation_delay_minutes",
            "link_lifetime_hours",
        ]

    def __init__(self, *args, conditions, codes, **kw):
        super().__init__(*args, **kw)
        self.conditions = conditions
        self.fields["follow_up_months_text"].initial = ", ".join(
            str(m) for m in self.instance.follow_up_months
        )
        for value, label in conditions:
            self.fields[f"instruments_{value}"] = forms.MultipleChoiceField(
                label=_("Instruments for %(c)s") % {"c": label},
                choices=codes,
                widget=forms.CheckboxSelectMultiple,
                required=False,
                initial=self.instance.instruments_by_condition.get(value, []),
            )

    def clean_follow_up_months_text(self):
        raw = self.cleaned_data["follow_up_months_text"]
        try:
            return [int(p) for p in raw.replace(" ", "").split(",") if p]
        except ValueError:
            raise forms.ValidationError(
                _("Whole numbers of months, separated by commas.")
            ) from None

    def settings_data(self) -> dict:
        data = {f: self.cleaned_data[f] for f in self.Meta.fields}
        data["follow_up_months"] = self.cleaned_data["follow_up_months_text"]
        data["instruments_by_condition"] = {
            value: self.cleaned_data[f"instruments_{value}"] for value, _label in self.conditions
        }
        return data
