"""Dosing sessions. This issue-4 slice holds what integration and the gates need: when a
session happened and how it ended. The dosing issue adds orders, checks, vitals and discharge."""

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class DosingStatus(models.TextChoices):
    SCHEDULED = "scheduled", _("Scheduled")
    CHECKED_IN = "checked_in", _("Checked in")
    PRE_DOSE_CHECKS = "pre_dose_checks", _("Pre-dose checks")
    DOSING = "dosing", _("Dosing")
    MONITORING = "monitoring", _("Monitoring")
    DISCHARGED = "discharged", _("Discharged")
    ABORTED = "aborted", _("Aborted")


class DosingSession(models.Model):
    clinic = models.ForeignKey("accounts.Clinic", on_delete=models.PROTECT, related_name="+")
    client = models.ForeignKey(
        "clients.Client", on_delete=models.PROTECT, related_name="dosing_sessions"
    )
    course = models.ForeignKey(
        "courses.TreatmentCourse", on_delete=models.PROTECT, related_name="dosing_sessions"
    )
    number = models.PositiveSmallIntegerField(_("session number in the course"))
    scheduled_for = models.DateTimeField()
    status = models.CharField(
        max_length=20, choices=DosingStatus.choices, default=DosingStatus.SCHEDULED
    )
    dose_started_at = models.DateTimeField(null=True, blank=True)
    discharged_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-scheduled_for", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["course", "number"], name="dosing_number_unique"),
        ]
        indexes = [models.Index(fields=["clinic", "status"], name="dosing_clinic_status")]

    def __str__(self) -> str:
        return f"Dosing session {self.number}"
