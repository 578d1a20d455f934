"""System checks for kapcare's own settings (shown by runserver, migrate and `manage.py check`)."""

from django.conf import settings
from django.core.checks import Warning


def deprecated_settings(app_configs, **kwargs) -> list[Warning]:
    if getattr(settings, "KAPCARE_HTTPS_FROM_OLD_NAME", False):
        return [
            Warning(
                "The HTTPS environment variable is deprecated.",
                hint="Rename it to KAPCARE_HTTPS. HTTPS is also a CGI variable: the development "
                "server takes HTTPS=1 to mean every request came over TLS.",
                id="kapcare.W001",
            )
        ]
    return []
