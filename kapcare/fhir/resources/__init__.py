"""One module per group of FHIR resource types; importing a module registers its types."""

from kapcare.fhir.resources import (  # noqa: F401
    adverse_event,
    audit_event,
    care_team,
    consent,
    encounter,
    episode_of_care,
    flag,
    group,
    medication,
    observation,
    organization,
    patient,
    questionnaire,
    questionnaire_response,
    staff,
)
