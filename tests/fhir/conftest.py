import pytest

from kapcare.measures.models import InstrumentDefinition
from kapcare.measures.services.instruments import ensure_shipped_instruments


@pytest.fixture
def instruments(clinic):
    """The clinic's active instrument definitions (the shipped ones), by code."""
    ensure_shipped_instruments(clinic=clinic)
    return {d.code: d for d in InstrumentDefinition.objects.filter(clinic=clinic, is_active=True)}
