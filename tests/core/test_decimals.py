"""Issue 10 item 1 at the root: every form field that ends in a model's decimal column takes
its bounds from that column, so nothing the form accepts can fail to store or to read back."""

from decimal import Decimal

import pytest

from kapcare.core.decimals import column_max, column_problem, decimal_form_field
from kapcare.dosing.models import DoseOrder
from kapcare.ledger.forms import CorrectionForm, QuantityFields
from kapcare.ledger.models import LedgerEntry
from kapcare.outcomes.forms import InstrumentSettingsForm
from kapcare.outcomes.models import InstrumentOutcomeSettings


def test_the_largest_value_follows_digits_and_places():
    assert column_max(DoseOrder, "dose_mg") == Decimal("99999.99")
    assert column_max(LedgerEntry, "quantity_mg") == Decimal("999999999.999")


def test_a_form_field_cannot_be_wider_than_its_column():
    field = decimal_form_field(DoseOrder, "dose_mg", max_value=Decimal("10000000"))
    assert field.max_value == Decimal("99999.99") and field.decimal_places == 2
    assert str(field.widget.attrs["max"]) == "99999.99"


@pytest.mark.parametrize(
    ("value", "ok"),
    [
        (Decimal("99999.99"), True),
        (Decimal("100000"), False),
        (Decimal("1.005"), False),
        (Decimal("NaN"), False),
        (None, True),
    ],
)
def test_column_problem(value, ok):
    assert (column_problem(DoseOrder, "dose_mg", value) is None) is ok


@pytest.mark.parametrize(
    ("form", "field", "model", "column"),
    [
        (QuantityFields, "quantity", LedgerEntry, "quantity_mg"),
        (CorrectionForm, "quantity_mg", LedgerEntry, "quantity_mg"),
        *[
            (InstrumentSettingsForm, name, InstrumentOutcomeSettings, name)
            for name, field in InstrumentSettingsForm.base_fields.items()
            if field.__class__.__name__ == "DecimalField"
        ],
    ],
)
def test_every_model_backed_decimal_field_is_bounded_by_its_column(form, field, model, column):
    form_field, column_field = form.base_fields[field], model._meta.get_field(column)
    assert form_field.max_value == column_max(model, column)
    assert (form_field.max_digits, form_field.decimal_places) == (
        column_field.max_digits,
        column_field.decimal_places,
    )


def test_a_quantity_in_vials_too_large_for_the_ledger_is_refused_at_its_field():
    class Product:
        mg_per_unit = Decimal("500")
        concentration_mg_per_ml = Decimal("50")
        name = "Ketamine"

    form = QuantityFields({"quantity": "999999999", "unit": "unit"})
    assert form.is_valid()
    assert form.quantity_mg(Product()) is None and "quantity" in form.errors
