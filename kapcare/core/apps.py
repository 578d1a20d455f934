from django.apps import AppConfig
from django.core import checks


class CoreConfig(AppConfig):
    name = "kapcare.core"
    label = "core"
    verbose_name = "kapcare core"

    def ready(self) -> None:
        from kapcare.core.checks import deprecated_settings, rate_limits, site_url

        checks.register(deprecated_settings)
        checks.register(rate_limits)
        checks.register(site_url)
