from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "kapcare.api"
    label = "api"
    verbose_name = "REST API"

    def ready(self) -> None:
        from kapcare.accounts.scopes import KNOWN_RESOURCES
        from kapcare.accounts.staff_sections import register_staff_section
        from kapcare.api import schema  # noqa: F401  (registers the bearer-token scheme)
        from kapcare.api.errors import edge_error
        from kapcare.api.scopes import REST_RESOURCES
        from kapcare.api.token_views import staff_tokens_section
        from kapcare.core.middleware import register_edge_responder

        KNOWN_RESOURCES.update(REST_RESOURCES)
        register_edge_responder("/api/", edge_error)
        register_staff_section(staff_tokens_section)
