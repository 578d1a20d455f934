"""One module per group of FHIR resource types; importing a module registers its types."""

from kapcare.fhir.resources import group, patient  # noqa: F401
