"""The pieces every table of records shares, so each says the same to a screen reader."""

from django import template
from django.utils.html import format_html_join
from django.utils.safestring import SafeString

register = template.Library()


@register.simple_tag
def column_headings(*labels) -> SafeString:
    """One `<th scope="col">` per label (escaped), for the header row of
    core/partials/_table.html: `{% column_headings _("Name") _("Status") %}`."""
    return format_html_join("\n    ", '<th scope="col">{}</th>', ((label,) for label in labels))
