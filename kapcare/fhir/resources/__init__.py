"""One module per group of FHIR resource types; importing a module registers its types."""

from kapcare.fhir.resources import (  # noqa: F401
    observation,
    patient,
    questionnaire,
    questionnaire_response,
)
