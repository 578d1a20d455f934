"""The dosing session at the chair and its status history.

kapcare.courses reads `discharged_at` and status "discharged" for the integration window; both
keep that meaning: the moment the client left after a completed session.
"""

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kapcare.core.models import StatusChange
from kapcare.dosing import states
from kapcare.dosing.models.status import DosingStatus


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
    # The protocol version in force when the client checked in: every check, alert and the
    # discharge of this session is judged under it.
    protocol = models.ForeignKey(
        "dosing.DosingProtocol", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    dose_order = models.ForeignKey(
        "dosing.DoseOrder",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="sessions",
    )
    checked_in_at = models.DateTimeField(null=True, blank=True)
    dose_started_at = models.DateTimeField(null=True, blank=True)
    dose_ended_at = models.DateTimeField(null=True, blank=True)
    discharged_at = models.DateTimeField(null=True, blank=True)
    aborted_at = models.DateTimeField(null=True, blank=True)
    abort_reason = models.TextField(blank=True)
    # Bumped by every write to the session or anything recorded in it (under the row lock), so
    # the live page can ask "anything new?" cheaply.
    revision = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-scheduled_for", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["course", "number"], name="dosing_number_unique"),
            # A client is in one chair at a time: at most one session of a course is under way.
            models.UniqueConstraint(
                fields=["course"],
                condition=models.Q(
                    status__in=["checked_in", "pre_dose_checks", "dosing", "monitoring"]
                ),
                name="dosing_one_live_session_per_course",
            ),
            models.CheckConstraint(
                condition=~models.Q(status="aborted") | ~models.Q(abort_reason=""),
                name="dosing_aborted_has_reason",
            ),
            # kapcare.courses times the integration window from discharged_at.
            models.CheckConstraint(
                condition=~models.Q(status="discharged") | models.Q(discharged_at__isnull=False),
                name="dosing_discharged_has_time",
            ),
        ]
        indexes = [
            models.Index(fields=["clinic", "status"], name="dosing_clinic_status"),
            # Today's board: a clinic's sessions in a time range, in time order.
            models.Index(fields=["clinic", "scheduled_for"], name="dosing_clinic_scheduled"),
        ]

    def __str__(self) -> str:
        return f"Dosing session {self.number}"

    @property
    def route(self) -> str:
        return self.dose_order.route if self.dose_order_id else ""

    @property
    def is_final(self) -> bool:
        return self.status in states.FINAL


class SessionStatusChange(StatusChange):
    """Append-only: every step of a session, who took it, when, and why (for an abort)."""

    session = models.ForeignKey(DosingSession, on_delete=models.PROTECT, related_name="history")
    from_status = models.CharField(max_length=20, choices=DosingStatus.choices, blank=True)
    to_status = models.CharField(max_length=20, choices=DosingStatus.choices)
