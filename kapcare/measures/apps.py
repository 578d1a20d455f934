from django.apps import AppConfig


class MeasuresConfig(AppConfig):
    name = "kapcare.measures"
    label = "measures"
    verbose_name = "Measures"

    def ready(self) -> None:
        # Raised and escalated alerts notify through background tasks.
        from kapcare.measures import tasks

        tasks.register()
