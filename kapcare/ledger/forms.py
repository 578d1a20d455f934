"""Forms for the stock movements. Quantities are typed in the unit the nurse has in hand
(vials, mg or mL) and turned into mg, the ledger's unit, against the chosen product."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from kapcare.accounts.actor import Actor
from kapcare.accounts.witness import WitnessFields
from kapcare.core.decimals import column_problem, decimal_form_field
from kapcare.core.validators import reject_control_characters
from kapcare.ledger import rules
from kapcare.ledger.models import (
    Balance,
    DisposalMethod,
    EntryKind,
    LedgerEntry,
    Location,
    LossKind,
    Product,
)
from kapcare.ledger.selectors import stock_balances

# Identifiers that end up in file names, headers and CSV cells stay on one line.
ONE_LINE = [reject_control_characters]

UNIT_CHOICES = [
    ("unit", _("vials / devices / lozenges")),
    ("mg", _("mg")),
    ("ml", _("mL (liquids)")),
]


def _datetime_input() -> forms.DateTimeInput:
    return forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


class BalanceChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, row: Balance) -> str:
        units = rules.units_from_mg(row.quantity_mg, row.lot.product.mg_per_unit)
        return _("%(product)s · lot %(lot)s · %(location)s · %(mg)s mg (%(units)s %(unit)s)") % {
            "product": row.lot.product.name,
            "lot": row.lot.lot_number,
            "location": row.location.name,
            "mg": rules.canonical_value(row.quantity_mg),
            "units": rules.canonical_value(units),
            "unit": row.lot.product.unit_label,
        }


class QuantityFields(forms.Form):
    """A quantity and its unit; `quantity_mg(product)` gives it in mg after cleaning."""

    quantity = decimal_form_field(
        LedgerEntry,
        "quantity_mg",
        label=_("Quantity"),
        min_value=Decimal("0.001"),
        widget=forms.NumberInput(attrs={"inputmode": "decimal", "step": "any"}),
    )
    unit = forms.ChoiceField(label=_("Unit"), choices=UNIT_CHOICES, initial="mg")

    def quantity_mg(self, product: Product) -> Decimal | None:
        """The quantity in mg, or None after adding the error at the unit field."""
        quantity, unit = self.cleaned_data.get("quantity"), self.cleaned_data.get("unit")
        if quantity is None or not unit:
            return None
        try:
            quantity_mg = rules.to_mg(
                quantity,
                unit,
                mg_per_unit=product.mg_per_unit,
                concentration=product.concentration_mg_per_ml,
            )
        except ValueError:
            self.add_error(
                "unit",
                _("%(product)s is not a liquid: use units or mg.") % {"product": product.name},
            )
            return None
        # In mg the quantity must still fit the ledger's column (and so every balance after it).
        problem = column_problem(LedgerEntry, "quantity_mg", quantity_mg)
        if problem:
            self.add_error("quantity", problem)
            return None
        return quantity_mg


class StockForm(QuantityFields):
    """Something taken from one lot at one location."""

    balance = BalanceChoiceField(label=_("Lot and location"), queryset=Balance.objects.none())

    def __init__(self, *args, actor: Actor, **kwargs):
        super().__init__(*args, **kwargs)
        self.actor = actor
        self.fields["balance"].queryset = stock_balances(clinic_id=actor.clinic_id)

    def clean(self):
        cleaned = super().clean()
        row = cleaned.get("balance")
        cleaned["quantity_mg"] = self.quantity_mg(row.lot.product) if row else None
        return cleaned


class ReceiveForm(QuantityFields):
    field_order = [
        "product",
        "lot_number",
        "ndc",
        "expires_on",
        "quantity",
        "unit",
        "location",
        "supplier_name",
        "supplier_dea_number",
        "supplier_address",
        "reference",
        "received_at",
        "note",
    ]

    product = forms.ModelChoiceField(label=_("Product"), queryset=Product.objects.none())
    lot_number = forms.CharField(label=_("Lot number"), max_length=40, validators=ONE_LINE)
    ndc = forms.CharField(
        label=_("NDC"),
        max_length=20,
        validators=ONE_LINE,
        help_text=_("As on the label, e.g. 0409-2051-05."),
    )
    expires_on = forms.DateField(
        label=_("Expiry date"), widget=forms.DateInput(attrs={"type": "date"})
    )
    location = forms.ModelChoiceField(label=_("Put into"), queryset=Location.objects.none())
    supplier_name = forms.CharField(label=_("Supplier"), max_length=200, validators=ONE_LINE)
    supplier_dea_number = forms.CharField(
        label=_("Supplier DEA number"), max_length=9, required=False
    )
    supplier_address = forms.CharField(label=_("Supplier address"), max_length=300, required=False)
    reference = forms.CharField(
        label=_("Invoice or packing-slip number"), max_length=120, validators=ONE_LINE
    )
    received_at = forms.DateTimeField(
        label=_("Received at"),
        required=False,
        widget=_datetime_input(),
        help_text=_("Leave empty for now."),
    )
    note = forms.CharField(
        label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args, actor: Actor, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["product"].queryset = Product.objects.filter(
            clinic_id=actor.clinic_id, active=True
        )
        self.fields["location"].queryset = Location.objects.filter(
            clinic_id=actor.clinic_id, active=True
        )
        self.fields["unit"].initial = "unit"

    def clean_supplier_dea_number(self) -> str:
        number = self.cleaned_data["supplier_dea_number"].strip().upper()
        if number and not rules.dea_number_valid(number):
            raise forms.ValidationError(
                _("This is not a valid DEA number (2 letters, 7 digits, check digit).")
            )
        return number

    def clean(self):
        cleaned = super().clean()
        product = cleaned.get("product")
        cleaned["quantity_mg"] = self.quantity_mg(product) if product else None
        return cleaned


class TransferForm(StockForm):
    field_order = ["balance", "to_location", "quantity", "unit", "reason"]
    to_location = forms.ModelChoiceField(label=_("Move to"), queryset=Location.objects.none())
    reason = forms.CharField(label=_("Why"), required=False, max_length=500)

    def __init__(self, *args, actor: Actor, **kwargs):
        super().__init__(*args, actor=actor, **kwargs)
        self.fields["to_location"].queryset = Location.objects.filter(
            clinic_id=actor.clinic_id, active=True
        )


class WasteForm(StockForm, WitnessFields):
    """Waste not tied to a dosing session (a dropped vial, an expired opened one). Waste of a
    session's dose is recorded on the session's page: only the dosing service, under the
    session's lock, knows what was drawn and what is left of it."""

    field_order = ["balance", "quantity", "unit", "reason"]
    reason = forms.CharField(
        label=_("How and why it was wasted"),
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=1000,
    )

    def __init__(self, *args, actor: Actor, **kwargs):
        super().__init__(*args, actor=actor, **kwargs)
        self.witness = None

    def clean(self):
        cleaned = super().clean()
        self.witness = self.verify_witness_fields(self.actor)
        return cleaned


