from decimal import Decimal

from django import template

from kapcare.ledger import rules

register = template.Library()


@register.filter
def mg(value) -> str:
    """A quantity without trailing zeros: 80, 2.5, -0.125."""
    if value is None or value == "":
        return "—"
    return rules.canonical_value(Decimal(value))


@register.filter
def signed(value) -> str:
    """A change with its sign: +500, −80, 0."""
    if value is None:
        return "—"
    text = rules.canonical_value(Decimal(value))
    if Decimal(value) > 0:
        return f"+{text}"
    return text.replace("-", "−")
