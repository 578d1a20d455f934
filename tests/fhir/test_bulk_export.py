import datetime as dt

import pytest
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.utils import timezone
from fhir.resources.R4B.group import Group

from kapcare.accounts.models import ApiToken, Role
from kapcare.audit.models import AuditAction, AuditEvent
from kapcare.clients.models import Client
from kapcare.fhir import export_run, registry
from kapcare.fhir.models import ExportJob, ExportStatus
from kapcare.fhir.tasks import run_export_task
from tests.api_helpers import Bearer, bearer, token_for
from tests.factories import ClientFactory, make_staff, put_on_team
from tests.fhir.bulk_helpers import ASYNC, by_type, job_id, kick_off, lines, run

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def stored(job: ExportJob) -> list[str]:
    try:
        return default_storage.listdir(job.folder)[1]
    except FileNotFoundError:
        return []


@pytest.fixture
def system(clinic, staff):
    return bearer(staff[Role.CLINIC_ADMIN], clinic, "system/*.rs")


def test_system_export_lifecycle_manifest_files_and_audit(clinic, other_clinic, staff, system):
    clients = [ClientFactory(clinic=clinic) for _ in range(3)]
    ClientFactory(clinic=other_clinic)
    response = kick_off(system, "/fhir/$export", _type="Patient,Group")
    ident = job_id(response)
    assert response["Content-Location"] == f"http://testserver/fhir/$export-status/{ident}"
    waiting = system.get(f"/fhir/$export-status/{ident}")
    assert waiting.status_code == 202
    assert waiting["Retry-After"] == "10"
    assert waiting["X-Progress"] == "Queued"

    assert run_export_task.call(ident) == ExportStatus.COMPLETE
    status = system.get(f"/fhir/$export-status/{ident}")
    assert status.status_code == 200
    assert status["Content-Type"] == "application/json"
    assert status["Expires"]
    manifest = status.json()
    assert manifest["requiresAccessToken"] is True
    assert manifest["request"].startswith("http://testserver/fhir/$export?_type=")
    assert manifest["error"] == []
    dt.datetime.fromisoformat(manifest["transactionTime"])
    counts = {e["type"]: e["count"] for e in manifest["output"]}
    clinicians = {staff[r].pk for r in (Role.THERAPIST, Role.PRESCRIBER, Role.NURSE)}
    assert counts == {"Patient": 3, "Group": len(clinicians)}
    found = by_type(system, manifest)
    assert {p["id"] for p in found["Patient"]} == {str(c.pk) for c in clients}
    assert {g["id"] for g in found["Group"]} == {str(pk) for pk in clinicians}

    job_event = AuditEvent.objects.get(action=AuditAction.EXPORT, object_type="fhir.export")
    assert job_event.object_id == ident
    assert job_event.details["counts"] == counts
    assert job_event.details["client_ids"] == sorted(c.pk for c in clients)
    assert job_event.details["api_token_id"]
    downloads = AuditEvent.objects.filter(object_type="fhir.export_file")
    assert sorted(e.details["type"] for e in downloads) == ["Group", "Patient"]


def test_kick_off_without_prefer_async_is_400(system):
    response = system.get("/fhir/$export", HTTP_ACCEPT="application/fhir+json")
    assert response.status_code == 400
    assert "respond-async" in response.json()["issue"][0]["diagnostics"]
    assert not ExportJob.objects.exists()


@pytest.mark.parametrize(
    "params",
    [
        {"_type": "Pateint"},
        {"_type": "Patient,,Group"},
        {"_since": "2026-01-01"},
        {"_since": "2026-02-30T10:00:00Z"},
        {"_since": "yesterday"},
        {"_outputFormat": "text/csv"},
        {"_typeFilter": "Patient?name=x"},
    ],
)
def test_bad_kick_off_parameters_are_400(system, params):
    response = kick_off(system, "/fhir/$export", **params)
    assert response.status_code == 400
    assert response.json()["resourceType"] == "OperationOutcome"
    assert not ExportJob.objects.exists()


