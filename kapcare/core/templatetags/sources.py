from django import template

from kapcare.core.sources import source_title as _source_title

register = template.Library()


@register.filter
def source_title(source: str) -> str:
    """The readable title of a default's source (kapcare.core.sources)."""
    return _source_title(source)
