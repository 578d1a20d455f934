"""One module per group of FHIR resource types; importing a module registers its types."""

from kapcare.fhir.resources import adverse_event, encounter, medication, patient  # noqa: F401
