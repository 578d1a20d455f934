"""Forms for the start of the pathway: the public contact form, inquiry handling, intake.

The forms parse and check what a person typed, so every mistake shows at its field at once;
the services check again on the real rows and have the last word.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kapcare.accounts.models import WeightUnit
from kapcare.clients.conditions import Condition
from kapcare.clients.intake_catalogue import CONDITIONS
from kapcare.clients.models import Client, ContactMethod, InquiryStatus, Intake
from kapcare.clients.pathway_selectors import OPEN_STATUSES, clinics_taking_inquiries
from kapcare.clients.services.pathway import EMERGENCY_CONTACT_FIELDS, INQUIRY_FIELDS, INTAKE_FIELDS
from kapcare.core.concurrency import VersionedFormMixin

HONEYPOT_FIELD = "website"


# --- Public contact form ---------------------------------------------------------------------


class InquiryForm(forms.Form):
    clinic = forms.ModelChoiceField(
        queryset=None,
        label=_("Which clinic would you like to hear from?"),
        empty_label=_("Choose a clinic"),
    )
    first_name = forms.CharField(
        label=_("First name"),
        max_length=100,
        widget=forms.TextInput({"autocomplete": "given-name"}),
    )
    last_name = forms.CharField(
        label=_("Last name"),
        max_length=100,
        widget=forms.TextInput({"autocomplete": "family-name"}),
    )
    email = forms.EmailField(
        label=_("E-mail"),
        max_length=254,
        required=False,
        widget=forms.EmailInput({"autocomplete": "email"}),
    )
    phone = forms.CharField(
        label=_("Phone"),
        max_length=40,
        required=False,
        widget=forms.TextInput({"type": "tel", "autocomplete": "tel"}),
    )
    preferred_contact = forms.ChoiceField(
        label=_("How would you like us to contact you?"),
        choices=ContactMethod.choices,
        widget=forms.RadioSelect,
    )
    hopes = forms.CharField(
        label=_("What are you hoping for? (optional)"),
        help_text=_(
            "A few words are enough. Please don't include anything urgent: this form is "
            "read during office hours."
        ),
        max_length=4000,
        required=False,
        widget=forms.Textarea({"rows": 4}),
    )
    consent_to_contact = forms.BooleanField(
        label=_("I agree that the clinic may contact me about this inquiry."),
        error_messages={"required": _("We can only reply if you agree to be contacted.")},
    )
    # The honeypot: hidden from people (CSS and aria-hidden) and skipped by the keyboard, so only
    # a form-filling robot puts anything in it. The view checks it before anything else.
    website = forms.CharField(
        label=_("Leave this empty"),
        required=False,
        widget=forms.TextInput({"tabindex": "-1", "autocomplete": "off", "aria-hidden": "true"}),
    )

    def __init__(self, *args, choose_clinic: bool, **kwargs):
        """`choose_clinic` when more than one clinic could receive the inquiry."""
        super().__init__(*args, **kwargs)
        if choose_clinic:
            self.fields["clinic"].queryset = clinics_taking_inquiries()
        else:
            del self.fields["clinic"]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        email, phone = data.get("email"), data.get("phone")
        method = data.get("preferred_contact")
        if "email" not in self.errors and "phone" not in self.errors:
            if method == ContactMethod.EMAIL and not email:
                self.add_error(
                    "email",
                    _("Give an e-mail address, since that is how you'd like to hear from us."),
                )
            elif method in (ContactMethod.PHONE, ContactMethod.TEXT) and not phone:
                self.add_error(
                    "phone", _("Give a phone number, since that is how you'd like to hear from us.")
                )
            elif not email and not phone:
                self.add_error(
                    "email", _("Give an e-mail address or a phone number so we can reply.")
                )
        return data

    def inquiry_data(self) -> dict[str, Any]:
        return {f: self.cleaned_data[f] for f in INQUIRY_FIELDS}


# --- Inquiry queue ---------------------------------------------------------------------------


class InquiryFilterForm(forms.Form):
    status = forms.ChoiceField(required=False, label=_("Show"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        open_label = _("Open (%(statuses)s)") % {
            "statuses": ", ".join(str(InquiryStatus(s).label).lower() for s in OPEN_STATUSES)
        }
        self.fields["status"].choices = [("", open_label), *InquiryStatus.choices]


class InquiryStatusForm(forms.Form):
    status = forms.ChoiceField(
        choices=[
            (InquiryStatus.CONTACTED, InquiryStatus.CONTACTED.label),
            (InquiryStatus.CLOSED, InquiryStatus.CLOSED.label),
        ]
    )


def check_date_of_birth(born):
    today = timezone.localdate()
    if born > today:
        raise ValidationError(_("A date of birth cannot be in the future."))
    if born.year < today.year - 120:
        raise ValidationError(_("Check the year: that would make the client over 120."))
    return born


class ConvertInquiryForm(forms.Form):
    date_of_birth = forms.DateField(
        label=_("Date of birth"),
        widget=forms.DateInput({"type": "date", "class": "kc-input-date"}, format="%Y-%m-%d"),
        validators=[check_date_of_birth],
    )
    condition = forms.ChoiceField(
        label=_("Primary condition"),
        choices=[("", "—"), *Condition.choices],
        help_text=_("What the course of treatment is mainly for. Screening confirms it."),
    )


# --- Intake ----------------------------------------------------------------------------------

CONDITION_GROUP = {key: str(group) for key, _label, group in CONDITIONS}
_NUMBER = {"inputmode": "numeric", "class": "kc-input-short"}
KG_PER_LB = Decimal("0.45359237")  # exact, by definition of the international pound
_TENTH = Decimal("0.1")


def lb_to_kg(pounds: Decimal) -> Decimal:
    return (pounds * KG_PER_LB).quantize(_TENTH, rounding=ROUND_HALF_UP)


def kg_to_lb(kilograms: Decimal) -> Decimal:
    return (kilograms / KG_PER_LB).quantize(_TENTH, rounding=ROUND_HALF_UP)


class IntakeForm(forms.ModelForm):
    """The intake answers plus the client's emergency contact, for staff or for the client.

    `for_client` leaves out the clinician's suicide-risk assessment, starts empty (a link that
    reaches the wrong person shows them nothing) and makes the emergency contact required (the
    client is its only source on that page). `assess_risk=False` shows a staff member who is not
    a clinician the assessment on file without letting them change it.

    The vitals are optional (the clinic measures them in person). Weight is asked in the clinic's
    unit: a clinic working in pounds gets a `weight_lb` field instead of `weight_kg`, and the
    answer is converted to kg, which is what is stored.
    """

    conditions = forms.MultipleChoiceField(
        label=_("Medical and psychiatric history"),
        help_text=_("Tick everything that applies now or in the past."),
        choices=[(key, label) for key, label, _group in CONDITIONS],
        required=False,
        widget=forms.CheckboxSelectMultiple({"class": "form-check-input"}),
    )
    emergency_contact_name = Client._meta.get_field("emergency_contact_name").formfield(
        widget=forms.TextInput({"autocomplete": "off"})
    )
    emergency_contact_relationship = Client._meta.get_field(
        "emergency_contact_relationship"
    ).formfield()
    emergency_contact_phone = Client._meta.get_field("emergency_contact_phone").formfield(
        widget=forms.TextInput({"type": "tel", "autocomplete": "off"})
    )

    class Meta:
        model = Intake
        fields = [f for f in INTAKE_FIELDS if f != "conditions"]
        # Short labels: they sit four abreast under the fieldset's "Blood pressure, heart rate
        # and weight", where the model's longer names wrapped and pushed the inputs out of line.
        labels = {
            "baseline_systolic": _("Systolic (mmHg)"),
            "baseline_diastolic": _("Diastolic (mmHg)"),
            "baseline_heart_rate": _("Heart rate (beats/min)"),
            "weight_kg": _("Weight (kg)"),
        }
        widgets = {
            "medical_history_notes": forms.Textarea({"rows": 3}),
            "psychiatric_history_notes": forms.Textarea({"rows": 3}),
            "current_medications": forms.Textarea({"rows": 4}),
            "allergies": forms.Textarea({"rows": 2}),
            "substance_use": forms.Textarea({"rows": 2}),
            "baseline_systolic": forms.NumberInput({**_NUMBER, "min": 60, "max": 260}),
            "baseline_diastolic": forms.NumberInput({**_NUMBER, "min": 30, "max": 160}),
            "baseline_heart_rate": forms.NumberInput({**_NUMBER, "min": 25, "max": 220}),
            "weight_kg": forms.NumberInput(
                {"inputmode": "decimal", "class": "kc-input-short", "step": "0.1", "min": 25}
            ),
        }

    def __init__(
        self,
        *args,
        client: Client,
        intake: Intake | None = None,
        for_client: bool = False,
        assess_risk: bool = True,
        **kwargs,
    ):
        # The form validates against a copy; only the service writes the real row.
        instance = Intake(clinic=client.clinic, client=client)
        initial: dict[str, Any] = {}
        if for_client:
            intake = None
        else:
            initial = {f: getattr(client, f) for f in EMERGENCY_CONTACT_FIELDS}
        if intake is not None:
            initial.update({f: getattr(intake, f) for f in INTAKE_FIELDS})
        super().__init__(*args, instance=instance, initial=initial, **kwargs)
        self.for_client = for_client
        self.weight_in_lb = client.clinic.weight_unit == WeightUnit.LB
        if self.weight_in_lb:
            del self.fields["weight_kg"]
            self.fields["weight_lb"] = forms.DecimalField(
                label=_("Weight (lb)"),
                required=False,
                max_digits=5,
                decimal_places=1,
                min_value=Decimal("56"),
                max_value=Decimal("771"),
                widget=forms.NumberInput(
                    {"inputmode": "decimal", "class": "kc-input-short", "step": "0.1", "min": 56}
                ),
            )
            if intake is not None and intake.weight_kg is not None:
                self.initial["weight_lb"] = kg_to_lb(intake.weight_kg)
        if for_client:
            del self.fields["suicide_risk"]
            self.fields["emergency_contact_name"].required = True
            self.fields["emergency_contact_phone"].required = True
        elif not assess_risk:
            self.fields["suicide_risk"].disabled = True
            self.fields["suicide_risk"].help_text = _(
                "A clinician records this; it stays as it is when you save."
            )

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        systolic, diastolic = data.get("baseline_systolic"), data.get("baseline_diastolic")
        if systolic is not None and diastolic is not None and systolic <= diastolic:
            self.add_error("baseline_diastolic", _("Diastolic pressure must be below systolic."))
        for given, missing in (
            ("baseline_systolic", "baseline_diastolic"),
            ("baseline_diastolic", "baseline_systolic"),
        ):
            if (
                data.get(given) is not None
                and data.get(missing) is None
                and missing not in self.errors
            ):
                self.add_error(
                    missing, _("Give both blood pressure readings, or leave both empty.")
                )
        return data

    @property
    def weight_field(self):
        """The weight input, in the clinic's unit."""
        return self["weight_lb" if self.weight_in_lb else "weight_kg"]

    def condition_groups(self) -> list[tuple[str, list]]:
        """The condition checkboxes as [(group, [checkbox, …])] for one fieldset per group."""
        groups: dict[str, list] = {}
        for checkbox in self["conditions"]:
            groups.setdefault(CONDITION_GROUP[checkbox.data["value"]], []).append(checkbox)
        return list(groups.items())

    def intake_data(self) -> dict[str, Any]:
        data = {f: self.cleaned_data[f] for f in INTAKE_FIELDS if f in self.fields}
        if self.weight_in_lb:
            pounds = self.cleaned_data.get("weight_lb")
            data["weight_kg"] = None if pounds is None else lb_to_kg(pounds)
        return data

    def emergency_contact(self) -> dict[str, str]:
        return {f: self.cleaned_data[f] for f in EMERGENCY_CONTACT_FIELDS}


class StaffIntakeForm(VersionedFormMixin, IntakeForm):
    """Staff entering or correcting the intake: carries the version it was opened at."""
