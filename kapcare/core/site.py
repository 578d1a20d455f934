"""Addresses for links that leave the site: e-mails and text messages."""

from django.conf import settings


def absolute_url(path: str) -> str:
    """`path` on the site's own address (settings.KAPCARE_SITE_URL), for a message read outside
    a browser where a bare path leads nowhere. Without the setting the path is returned as it
    is, and a system check (kapcare.W002) asks the operator to set it."""
    base = settings.KAPCARE_SITE_URL.rstrip("/")
    return f"{base}{path}" if base else path