class DisposalForm(StockForm, WitnessFields):
    field_order = ["balance", "quantity", "unit", "method", "reference", "counterparty", "reason"]
    method = forms.ChoiceField(label=_("How it leaves"), choices=DisposalMethod.choices)
    reference = forms.CharField(
        label=_("DEA Form 41 number, or the reverse distributor's invoice"),
        max_length=120,
        validators=ONE_LINE,
    )
    counterparty = forms.CharField(
        label=_("Reverse distributor or manufacturer (name, DEA number)"),
        max_length=300,
        required=False,
    )
    reason = forms.CharField(label=_("Why (expired, damaged…)"), required=False, max_length=500)

    def clean(self):
        cleaned = super().clean()
        self.witness = None
        if cleaned.get("method") == DisposalMethod.ON_SITE:
            # FACTS.md §5.7: two people witness on-site destruction (DEA Form 41).
            self.witness = self.verify_witness_fields(self.actor)
        return cleaned


class LossForm(StockForm):
    field_order = [
        "balance",
        "quantity",
        "unit",
        "kind",
        "discovered_at",
        "circumstances",
        "police_report",
    ]
    kind = forms.ChoiceField(label=_("What happened"), choices=LossKind.choices)
    discovered_at = forms.DateTimeField(label=_("Discovered at"), widget=_datetime_input())
    circumstances = forms.CharField(
        label=_("Circumstances"), widget=forms.Textarea(attrs={"rows": 3})
    )
    police_report = forms.CharField(
        label=_("Police report number"), max_length=60, required=False, validators=ONE_LINE
    )


class LossFollowUpForm(forms.Form):
    dea_notified_at = forms.DateTimeField(
        label=_("DEA field office notified at"), required=False, widget=_datetime_input()
    )
    form_106_reference = forms.CharField(
        label=_("DEA Form 106 number"), max_length=60, required=False, validators=ONE_LINE
    )
    form_106_submitted_at = forms.DateTimeField(
        label=_("Form 106 submitted at"), required=False, widget=_datetime_input()
    )
    police_report = forms.CharField(
        label=_("Police report number"), max_length=60, required=False, validators=ONE_LINE
    )


class CorrectionForm(WitnessFields):
    field_order = ["quantity_mg", "reason"]
    quantity_mg = decimal_form_field(
        LedgerEntry,
        "quantity_mg",
        label=_("Change in mg (negative takes stock off)"),
        widget=forms.NumberInput(attrs={"inputmode": "decimal", "step": "any"}),
    )
    reason = forms.CharField(
        label=_("What was wrong, and how it was found"), widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args, actor: Actor, **kwargs):
        super().__init__(*args, **kwargs)
        self.actor = actor
        self.witness = None

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("quantity_mg") == 0:
            self.add_error("quantity_mg", _("A correction changes the quantity."))
        self.witness = self.verify_witness_fields(self.actor)
        return cleaned


class EntryFilterForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), required=False)
    location = forms.ModelChoiceField(
        label=_("Location"), required=False, queryset=Location.objects.none()
    )
    date_from = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(
        label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args, clinic_id: int, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = [("", _("Any kind")), *EntryKind.choices]
        self.fields["location"].queryset = Location.objects.filter(clinic_id=clinic_id)

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("date_from"), cleaned.get("date_to")
        if start and end and end < start:
            self.add_error("date_to", _("The end date is before the start date."))
        return cleaned
