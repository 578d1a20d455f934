from django.apps import AppConfig


class ClientsConfig(AppConfig):
    name = "kapcare.clients"
    label = "clients"

    def ready(self) -> None:
        from kapcare.accounts.staff_sections import register_staff_section
        from kapcare.clients.staff_views import care_team_section

        register_staff_section(care_team_section)
