"""One module per group of FHIR resource types; importing a module registers its types."""

from kapcare.fhir.resources import (  # noqa: F401
    audit_event,
    care_team,
    consent,
    episode_of_care,
    flag,
    organization,
    patient,
    staff,
)