def test_since_accepts_an_unencoded_plus_and_selects_changed_rows(clinic, system):
    old, new = ClientFactory(clinic=clinic), ClientFactory(clinic=clinic)
    Client.objects.filter(pk=old.pk).update(updated_at=timezone.now() - dt.timedelta(days=3))
    since = (timezone.now() - dt.timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%S+00:00")
    manifest = run(system, "/fhir/Patient/$export", _since=since.replace("+", " "))
    assert [p["id"] for p in by_type(system, manifest)["Patient"]] == [str(new.pk)]


def test_clinician_token_without_system_scope_is_403(clinic, staff, client_record):
    http = bearer(staff[Role.THERAPIST], clinic, "user/*.rs")
    response = kick_off(http, "/fhir/Patient/$export")
    assert response.status_code == 403
    assert response.json()["issue"][0]["code"] == "forbidden"


def test_admin_user_token_exports_what_the_admin_sees(clinic, staff, client_record):
    http = bearer(staff[Role.CLINIC_ADMIN], clinic, "user/*.rs")
    manifest = run(http, "/fhir/Patient/$export")
    assert {e["type"] for e in manifest["output"]} == {"Patient"}


def test_type_outside_the_tokens_scopes_is_403(clinic, staff):
    http = bearer(staff[Role.CLINIC_ADMIN], clinic, "system/Patient.rs")
    assert kick_off(http, "/fhir/$export", _type="Group").status_code == 403
    manifest = run(http, "/fhir/$export")
    assert [e["type"] for e in manifest["output"]] == []  # no clients yet: no files


def test_patient_level_export_leaves_out_clinic_level_types(clinic, system, client_record):
    assert kick_off(system, "/fhir/Patient/$export", _type="Group").status_code == 400
    manifest = run(system, "/fhir/Patient/$export")
    assert {e["type"] for e in manifest["output"]} == {"Patient"}


def test_group_export_is_the_clinicians_caseload(clinic, other_clinic, staff, system):
    therapist = staff[Role.THERAPIST]
    mine = [ClientFactory(clinic=clinic) for _ in range(2)]
    for record in mine:
        put_on_team(record, therapist, Role.THERAPIST)
    put_on_team(ClientFactory(clinic=clinic), staff[Role.NURSE], Role.NURSE)
    group = Group.model_validate(system.get(f"/fhir/Group/{therapist.pk}").json())
    assert group.quantity == 2
    assert group.type == "person"
    manifest = run(system, f"/fhir/Group/{therapist.pk}/$export")
    assert {p["id"] for p in by_type(system, manifest)["Patient"]} == {str(c.pk) for c in mine}
    stranger = make_staff(other_clinic, Role.THERAPIST)
    assert kick_off(system, f"/fhir/Group/{stranger.pk}/$export").status_code == 404
    assert kick_off(system, "/fhir/Group/nobody/$export").status_code == 404


def test_clinician_sees_only_their_own_group(clinic, staff, client_record):
    http = bearer(staff[Role.THERAPIST], clinic, "user/*.rs")
    bundle = http.get("/fhir/Group").json()
    assert [e["resource"]["id"] for e in bundle["entry"]] == [str(staff[Role.THERAPIST].pk)]
    assert http.get(f"/fhir/Group/{staff[Role.NURSE].pk}").status_code == 404


@pytest.mark.parametrize("clinicians", [2, 12])
def test_group_search_page_is_bounded(django_assert_max_num_queries, clinic, system, clinicians):
    for _ in range(clinicians):
        user = make_staff(clinic, Role.THERAPIST, mfa=False)
        put_on_team(ClientFactory(clinic=clinic), user, Role.THERAPIST)
    with django_assert_max_num_queries(12):
        bundle = system.get("/fhir/Group", {"_count": 100}).json()
    assert bundle["total"] == clinicians + 3  # and the fixture's therapist, prescriber, nurse
    assert {e["resource"]["quantity"] for e in bundle["entry"]} == {0, 1}
    for entry in bundle["entry"]:
        Group.model_validate(entry["resource"])


def test_files_split_at_the_line_limit(settings, clinic, system):
    settings.KAPCARE_FHIR_EXPORT_LINES_PER_FILE = 2
    for _ in range(5):
        ClientFactory(clinic=clinic)
    manifest = run(system, "/fhir/Patient/$export")
    assert [(e["url"].rsplit("/", 1)[1], e["count"]) for e in manifest["output"]] == [
        ("Patient.1.ndjson", 2),
        ("Patient.2.ndjson", 2),
        ("Patient.3.ndjson", 1),
    ]
    assert sum(len(lines(system, e["url"])) for e in manifest["output"]) == 5


def test_delete_cancels_and_deletes_the_files(clinic, system, client_record):
    manifest = run(system, "/fhir/Patient/$export")
    ident = manifest["output"][0]["url"].split("/")[-2]
    job = ExportJob.objects.get(pk=ident)
    assert stored(job) == ["Patient.1.ndjson"]
    response = system.delete(f"/fhir/$export-status/{ident}")
    assert response.status_code == 202
    assert stored(job) == []
    assert system.get(f"/fhir/$export-status/{ident}").status_code == 404
    assert system.get(manifest["output"][0]["url"]).status_code == 404
    assert AuditEvent.objects.filter(action=AuditAction.DELETE, object_id=ident).exists()


def test_cancel_while_running_stops_and_removes_what_was_written(
    monkeypatch, settings, clinic, system
):
    settings.KAPCARE_FHIR_EXPORT_LINES_PER_FILE = 1
    for _ in range(6):
        ClientFactory(clinic=clinic)
    monkeypatch.setattr(export_run, "CHUNK", 2)
    ident = job_id(kick_off(system, "/fhir/Patient/$export"))
    patient = registry.get("Patient")
    original = type(patient).to_fhir
    written = []

    def cancel_after_two_files(self, row):
        written.append(row.pk)
        if len(written) == 3:
            assert len(stored(ExportJob.objects.get(pk=ident))) == 2
            system.delete(f"/fhir/$export-status/{ident}")
        return original(self, row)

    monkeypatch.setattr(type(patient), "to_fhir", cancel_after_two_files)
    assert run_export_task.call(ident) == ExportStatus.CANCELLED
    assert len(written) == 4  # stopped at the end of the chunk the cancel came in
    job = ExportJob.objects.get(pk=ident)
    assert job.status == ExportStatus.CANCELLED
    assert stored(job) == []
    assert not AuditEvent.objects.filter(action=AuditAction.EXPORT).exists()


def test_files_are_not_served_to_another_clinic_or_another_users_token(
    clinic, other_clinic, staff, system, client_record
):
    url = run(system, "/fhir/Patient/$export")["output"][0]["url"]
    elsewhere = bearer(make_staff(other_clinic, Role.CLINIC_ADMIN), other_clinic, "system/*.rs")
    assert elsewhere.get(url).status_code == 404
    assert (
        elsewhere.get(url.replace("$export-file", "$export-status").rsplit("/", 1)[0]).status_code
        == 404
    )
    admin_user_token = bearer(staff[Role.CLINIC_ADMIN], clinic, "user/*.rs")
    assert admin_user_token.get(url).status_code == 404
    second_system_token = bearer(staff[Role.CLINIC_ADMIN], clinic, "system/*.rs")
    assert second_system_token.get(url).status_code == 200
    assert Bearer("kc_nope").get(url).status_code == 401


def test_expired_exports_are_gone_and_purged(clinic, system, client_record):
    manifest = run(system, "/fhir/Patient/$export")
    url = manifest["output"][0]["url"]
    ident = url.split("/")[-2]
    job = ExportJob.objects.get(pk=ident)
    assert job.expires_at - job.finished_at == dt.timedelta(hours=24)
    fresh = job_id(kick_off(system, "/fhir/Patient/$export"))
    ExportJob.objects.filter(pk=ident).update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    assert system.get(url).status_code == 404
    assert system.get(f"/fhir/$export-status/{ident}").status_code == 404
    call_command("purge_fhir_exports")
    assert not ExportJob.objects.filter(pk=ident).exists()
    assert stored(job) == []
    assert ExportJob.objects.filter(pk=fresh).exists()


def test_a_token_revoked_before_the_run_fails_the_job(clinic, staff):
    raw = token_for(staff[Role.CLINIC_ADMIN], clinic, "system/*.rs")
    http = Bearer(raw)
    ident = job_id(kick_off(http, "/fhir/$export"))
    second = Bearer(token_for(staff[Role.CLINIC_ADMIN], clinic, "system/*.rs"))
    ApiToken.objects.filter(pk=ExportJob.objects.get(pk=ident).token_id).update(
        revoked_at=timezone.now()
    )
    assert run_export_task.call(ident) == ExportStatus.FAILED
    response = second.get(f"/fhir/$export-status/{ident}")
    assert response.status_code == 500
    assert "revoked" in response.json()["issue"][0]["diagnostics"]


def test_a_task_run_twice_writes_once(clinic, system, client_record):
    ident = job_id(kick_off(system, "/fhir/Patient/$export"))
    assert run_export_task.call(ident) == ExportStatus.COMPLETE
    assert run_export_task.call(ident) == ExportStatus.COMPLETE
    assert AuditEvent.objects.filter(object_type="fhir.export").count() == 1


def test_too_many_exports_at_once_is_429(system):
    job_id(kick_off(system, "/fhir/$export"))
    job_id(kick_off(system, "/fhir/$export"))
    response = kick_off(system, "/fhir/$export")
    assert response.status_code == 429
    assert response["Retry-After"]


def test_invalid_row_goes_to_the_error_file(monkeypatch, clinic, system):
    good, bad = ClientFactory(clinic=clinic), ClientFactory(clinic=clinic)
    patient = registry.get("Patient")
    original = type(patient).to_fhir

    def broken(self, row):
        data = original(self, row)
        return {**data, "birthDate": "not a date"} if row.pk == bad.pk else data

    monkeypatch.setattr(type(patient), "to_fhir", broken)
    manifest = run(system, "/fhir/Patient/$export")
    assert [p["id"] for p in by_type(system, manifest)["Patient"]] == [str(good.pk)]
    [outcome] = lines(system, manifest["error"][0]["url"])
    assert f"Patient/{bad.pk}" in outcome["issue"][0]["diagnostics"]


def test_a_mapping_with_nulls_is_written_as_its_validated_model(monkeypatch, clinic, system):
    ClientFactory(clinic=clinic)
    patient = registry.get("Patient")
    original = type(patient).to_fhir

    def with_nulls(self, row):
        return {
            **original(self, row),
            "name": [{"family": "Ashby", "given": ["Rowan"], "prefix": None}],
        }

    monkeypatch.setattr(type(patient), "to_fhir", with_nulls)
    [line] = by_type(system, run(system, "/fhir/Patient/$export"))["Patient"]
    assert line["name"] == [{"family": "Ashby", "given": ["Rowan"]}]


def test_capability_statement_lists_the_export_operations(client):
    operations = client.get("/fhir/metadata").json()["rest"][0]["operation"]
    assert {o["definition"].rsplit("/", 1)[1] for o in operations} >= {
        "export",
        "patient-export",
        "group-export",
    }


@pytest.mark.parametrize("count", [2, 12])
def test_export_run_queries_do_not_grow_with_rows(
    django_assert_max_num_queries, clinic, system, count
):
    for _ in range(count):
        ClientFactory(clinic=clinic)
    ident = job_id(kick_off(system, "/fhir/$export"))
    # A fixed number per exported type (its chunks, progress and files), none per row.
    with django_assert_max_num_queries(8 + 3 * len(registry.all_types())):
        run_export_task.call(ident)


def test_kick_off_only_accepts_get_and_json(system):
    assert system.post("/fhir/$export", **ASYNC).status_code == 405
    assert kick_off(system, "/fhir/$export", _format="xml").status_code == 406
    assert (
        system.get(
            "/fhir/$export", HTTP_PREFER="respond-async", HTTP_ACCEPT="text/html"
        ).status_code
        == 400
    )
    assert not ExportJob.objects.exists()
