from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "kapcare.api"
    label = "api"
    verbose_name = "REST API"

    def ready(self) -> None:
        from kapcare.accounts.scopes import KNOWN_RESOURCES
        from kapcare.accounts.staff_sections import register_staff_section
        from kapcare.api.scopes import REST_RESOURCES
        from kapcare.api.token_views import staff_tokens_section

        KNOWN_RESOURCES.update(REST_RESOURCES)
        register_staff_section(staff_tokens_section)
