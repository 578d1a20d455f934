"""Template helpers for outcomes: number formats, and the client panel's data for the chart slot
the Measures tab leaves (kapcare/measures/templates/measures/partials/_chart_slot.html)."""

from __future__ import annotations

import math

from django import template
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kapcare.outcomes import selectors
from kapcare.outcomes.stats import Interval

register = template.Library()


def _number(value: float, digits: int) -> str:
    # U+2212 minus: a hyphen reads as a dash to screen readers and looks wrong in tables.
    text = number_format(round(abs(value), digits), digits)
    return f"−{text}" if value < 0 and round(abs(value), digits) != 0 else text


@register.filter
def signed(value, digits: int = 1) -> str:
    """A change in points with its sign: "−4.5", "+2.0", "0.0"."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    number = float(value)
    text = _number(number, digits)
    return f"+{text}" if round(number, digits) > 0 else text


@register.filter
def percent(value, digits: int = 0) -> str:
    """A proportion (0–1) or an Interval's estimate as a percentage."""
    if isinstance(value, Interval):
        value = value.estimate
    if value is None:
        return "—"
    return f"{_number(float(value) * 100, digits)}%"


@register.filter
def rate_ci(interval: Interval | None) -> str:
    """The 95% interval of a proportion: "24–76%"."""
    if interval is None:
        return ""
    return f"{_number(interval.low * 100, 0)}–{_number(interval.high * 100, 0)}%"


@register.filter
def mean_ci(interval: Interval | None) -> str:
    """The 95% interval of a mean change: "−10.2 to −6.1"."""
    if interval is None:
        return ""
    return f"{_number(interval.low, 1)} to {_number(interval.high, 1)}"


@register.filter
def yes_no(value) -> str:
    if value is None:
        return "—"
    return _("yes") if value else _("no")


@register.simple_tag
def client_outcomes(client, course) -> dict:
    """The chart slot's data: every trajectory (three queries) and, when the client has a
    course, its outcomes (four more)."""
    return {
        "trajectories": selectors.client_trajectories(client),
        "course": selectors.course_outcomes(course) if course is not None else None,
    }


JT_LABELS = {
    "recovered": gettext_lazy("Recovered"),
    "improved": gettext_lazy("Improved"),
    "unchanged": gettext_lazy("Unchanged"),
    "deteriorated": gettext_lazy("Deteriorated"),
}


@register.filter
def jt_label(category) -> str:
    """FACTS.md §2.2 categories, translated."""
    return str(JT_LABELS.get(str(category), "—")) if category else "—"


@register.filter
def get_item(mapping, key):
    return mapping.get(key) if mapping else None


@register.filter
def split(text: str) -> list[str]:
    return text.split()


@register.filter
def nhs_rate(row, key: str) -> Interval | None:
    return row.nhs_rate(key) if row is not None and row.nhs else None
