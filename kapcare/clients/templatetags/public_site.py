from django import template

from kapcare.clients.pathway_selectors import public_site_clinics

register = template.Library()


@register.simple_tag
def public_clinics():
    """The clinics whose public site this is (usually one), for the public pages' header,
    footer and home page."""
    return public_site_clinics()
