"""Decimal form fields bounded by the database column they are saved into.

A DecimalField column holds at most `max_digits` digits, `decimal_places` of them after the
point. A form that accepts more lets a value through that the database refuses (PostgreSQL: a
500) or, on SQLite, stores and then cannot read back (every page showing the row a 500). So
every form field whose value ends up in a model's decimal column takes its bounds from that
column, here, and never states its own digits.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django import forms
from django.db import models
from django.utils.translation import gettext as _


def _column(model: type[models.Model], name: str) -> models.DecimalField:
    field = model._meta.get_field(name)
    if not isinstance(field, models.DecimalField):
        raise TypeError(f"{model.__name__}.{name} is not a DecimalField")
    return field


def column_max(model: type[models.Model], name: str) -> Decimal:
    """The largest value the column holds: 10^(digits − places) − 10^−places (e.g. 99.999
    for max_digits=5, decimal_places=3)."""
    field = _column(model, name)
    step = Decimal(1).scaleb(-field.decimal_places)
    return Decimal(10) ** (field.max_digits - field.decimal_places) - step


def column_step(model: type[models.Model], name: str) -> Decimal:
    """The column's smallest step (0.01 for two decimal places)."""
    return Decimal(1).scaleb(-_column(model, name).decimal_places)


def decimal_form_field(
    model: type[models.Model],
    name: str,
    *,
    max_value: Decimal | None = None,
    min_value: Decimal | None = None,
    **kwargs,
) -> forms.DecimalField:
    """A form field for `model.name`: the column's digits and places, and a maximum (and,
    unless given, a minimum) no wider than the column holds. A narrower `max_value` may be
    given; a wider one is cut to the column's."""
    field = _column(model, name)
    widest = column_max(model, name)
    max_value = widest if max_value is None else min(Decimal(max_value), widest)
    min_value = -widest if min_value is None else max(Decimal(min_value), -widest)
    kwargs.setdefault("label", field.verbose_name)
    return forms.DecimalField(
        max_digits=field.max_digits,
        decimal_places=field.decimal_places,
        max_value=max_value,
        min_value=min_value,
        **kwargs,
    )


def column_problem(model: type[models.Model], name: str, value: Decimal | None) -> str | None:
    """Why `value` does not fit the column (too large, or finer than its places), or None.
    For a value worked out after a form's own checks (a quantity in vials turned into mg)."""
    if value is None:
        return None
    try:
        value = Decimal(value)
        finite = value.is_finite()
    except (InvalidOperation, TypeError, ValueError):
        finite = False
    if not finite:
        return _("Enter a number.")
    widest = column_max(model, name)
    if abs(value) > widest:
        return _("Enter at most %(max)s.") % {"max": format(widest.normalize(), "f")}
    step = column_step(model, name)
    if value != value.quantize(step):
        return _("Enter at most %(n)s decimal places.") % {"n": _column(model, name).decimal_places}
    return None
