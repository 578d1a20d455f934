"""Forms for counts, inventories and closing discrepancy cases.

A count is blind: the form asks what is on the shelf for each lot without showing what the
books expect, and the comparison is shown only once it is recorded.
"""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from kapcare.accounts.actor import Actor
from kapcare.accounts.witness import WitnessFields
from kapcare.core.decimals import column_problem, decimal_form_field
from kapcare.ledger import rules
from kapcare.ledger.models import (
    Balance,
    CaseStatus,
    CountMethod,
    CountPurpose,
    CountTiming,
    LedgerEntry,
)
from kapcare.ledger.services.reconciliation import CountLine

TIMING_CHOICES = [
    (CountTiming.OPENING, CountTiming.OPENING.label),
    (CountTiming.CLOSING, CountTiming.CLOSING.label),
]


class CountForm(WitnessFields):
    """One row per lot at the counted location(s); `lines` holds the CountLines once valid."""

    purpose = forms.ChoiceField(label=_("Kind of count"))
    timing = forms.ChoiceField(label=_("When"), choices=TIMING_CHOICES, required=False)
    unit = forms.ChoiceField(
        label=_("Count in"),
        choices=[("unit", _("units")), ("mg", _("mg"))],
        initial="unit",
        help_text=_("Units are vials, devices or lozenges; an opened vial counts as a fraction."),
    )
    note = forms.CharField(
        label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(
        self,
        *args,
        actor: Actor,
        rows: list[Balance],
        purposes: list[str],
        estimates_allowed: bool,
        **kwargs,
    ):
        super().__init__(*args, **kwargs)
        self.actor, self.rows, self.witness, self.lines = actor, rows, None, []
        self.inventory = purposes[0] in (
            CountPurpose.INITIAL_INVENTORY,
            CountPurpose.BIENNIAL_INVENTORY,
        )
        self.fields["purpose"].choices = [(p, CountPurpose(p).label) for p in purposes]
        self.fields["purpose"].initial = purposes[0]
        for row in rows:
            product = row.lot.product
            # Typed in units (four places) or mg; in mg it must fit the count's column.
            self.fields[f"counted_{row.pk}"] = decimal_form_field(
                LedgerEntry,
                "quantity_units",
                label=_("Counted, lot %(lot)s") % {"lot": row.lot.lot_number},
                min_value=Decimal(0),
                widget=forms.NumberInput(attrs={"inputmode": "decimal", "step": "any"}),
            )
            if self.inventory:
                self.fields[f"sealed_{row.pk}"] = forms.IntegerField(
                    label=_("Sealed containers"),
                    min_value=0,
                    required=False,
                    help_text=_("%(n)s %(unit)s per container")
                    % {"n": product.units_per_container, "unit": product.unit_label},
                )
            if estimates_allowed:
                self.fields[f"method_{row.pk}"] = forms.ChoiceField(
                    label=_("Method"), choices=CountMethod.choices, initial=CountMethod.EXACT
                )

    def row_fields(self) -> list[dict]:
        return [
            {
                "row": row,
                "counted": self[f"counted_{row.pk}"],
                "sealed": self[f"sealed_{row.pk}"] if f"sealed_{row.pk}" in self.fields else None,
                "method": self[f"method_{row.pk}"] if f"method_{row.pk}" in self.fields else None,
            }
            for row in self.rows
        ]

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("purpose") != CountPurpose.SPOT and not cleaned.get("timing"):
            self.add_error("timing", _("Say whether this is the start or the end of the day."))
        unit = cleaned.get("unit")
        for row in self.rows:
            counted = cleaned.get(f"counted_{row.pk}")
            if counted is None or not unit:
                continue
            product = row.lot.product
            counted_mg = rules.to_mg(
                counted, unit, mg_per_unit=product.mg_per_unit, concentration=None
            )
            problem = column_problem(LedgerEntry, "counted_mg", counted_mg)
            if problem:
                self.add_error(f"counted_{row.pk}", problem)
                continue
            sealed = cleaned.get(f"sealed_{row.pk}")
            container_mg = product.mg_per_unit * product.units_per_container
            if sealed is not None and sealed * container_mg > counted_mg:
                self.add_error(
                    f"sealed_{row.pk}",
                    _("%(n)s sealed containers hold more than the total counted.") % {"n": sealed},
                )
            self.lines.append(
                CountLine(
                    lot=row.lot,
                    location=row.location,
                    counted_mg=counted_mg,
                    method=cleaned.get(f"method_{row.pk}") or CountMethod.EXACT,
                    sealed_containers=sealed,
                )
            )
        self.witness = self.verify_witness_fields(self.actor)
        return cleaned


class CloseCaseForm(WitnessFields):
    outcome = forms.ChoiceField(
        label=_("Outcome"),
        widget=forms.RadioSelect,
        choices=[
            (
                CaseStatus.RESOLVED,
                _("Adjust the books to the count (witnessed adjustment entries)"),
            ),
            (
                CaseStatus.OVERRIDDEN,
                _("Close without adjusting (the count was wrong, or explained)"),
            ),
        ],
    )
    reason = forms.CharField(
        label=_("Findings and reason"), widget=forms.Textarea(attrs={"rows": 3}), max_length=2000
    )

    def __init__(self, *args, actor: Actor, **kwargs):
        super().__init__(*args, **kwargs)
        self.actor, self.witness = actor, None

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("outcome") == CaseStatus.RESOLVED:
            self.witness = self.verify_witness_fields(self.actor)
        return cleaned
