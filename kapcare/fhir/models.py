"""Bulk Data export jobs (FHIR Bulk Data Access 2.0 "$export"): one row per kick-off request.

A job is asked for with a token, runs as a background task (kapcare.fhir.tasks), writes one or
more NDJSON files per resource type to the default file storage, and expires: its files and the
row are deleted by `manage.py purge_fhir_exports`. The row holds the request's parameters and
file names, never health information; the files hold that.
"""

from __future__ import annotations

import uuid

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class ExportLevel(models.TextChoices):
    SYSTEM = "system", _("Everything (/$export)")
    PATIENT = "patient", _("All patients (/Patient/$export)")
    GROUP = "group", _("A clinician's caseload (/Group/{id}/$export)")


class ExportStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    COMPLETE = "complete", _("Complete")
    FAILED = "failed", _("Failed")
    CANCELLED = "cancelled", _("Cancelled")


class ExportJob(models.Model):
    # A random id: the status and file URLs carry it, so it must not be guessable or counted.
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    clinic = models.ForeignKey("accounts.Clinic", on_delete=models.CASCADE, related_name="+")
    token = models.ForeignKey("accounts.ApiToken", on_delete=models.CASCADE, related_name="+")
    requested_by = models.ForeignKey("accounts.User", on_delete=models.CASCADE, related_name="+")
    level = models.CharField(max_length=10, choices=ExportLevel.choices)
    # Group/{id} is a clinician's caseload: the id is the clinician's user id.
    group = models.ForeignKey(
        "accounts.User", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    resource_types = models.JSONField(default=list)
    since = models.DateTimeField(null=True, blank=True)
    # The kick-off URL as the client sent it (the manifest's `request`) and the FHIR base the
    # file URLs are made from: the task that writes the manifest has no request at hand.
    request_url = models.TextField()
    base_url = models.CharField(max_length=500)
    status = models.CharField(
        max_length=10, choices=ExportStatus.choices, default=ExportStatus.QUEUED
    )
    progress = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    started_at = models.DateTimeField(null=True, blank=True)
    # When the rows were read: the manifest's transactionTime; rows changed later are left
    # for the next export with `_since` = this time.
    transaction_time = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField()
    error = models.TextField(blank=True)
    # [{"type", "name", "path", "count"}]: the manifest's output (and error) files, where
    # `name` is the file's name in its URL and `path` its name in the storage.
    output = models.JSONField(default=list, blank=True)
    errors = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["expires_at"], name="fhir_export_expiry"),
            models.Index(fields=["token", "status"], name="fhir_export_token_status"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=ExportStatus.values), name="fhir_export_status_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(level__in=ExportLevel.values), name="fhir_export_level_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(level="group", group__isnull=False)
                | (~models.Q(level="group") & models.Q(group__isnull=True)),
                name="fhir_export_group_level",
            ),
        ]

    def __str__(self) -> str:
        return f"FHIR export {self.pk} ({self.get_status_display()})"

    @property
    def folder(self) -> str:
        return f"fhir-exports/{self.pk}"
