from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "kapcare.api"
    label = "api"
    verbose_name = "REST API"

    def ready(self) -> None:
        from kapcare.accounts.scopes import KNOWN_RESOURCES
        from kapcare.api.scopes import REST_RESOURCES

        KNOWN_RESOURCES.update(REST_RESOURCES)
