from django.apps import AppConfig


class ScreeningConfig(AppConfig):
    name = "kapcare.screening"
    label = "screening"

    def ready(self) -> None:
        # A completed intake is screened at once and the care team told.
        from kapcare.clients.intake_hooks import on_intake_completed
        from kapcare.screening.services import screen_completed_intake

        on_intake_completed(screen_completed_intake)
        # Eligibility joins the gate registry in front of every dose.
        from kapcare.screening import gates

        gates.register()
