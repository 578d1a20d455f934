from django.apps import AppConfig


class ConsentConfig(AppConfig):
    name = "kapcare.consent"
    label = "consent"

    def ready(self) -> None:
        # Consent joins the gate registry in front of every dose.
        from kapcare.consent import gates

        gates.register()
