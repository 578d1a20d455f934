"""Running one Bulk Data export: each resource type streamed to NDJSON files in bounded memory.

Rows are read in primary-key order in chunks (`iterator(chunk_size=…)`, a server-side cursor on
PostgreSQL), each mapped and validated by its ResourceType, and written line by line to a
temporary file on disk that goes to the default file storage when it holds
KAPCARE_FHIR_EXPORT_LINES_PER_FILE lines. Memory therefore holds one chunk of rows and one
resource at a time, however many patients the clinic has.

After each chunk the job's progress is saved with a conditional UPDATE; when it matches no
row the job was cancelled (or purged) meanwhile, and the run stops and deletes what it wrote.
A row whose resource does not validate does not stop the export: it becomes an
OperationOutcome line in the manifest's `error` file, as the Bulk Data IG asks.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import tempfile
from typing import IO

from django.conf import settings
from django.core.files import File
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone
from fhir.resources.R4B import get_fhir_model_class
from pydantic import ValidationError as ModelInvalid

from kapcare.accounts.api_tokens import ApiAccess, TokenRejected, token_access
from kapcare.audit.models import AuditAction
from kapcare.audit.services import record_event
from kapcare.fhir import registry
from kapcare.fhir.errors import issue, operation_outcome
from kapcare.fhir.models import ExportJob, ExportLevel, ExportStatus
from kapcare.fhir.resources.group import caseload

logger = logging.getLogger(__name__)

CHUNK = 500
# The EXPORT audit event lists the clients whose data went out when they are few; a
# clinic-wide export states its scope and counts instead of thousands of ids.
AUDIT_CLIENT_IDS = 100
FAILED = "The export failed on the server; the clinic's administrator can find why in its log."


def keep_for() -> dt.timedelta:
    return dt.timedelta(hours=settings.KAPCARE_FHIR_EXPORT_HOURS)


def _plain_json(value: object) -> bool:
    """True when `value` is already FHIR JSON as written: strings, numbers and booleans in
    non-empty objects and arrays, no nulls (FHIR JSON has no null and no empty array)."""
    if isinstance(value, dict):
        return bool(value) and all(isinstance(k, str) and _plain_json(v) for k, v in value.items())
    if isinstance(value, list):
        return bool(value) and all(_plain_json(v) for v in value)
    return value != "" if isinstance(value, str) else isinstance(value, int | float)


def resource_line(rtype: registry.ResourceType, row: object) -> dict:
    """The row's resource for an NDJSON line, validated with fhir.resources like every
    resource kapcare serves (ResourceType.resource). When the mapping already produced plain
    FHIR JSON it is written as it is: re-serialising the validated model would double the
    cost of a large export for the same content."""
    data = rtype.to_fhir(row)
    checked = get_fhir_model_class(data["resourceType"]).model_validate(data)
    if _plain_json(data):
        return data
    return checked.model_dump(mode="json", exclude_none=True)


class Cancelled(Exception):
    """The job was cancelled or purged while it ran."""


def remove_files(job: ExportJob) -> None:
    """Delete every file in the job's folder (also any a cancelled run wrote after the
    cancel)."""
    try:
        _folders, files = default_storage.listdir(job.folder)
    except FileNotFoundError:
        return
    for name in files:
        default_storage.delete(f"{job.folder}/{name}")
    try:
        default_storage.delete(job.folder)  # the emptied folder, on a disk storage
    except OSError:  # pragma: no cover - a storage that keeps folders its own way
        logger.info("Export folder %s left in place", job.folder)


class NdjsonFiles:
    """One resource type's files: `<Type>.<n>.ndjson`, a new one every `per_file` lines."""

    def __init__(self, job: ExportJob, type_name: str, per_file: int):
        self.job, self.type_name, self.per_file = job, type_name, per_file
        self.files: list[dict] = []
        self.lines = 0
        self.total = 0
        self._open: IO[bytes] | None = None

    def write(self, resource: dict) -> None:
        if self._open is None:
            self._open = tempfile.TemporaryFile()  # noqa: SIM115  (closed in _save)
        line = json.dumps(resource, ensure_ascii=False, separators=(",", ":"))
        self._open.write(line.encode() + b"\n")
        self.lines += 1
        self.total += 1
        if self.lines >= self.per_file:
            self._save()

    def close(self) -> list[dict]:
        self._save()
        return self.files

    def _save(self) -> None:
        if self._open is None:
            return
        name = f"{self.type_name}.{len(self.files) + 1}.ndjson"
        self._open.seek(0)
        path = default_storage.save(f"{self.job.folder}/{name}", File(self._open, name=name))
        self._open.close()
        self.files.append({"type": self.type_name, "name": name, "path": path, "count": self.lines})
        self._open, self.lines = None, 0


class ClientTally:
    """The distinct clients exported, kept only while they are few (AUDIT_CLIENT_IDS)."""

    def __init__(self) -> None:
        self.ids: set[int] | None = set()

    def add(self, client_id: int | None) -> None:
        if self.ids is not None and client_id is not None:
            self.ids.add(client_id)
            if len(self.ids) > AUDIT_CLIENT_IDS:
                self.ids = None


