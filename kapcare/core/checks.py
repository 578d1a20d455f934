"""System checks for kapcare's own settings (shown by runserver, migrate and `manage.py check`)."""

from django.conf import settings
from django.core.checks import Error, Warning

from kapcare.core.ratelimit import Limit


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


def site_url(app_configs, **kwargs) -> list[Warning]:
    if not settings.DEBUG and not getattr(settings, "KAPCARE_SITE_URL", ""):
        return [
            Warning(
                "SITE_URL is not set: links in e-mails to staff will be bare paths.",
                hint="Set SITE_URL to the address staff reach kapcare at, e.g. "
                "https://kap.example.org",
                id="kapcare.W002",
            )
        ]
    return []


def rate_limits(app_configs, **kwargs) -> list[Error]:
    """Every configured rate limit can be built (attempts ≥ 0, a window of a second to a day)."""

    errors = []
    for name in getattr(settings, "KAPCARE_RATE_LIMITS", {}):
        try:
            limit = Limit.from_settings(name)
            if limit.count < 0:
                raise ValueError("attempts cannot be negative")
        except (TypeError, ValueError) as error:
            errors.append(
                Error(
                    f"KAPCARE_RATE_LIMITS[{name!r}] is not (attempts, window in seconds): {error}",
                    id="kapcare.E001",
                )
            )
    return errors
