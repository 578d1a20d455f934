"""Bulk Data export jobs: starting, finding, cancelling and purging them (FHIR Bulk Data 2.0).

Who may export: a clinic admin's `system/` token (clinic-wide read, INTEGRATION_READ), or a
token held by a clinic admin. Either way the rows exported are the ones the token's actor may
see through each type's `visible` (the UI's rules), and every type needs the token's read scope.
The writing itself is kapcare.fhir.export_run, run by a background task.
"""

from __future__ import annotations

import datetime as dt
import uuid

from django.db import transaction
from django.utils import timezone

from kapcare.accounts.api_tokens import ApiAccess
from kapcare.accounts.models import Role
from kapcare.accounts.scopes import INTEGRATION_READ
from kapcare.audit.models import AuditAction
from kapcare.audit.services import record_event
from kapcare.fhir import registry
from kapcare.fhir.auth import require
from kapcare.fhir.capability import OPERATIONS
from kapcare.fhir.errors import FhirError
from kapcare.fhir.export_run import keep_for, remove_files
from kapcare.fhir.models import ExportJob, ExportLevel, ExportStatus
from kapcare.fhir.tasks import run_export_task

BULK_DATA = "http://hl7.org/fhir/uv/bulkdata/OperationDefinition"
OPERATIONS.extend(
    [
        {
            "name": "export",
            "definition": f"{BULK_DATA}/export",
            "documentation": (
                "GET [base]/$export with Prefer: respond-async; _type, _since, _outputFormat "
                "(application/fhir+ndjson). A system/ token or a clinic admin's token. _since "
                "compares when a record last changed, or, for records never edited (a "
                "correction is a new record), when it was created. Files expire after a day."
            ),
        },
        {
            "name": "patient-export",
            "definition": f"{BULK_DATA}/patient-export",
            "documentation": "GET [base]/Patient/$export: every visible patient's data.",
        },
        {
            "name": "group-export",
            "definition": f"{BULK_DATA}/group-export",
            "documentation": (
                "GET [base]/Group/{id}/$export: one clinician's caseload (id = their user id)."
            ),
        },
    ]
)

# A token may have this many exports queued or running at once; more is 429 (the Bulk Data
# IG's answer to a client that asks faster than the server exports).
MAX_ACTIVE_PER_TOKEN = 2
ACTIVE = (ExportStatus.QUEUED, ExportStatus.RUNNING)


def may_export(access: ApiAccess) -> bool:
    return access.scopes.is_system or access.actor.has_role(Role.CLINIC_ADMIN)


def exportable_types(access: ApiAccess, level: str, names: list[str] | None) -> list[str]:
    """The resource types to export: those asked for (`_type`), each registered, readable
    with the token's scopes and, below system level, about patients; or, when none are
    asked for, every such type the token may read."""
    if names is None:
        chosen = [
            t
            for t in registry.all_types()
            if access.allows(t.name, "r")
            and (level == ExportLevel.SYSTEM or t.patient_path(access))
        ]
        if not chosen:
            raise FhirError(403, f"The token's scopes ({access.scopes}) allow reading no type.")
        return [t.name for t in chosen]
    known = {t.name for t in registry.all_types()}
    for name in names:
        if name not in known:
            raise FhirError(
                400,
                f"_type={name}: this server has no resource type {name} "
                f"(it exports {', '.join(sorted(known))}).",
                code="not-supported",
                expression="_type",
            )
        rtype = registry.get(name)
        require(access, name, "r")
        if level != ExportLevel.SYSTEM and not rtype.patient_path(access):
            raise FhirError(
                400,
                f"_type={name}: {name} is not about one patient; export it at system level "
                "(/$export).",
                expression="_type",
            )
    return names


@transaction.atomic
def start_export(
    *,
    access: ApiAccess,
    level: str,
    types: list[str] | None,
    since: dt.datetime | None,
    request_url: str,
    base_url: str,
    group_id: str | None = None,
) -> ExportJob:
    """Queue an export for `access`'s token; the task starts after commit. Nothing is read
    yet, so nothing is audited here: the job's EXPORT event is written when its files are."""
    if not may_export(access):
        raise FhirError(
            403,
            "Bulk Data export needs a system/ token (e.g. system/*.rs) or a clinic admin's token.",
        )
    group = None
    if level == ExportLevel.GROUP:
        group = registry.get("Group").read(access, group_id or "")
    names = exportable_types(access, level, types)
    active = ExportJob.objects.filter(token=access.token, status__in=ACTIVE).count()
    if active >= MAX_ACTIVE_PER_TOKEN:
        raise FhirError(
            429,
            f"This token already has {active} exports under way; wait for one to finish.",
            headers={"Retry-After": "60"},
        )
    now = timezone.now()
    job = ExportJob.objects.create(
        clinic=access.actor.clinic,
        token=access.token,
        requested_by=access.token.user,
        level=level,
        group=group,
        resource_types=names,
        since=since,
        request_url=request_url[:4000],
        base_url=base_url,
        created_at=now,
        # A job nobody runs still goes: purge deletes it with the finished ones.
        expires_at=now + keep_for(),
    )
    job_id = str(job.pk)
    transaction.on_commit(lambda: run_export_task.enqueue(job_id))
    return job


def job_for(access: ApiAccess, job_id: str) -> ExportJob:
    """The job, if `access` may follow it: the token that asked, or a clinic admin's
    system/ token at the same clinic (who could run the same export). Otherwise 404, with
    no hint whether the job exists."""
    try:
        key = uuid.UUID(job_id)
    except ValueError:
        key = None
    job = (
        ExportJob.objects.filter(pk=key, clinic=access.actor.clinic)
        .exclude(status=ExportStatus.CANCELLED)
        .filter(expires_at__gt=timezone.now())
        .first()
        if key
        else None
    )
    if job is None or not (
        job.token_id == access.token.pk or access.actor.has_role(INTEGRATION_READ)
    ):
        raise FhirError(404, f"There is no export {job_id} for this token.")
    return job


def cancel_export(*, access: ApiAccess, job: ExportJob) -> None:
    """DELETE on the status URL: the job stops (a running task sees it at its next chunk)
    and its files are deleted now; the row goes with the next purge. Files are not
    transactional, so the status is committed first: a failure between the two leaves
    files that purge deletes, never a complete job without its files."""
    with transaction.atomic():
        ExportJob.objects.filter(pk=job.pk).update(
            status=ExportStatus.CANCELLED, finished_at=timezone.now(), output=[], errors=[]
        )
        record_event(
            actor=access.actor,
            action=AuditAction.DELETE,
            object_type="fhir.export",
            object_id=str(job.pk),
            summary="Cancelled a FHIR Bulk Data export and deleted its files",
        )
    remove_files(job)


def purge_expired(*, now: dt.datetime | None = None) -> int:
    """Delete expired and cancelled jobs with their files; returns how many went."""
    now = now or timezone.now()
    gone = 0
    stale = ExportJob.objects.filter(expires_at__lte=now) | ExportJob.objects.filter(
        status=ExportStatus.CANCELLED
    )
    for job in stale.order_by("created_at").iterator(chunk_size=200):
        remove_files(job)
        job.delete()
        gone += 1
    return gone
