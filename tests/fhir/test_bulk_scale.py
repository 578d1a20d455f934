"""Acceptance 5: `$export` of 10,000 patients (and their questionnaire responses, once the
QuestionnaireResponse type is served) completes in flat memory, and every NDJSON line validates.

Memory is measured with tracemalloc around the export task alone: its peak for 10,000 patients
must stay within a fixed bound and close to its peak for 2,000 (a run that held every row, or
every resource, would grow about fivefold)."""

from __future__ import annotations

import datetime as dt
import json
import time
import tracemalloc

import pytest
from django.core.files.storage import default_storage
from django.utils import timezone
from fhir.resources.R4B import get_fhir_model_class

from kapcare.accounts.models import Role
from kapcare.clients.models import Client, ClientStatus
from kapcare.fhir import registry
from kapcare.fhir.models import ExportJob
from kapcare.fhir.tasks import run_export_task
from kapcare.measures import scoring
from kapcare.measures.models import InstrumentDefinition, Response, ResponseSource, Timepoint
from kapcare.measures.services import normalise_answers
from kapcare.measures.services.instruments import ensure_shipped_instruments
from tests.api_helpers import bearer
from tests.fhir.bulk_helpers import job_id, kick_off

pytestmark = pytest.mark.django_db

# The export's fixed working set: one 500-row chunk with its related rows, the fhir.resources
# validators, and on PostgreSQL the server-side cursor's buffer (about 11 MiB there at 2,000
# and at 10,000 patients alike; under 8 MiB on SQLite). Holding 10,000 rows would be several
# times this; the flatness check below is the sharper one.
PEAK_BOUND = 24 * 1024 * 1024
# QuestionnaireResponse is served once its mapping module is registered; until then the
# export (and this test) covers Patient only.
WITH_RESPONSES = "QuestionnaireResponse" in {t.name for t in registry.all_types()}


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def add_clients(clinic, count: int, start: int) -> None:
    Client.objects.bulk_create(
        [
            Client(
                clinic=clinic,
                first_name=f"Given{n}",
                last_name=f"Family{n}",
                preferred_name="Sam" if n % 3 == 0 else "",
                date_of_birth=dt.date(1960 + n % 40, 1 + n % 12, 1 + n % 28),
                email=f"client{n}@example.org",
                phone="+1 555 0100",
                address=f"{n} Harbour Road",
                emergency_contact_name="Alex Doe" if n % 2 else "",
                emergency_contact_phone="+1 555 0199" if n % 2 else "",
                status=ClientStatus.ACTIVE,
            )
            for n in range(start, start + count)
        ],
        batch_size=1000,
    )


def add_responses(clinic) -> None:
    """One scored PHQ-9 for each client without one, stored as the clinic stores one (scored
    by the same code), written in bulk: through the service, 10,000 would take minutes."""
    phq9 = InstrumentDefinition.objects.get(clinic=clinic, code="phq9", is_active=True)
    answers, _errors = normalise_answers(phq9.definition, {str(i): 1 for i in range(1, 10)})
    result = scoring.score(phq9.definition, answers, phq9.parameters)
    now = timezone.now()
    rows = (
        Response(
            clinic=clinic,
            client_id=pk,
            instrument=phq9,
            instrument_code=phq9.code,
            timepoint=Timepoint.AD_HOC,
            answers=answers,
            status=result.status,
            total=result.total,
            prorated=result.prorated,
            band=result.band,
            band_label=result.band_label,
            subscales=result.subscales,
            flags=result.flags,
            risk_level=result.risk_level,
            scoring_params=result.params,
            completed_at=now,
            source=ResponseSource.LINK,
            created_at=now,
        )
        for pk in Client.objects.filter(clinic=clinic, measure_responses__isnull=True).values_list(
            "pk", flat=True
        )
    )
    Response.objects.bulk_create(rows, batch_size=1000)


def export(http) -> tuple[ExportJob, int, float]:
    types = "Patient,QuestionnaireResponse" if WITH_RESPONSES else "Patient"
    ident = job_id(kick_off(http, "/fhir/$export", _type=types))
    started = time.monotonic()
    tracemalloc.start()
    try:
        run_export_task.call(ident)
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return ExportJob.objects.get(pk=ident), peak, time.monotonic() - started


def validate_every_line(job: ExportJob) -> dict[str, int]:
    counts: dict[str, int] = {}
    for entry in job.output:
        with default_storage.open(entry["path"], "rb") as stored:
            for line in stored:
                resource = json.loads(line)
                get_fhir_model_class(resource["resourceType"]).model_validate(resource)
                counts[resource["resourceType"]] = counts.get(resource["resourceType"], 0) + 1
    return counts


def test_export_of_ten_thousand_patients_runs_in_flat_memory(settings, clinic, staff):
    # Several files per type, so the split is exercised at scale too.
    settings.KAPCARE_FHIR_EXPORT_LINES_PER_FILE = 4_000
    http = bearer(staff[Role.CLINIC_ADMIN], clinic, "system/*.rs")
    if WITH_RESPONSES:
        ensure_shipped_instruments(clinic=clinic)
    # A first, small export loads what any export loads once (model classes, caches), so the
    # two measured runs compare the export's own memory.
    add_clients(clinic, 20, 0)
    export(http)
    add_clients(clinic, 1_980, 20)
    if WITH_RESPONSES:
        add_responses(clinic)
    small, small_peak, _ = export(http)
    add_clients(clinic, 8_000, 2_000)
    if WITH_RESPONSES:
        add_responses(clinic)
    large, large_peak, seconds = export(http)

    expected = {"Patient": 10_000} | ({"QuestionnaireResponse": 10_000} if WITH_RESPONSES else {})
    assert {t: sum(e["count"] for e in large.output if e["type"] == t) for t in expected} == (
        expected
    )
    assert validate_every_line(large) == expected
    assert large_peak < PEAK_BOUND, f"peak {large_peak / 2**20:.1f} MiB"
    # Flat: five times the rows, well under twice the memory.
    assert large_peak < 2 * small_peak, (
        f"peak grew from {small_peak / 2**20:.1f} to {large_peak / 2**20:.1f} MiB "
        f"({seconds:.0f} s for 10,000)"
    )
    assert len(small.output) == (2 if WITH_RESPONSES else 1)
