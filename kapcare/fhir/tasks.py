"""Background work for Bulk Data (django-tasks): each kick-off enqueues one export run."""

from __future__ import annotations

from django_tasks import task

from kapcare.fhir.export_run import run_export


@task()
def run_export_task(job_id: str) -> str:
    """Write a queued export's files; a job run twice (a retried task) is written once."""
    return run_export(job_id)
