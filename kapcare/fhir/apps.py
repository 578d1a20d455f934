from django.apps import AppConfig


class FhirConfig(AppConfig):
    name = "kapcare.fhir"
    label = "fhir"

    def ready(self) -> None:
        from kapcare.accounts.scopes import KNOWN_RESOURCES
        from kapcare.core.middleware import register_edge_responder
        from kapcare.fhir import registry, resources  # noqa: F401  (registers the types)
        from kapcare.fhir.errors import FhirError
        from kapcare.fhir.http import error_response

        KNOWN_RESOURCES.update(t.name for t in registry.all_types())
        register_edge_responder(
            "/fhir/", lambda status, text: error_response(FhirError(status, text))
        )
