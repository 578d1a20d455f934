from django.apps import AppConfig


class FhirConfig(AppConfig):
    name = "kapcare.fhir"
    label = "fhir"

    def ready(self) -> None:
        from kapcare.accounts.scopes import KNOWN_RESOURCES
        from kapcare.fhir import registry, resources  # noqa: F401  (registers the types)

        KNOWN_RESOURCES.update(t.name for t in registry.all_types())
