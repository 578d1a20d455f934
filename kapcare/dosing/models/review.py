"""A nurse's request, from the chair, for a prescriber's review of the pre-dose checks."""

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class ReviewStatus(models.TextChoices):
    WAITING = "waiting", _("Waiting for the prescriber")
    APPROVED = "approved", _("Approved to proceed")
    DECLINED = "declined", _("Declined")
    # A newer check replaced the one asked about, or the session ended first.
    SUPERSEDED = "superseded", _("No longer needed")


class ReviewRequest(models.Model):
    """The nurse asks the care team's prescriber(s) to review one pre-dose check while the
    client waits in the chair (FACTS.md §4.3: findings that need prescriber review). The
    prescriber's decision is signed with their typed name; approving clears the check."""

    clinic = models.ForeignKey("accounts.Clinic", on_delete=models.PROTECT, related_name="+")
    session = models.ForeignKey(
        "dosing.DosingSession", on_delete=models.PROTECT, related_name="review_requests"
    )
    pre_dose_check = models.ForeignKey(
        "dosing.PreDoseCheck", on_delete=models.PROTECT, related_name="review_requests"
    )
    requested_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField(default=timezone.now)
    note = models.TextField(_("note for the prescriber"), blank=True)
    status = models.CharField(
        max_length=12, choices=ReviewStatus.choices, default=ReviewStatus.WAITING
    )
    decided_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_reason = models.TextField(blank=True)
    signature_name = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["-requested_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["session"],
                condition=models.Q(status="waiting"),
                name="dosing_one_waiting_review_per_session",
            ),
            models.CheckConstraint(
                condition=~models.Q(status__in=["approved", "declined"])
                | (
                    models.Q(decided_by__isnull=False, decided_at__isnull=False)
                    & ~models.Q(decision_reason="")
                    & ~models.Q(signature_name="")
                ),
                name="dosing_review_decision_complete",
            ),
        ]
        indexes = [models.Index(fields=["clinic", "status"], name="dosing_review_clinic_status")]

    def __str__(self) -> str:
        return f"Review request {self.pk} ({self.status})"

    @property
    def is_waiting(self) -> bool:
        return self.status == ReviewStatus.WAITING
