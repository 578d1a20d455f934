from django import template

from kapcare.clients.services.links import channels_for

register = template.Library()


@register.inclusion_tag("clients/partials/_link_channel.html")
def link_channel_select(client, key=""):
    """The "send the link by…" choice in a form that makes a single-use link; `key` makes the
    field's id unique when a page has several such forms."""
    return {"choices": channels_for(client), "field_id": f"kc-link-channel-{key}".rstrip("-")}