def _still_running(job: ExportJob, progress: str) -> None:
    updated = ExportJob.objects.filter(pk=job.pk, status=ExportStatus.RUNNING).update(
        progress=progress[:200]
    )
    if not updated:
        raise Cancelled


def _ident(row) -> object:
    """A row's id for the error file (a multi-table type's row wraps its table's row)."""
    return getattr(row, "pk", None) or getattr(getattr(row, "row", None), "pk", "?")


def _export_type(
    job: ExportJob, access: ApiAccess, name: str, errors: NdjsonFiles, tally: ClientTally
) -> list[dict]:
    rtype = registry.get(name)
    clients = caseload(job.clinic_id, job.group_id) if job.level == ExportLevel.GROUP else None
    rows = rtype.export_rows(access, since=job.since, until=job.transaction_time, clients=clients)
    files = NdjsonFiles(job, name, settings.KAPCARE_FHIR_EXPORT_LINES_PER_FILE)
    for seen, row in enumerate(rows.iterator(chunk_size=CHUNK), start=1):
        try:
            files.write(resource_line(rtype, row))
            tally.add(rtype.client_id(row))
        except ModelInvalid as error:
            logger.warning(
                "Export %s: %s/%s does not validate: %s", job.pk, name, _ident(row), error
            )
            errors.write(
                operation_outcome(
                    [
                        issue(
                            "processing",
                            f"{name}/{_ident(row)} could not be exported: it is invalid.",
                        )
                    ]
                )
            )
        if seen % CHUNK == 0:
            _still_running(job, f"{name}: {seen} rows written")
    return files.close()


def run_export(job_id: str) -> str:
    """Run a queued job once (a second run of the same job does nothing); returns its status."""
    now = timezone.now()
    claimed = ExportJob.objects.filter(pk=job_id, status=ExportStatus.QUEUED).update(
        status=ExportStatus.RUNNING, started_at=now, transaction_time=now, progress="starting"
    )
    job = ExportJob.objects.select_related("token__user", "token__clinic").filter(pk=job_id).first()
    if job is None or not claimed:
        return job.status if job else "missing"
    try:
        access = token_access(job.token, touch=False, request_id=f"fhir-export-{job.pk}")
    except TokenRejected as error:
        return _fail(job, str(error))
    errors = NdjsonFiles(job, "OperationOutcome", settings.KAPCARE_FHIR_EXPORT_LINES_PER_FILE)
    tally = ClientTally()
    output: list[dict] = []
    try:
        for name in job.resource_types:
            output.extend(_export_type(job, access, name, errors, tally))
            _still_running(job, f"{name}: done")
        error_files = errors.close()
    except Cancelled:
        remove_files(job)
        return ExportStatus.CANCELLED
    except Exception:
        logger.exception("FHIR export %s failed", job.pk)
        remove_files(job)
        return _fail(job, FAILED)
    return _complete(job, access, output, error_files, tally)


def _fail(job: ExportJob, reason: str) -> str:
    ExportJob.objects.filter(pk=job.pk, status=ExportStatus.RUNNING).update(
        status=ExportStatus.FAILED, error=reason, finished_at=timezone.now()
    )
    return ExportStatus.FAILED


def _complete(
    job: ExportJob, access: ApiAccess, output: list[dict], errors: list[dict], tally: ClientTally
) -> str:
    with transaction.atomic():
        return _complete_in_transaction(job, access, output, errors, tally)


def _complete_in_transaction(
    job: ExportJob, access: ApiAccess, output: list[dict], errors: list[dict], tally: ClientTally
) -> str:
    finished = timezone.now()
    done = ExportJob.objects.filter(pk=job.pk, status=ExportStatus.RUNNING).update(
        status=ExportStatus.COMPLETE,
        output=output,
        errors=errors,
        finished_at=finished,
        expires_at=finished + keep_for(),
        progress="complete",
    )
    if not done:  # cancelled between the last chunk and now
        remove_files(job)
        return ExportStatus.CANCELLED
    counts: dict[str, int] = {}
    for entry in output:
        counts[entry["type"]] = counts.get(entry["type"], 0) + entry["count"]
    details = {
        "job": str(job.pk),
        "level": job.level,
        "group": job.group_id,
        "types": job.resource_types,
        "since": job.since.isoformat() if job.since else None,
        "counts": counts,
        "errors": sum(e["count"] for e in errors),
        "files": len(output),
    }
    if tally.ids is not None:
        details["client_ids"] = sorted(tally.ids)
    else:
        details["client_ids_omitted"] = f"more than {AUDIT_CLIENT_IDS} clients"
    record_event(
        actor=access.actor,
        action=AuditAction.EXPORT,
        object_type="fhir.export",
        object_id=str(job.pk),
        summary=f"FHIR Bulk Data export ({job.level}): {sum(counts.values())} resources",
        details=details,
    )
    return ExportStatus.COMPLETE
