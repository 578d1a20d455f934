"""manage.py seed_synthetic: every domain filled, chains that verify, one seed one data set."""

import hashlib

import pytest
from django.core.management import CommandError, call_command
from django.db import transaction
from django.urls import reverse

from kapcare.accounts.models import Clinic, User
from kapcare.audit.chain import verify_audit_chain
from kapcare.audit.models import AuditEvent
from kapcare.clients.models import CareTeamMember, Client, Intake
from kapcare.consent.models import ConsentSignature
from kapcare.courses.crypto import decrypt_text
from kapcare.courses.models import ClinicalNote, CourseStatus, NoteKind, TreatmentCourse
from kapcare.dosing.models import (
    Administration,
    DoseOrder,
    DosingSession,
    DosingStatus,
    MonitoringAlert,
    PreDoseCheck,
    VitalSign,
)
from kapcare.ledger.chain import verify_chain
from kapcare.ledger.models import EntryKind, LedgerEntry
from kapcare.measures.models import MeasureAssignment, Response, RiskAlert
from kapcare.screening.models import EligibilityDecision, Screening
from tests.factories import ClinicFactory

pytestmark = pytest.mark.django_db

# Content only (no ids or hashes, which hold ids): the same seed must give the same rows.
DIGEST = [
    (Client, ["first_name", "last_name", "date_of_birth", "status", "created_at"]),
    (TreatmentCourse, ["condition", "status", "opened_at", "closed_at"]),
    (DosingSession, ["number", "status", "scheduled_for", "discharged_at"]),
    (VitalSign, ["recorded_at", "systolic", "diastolic", "heart_rate", "sedation"]),
    (Response, ["instrument_code", "answers", "total", "band", "completed_at"]),
    (ClinicalNote, ["kind", "status", "session_date", "encrypted_text"]),
    (LedgerEntry, ["sequence", "kind", "quantity_mg", "balance_after_mg", "occurred_at"]),
    (AuditEvent, ["action", "object_type", "summary", "occurred_at"]),
]


def seed(clients=60, seed=1, clinics=2):
    call_command(
        "seed_synthetic", clinics=clinics, clients=clients, seed=seed, verbosity=0, force=True
    )


def digest() -> str:
    sha = hashlib.sha256()
    for model, fields in DIGEST:
        rows = model.objects.all()
        if model is AuditEvent:
            # Not the settings' version 1, which the real services publish (and time) at setup.
            rows = rows.exclude(actor__isnull=True, client__isnull=True)
        rows = sorted(repr(row) for row in rows.values_list(*fields))
        sha.update(f"{model._meta.label}:{len(rows)}\n".encode())
        for row in rows:
            sha.update(row.encode())
    return sha.hexdigest()


def digest_of_a_run(**kwargs) -> str:
    with transaction.atomic():
        seed(**kwargs)
        result = digest()
        transaction.set_rollback(True)
    return result


def test_a_small_run_fills_every_domain_and_its_chains_verify():
    seed()

    assert Clinic.objects.count() == 2
    assert Client.objects.count() == 60
    for model in (
        CareTeamMember,
        Intake,
        Screening,
        EligibilityDecision,
        ConsentSignature,
        DoseOrder,
        PreDoseCheck,
        VitalSign,
        MonitoringAlert,
        Administration,
        MeasureAssignment,
        Response,
        RiskAlert,
        AuditEvent,
    ):
        assert model.objects.exists(), model
    statuses = set(TreatmentCourse.objects.values_list("status", flat=True))
    assert statuses == set(CourseStatus.values)
    sessions = set(DosingSession.objects.values_list("status", flat=True))
    assert {DosingStatus.SCHEDULED, DosingStatus.DISCHARGED, DosingStatus.ABORTED} <= sessions
    kinds = set(LedgerEntry.objects.values_list("kind", flat=True))
    assert {EntryKind.RECEIPT, EntryKind.ADMINISTRATION, EntryKind.WASTE} <= kinds
    signed = ClinicalNote.objects.filter(status="signed")
    assert signed.filter(kind=NoteKind.INTEGRATION, dosing_session_id__isnull=False).exists()
    process = ClinicalNote.objects.filter(kind=NoteKind.PROCESS).first()
    assert process is not None and decrypt_text(process.encrypted_text).startswith("Process")
    # Every dosed session is on the ledger, and each alert-raising response has its alert.
    dosed = DosingSession.objects.filter(dose_started_at__isnull=False).count()
    assert LedgerEntry.objects.filter(kind=EntryKind.ADMINISTRATION).count() == dosed
    assert Response.objects.filter(alerts__isnull=False).distinct().count() == (
        RiskAlert.objects.values("response").distinct().count()
    )
    for clinic in Clinic.objects.all():
        ledger = verify_chain(clinic)
        assert ledger.ok and ledger.checked > 0, ledger.problem
        audit = verify_audit_chain(clinic.pk)
        assert audit.ok and audit.checked > 0, audit.problem


def test_the_same_seed_gives_the_same_data_and_another_seed_does_not():
    first = digest_of_a_run(clients=12, seed=7)
    again = digest_of_a_run(clients=12, seed=7)
    other = digest_of_a_run(clients=12, seed=8)

    assert first == again
    assert first != other


def test_a_seeded_therapist_sees_home_client_list_and_a_client(login):
    seed(clients=8, clinics=1)
    therapist = User.objects.get(email__startswith="therapist.clinic1@")
    client_id = CareTeamMember.objects.filter(user=therapist).values_list("client_id", flat=True)[0]
    http = login(therapist)

    for url in (
        reverse("home:home"),
        reverse("clients:list"),
        reverse("clients:detail", args=[client_id]),
    ):
        assert http.get(url).status_code == 200, url


def test_refuses_a_database_that_has_clinics_unless_appending(settings):
    settings.DEBUG = True
    ClinicFactory()

    with pytest.raises(CommandError, match="--append"):
        call_command("seed_synthetic", clinics=1, clients=5, verbosity=0)

    call_command("seed_synthetic", clinics=1, clients=5, verbosity=0, append=True)
    assert Clinic.objects.count() == 2


def test_refuses_to_run_with_debug_off_unless_forced(settings):
    settings.DEBUG = False

    with pytest.raises(CommandError, match="DEBUG"):
        call_command("seed_synthetic", clinics=1, clients=5, verbosity=0)
    assert not Client.objects.exists()
