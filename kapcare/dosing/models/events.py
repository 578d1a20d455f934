"""Adverse events and who was told, the discharge, and the esketamine REMS monitoring record."""

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class AdverseEventKind(models.TextChoices):
    HYPERTENSION = "hypertension", _("Hypertension")
    NAUSEA = "nausea", _("Nausea or vomiting")
    ANXIETY = "anxiety", _("Anxiety or agitation")
    EMERGENCE = "emergence", _("Emergence reaction")
    RESPIRATORY = "respiratory", _("Respiratory depression")
    OTHER = "other", _("Other")


class Severity(models.TextChoices):
    MILD = "mild", _("Mild")
    MODERATE = "moderate", _("Moderate")
    SEVERE = "severe", _("Severe")
    LIFE_THREATENING = "life_threatening", _("Life-threatening")


# Severe and life-threatening events are serious: the prescriber is told at once.
# A tuple, not a set: the check constraint below is built from it and its order must be stable
# or makemigrations sees a new constraint on every run.
SERIOUS = (Severity.SEVERE, Severity.LIFE_THREATENING)


class Outcome(models.TextChoices):
    RESOLVED = "resolved", _("Resolved")
    IMPROVING = "improving", _("Improving")
    ONGOING = "ongoing", _("Ongoing")
    TRANSFERRED = "transferred", _("Transferred to emergency care")


class AdverseEvent(models.Model):
    clinic = models.ForeignKey("accounts.Clinic", on_delete=models.PROTECT, related_name="+")
    session = models.ForeignKey(
        "dosing.DosingSession", on_delete=models.PROTECT, related_name="adverse_events"
    )
    occurred_at = models.DateTimeField(_("time"))
    kind = models.CharField(_("type"), max_length=16, choices=AdverseEventKind.choices)
    severity = models.CharField(_("severity"), max_length=16, choices=Severity.choices)
    description = models.TextField(_("what happened"))
    action_taken = models.TextField(_("action taken"))
    outcome = models.CharField(_("outcome"), max_length=12, choices=Outcome.choices)
    serious = models.BooleanField(default=False)
    recorded_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["occurred_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(serious=True, severity__in=list(SERIOUS))
                | (models.Q(serious=False) & ~models.Q(severity__in=list(SERIOUS))),
                name="adverse_event_serious_matches_severity",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.get_severity_display()})"


class DosingNotification(models.Model):
    """An on-screen notice to one person (a serious adverse event for the prescriber)."""

    clinic = models.ForeignKey("accounts.Clinic", on_delete=models.PROTECT, related_name="+")
    recipient = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, related_name="dosing_notifications"
    )
    session = models.ForeignKey(
        "dosing.DosingSession", on_delete=models.PROTECT, related_name="notifications"
    )
    adverse_event = models.ForeignKey(
        AdverseEvent, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    message = models.CharField(max_length=300)
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["recipient", "read_at"], name="dosing_notice_unread"),
        ]

    def __str__(self) -> str:
        return self.message


class Discharge(models.Model):
    """The discharge checklist (FACTS.md §4.5) as it stood when the client left, with the
    observation time and the after-care given."""

    clinic = models.ForeignKey("accounts.Clinic", on_delete=models.PROTECT, related_name="+")
    session = models.OneToOneField(
        "dosing.DosingSession", on_delete=models.PROTECT, related_name="discharge"
    )
    discharged_at = models.DateTimeField()
    discharged_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    vitals_near_baseline = models.BooleanField(_("vital signs back near pre-dose"))
    alert_and_oriented = models.BooleanField(_("alert and oriented"))
    walking_steadily = models.BooleanField(_("walking steadily"))
    no_ongoing_nausea = models.BooleanField(_("no ongoing nausea"))
    escort_present = models.BooleanField(_("escort present"))
    observed_minutes = models.PositiveIntegerField()
    min_observation_minutes = models.PositiveIntegerField()
    summary = models.TextField(_("discharge summary"))
    aftercare_instructions = models.TextField(_("after-care instructions"))

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(
                    vitals_near_baseline=True,
                    alert_and_oriented=True,
                    walking_steadily=True,
                    no_ongoing_nausea=True,
                    escort_present=True,
                )
                & models.Q(observed_minutes__gte=models.F("min_observation_minutes")),
                name="discharge_only_when_criteria_met",
            )
        ]

    def __str__(self) -> str:
        return f"Discharge {self.discharged_at:%Y-%m-%d %H:%M}"


class RemsRecord(models.Model):
    """What the Spravato REMS patient monitoring form asks about, in our words: the clinic
    submits through the REMS programme itself (FACTS.md §1.7: link, don't copy their form).
    Vital signs before and after come from the session's readings."""

    clinic = models.ForeignKey("accounts.Clinic", on_delete=models.PROTECT, related_name="+")
    session = models.OneToOneField(
        "dosing.DosingSession", on_delete=models.PROTECT, related_name="rems_record"
    )
    rems_patient_id = models.CharField(_("REMS patient enrolment ID"), max_length=40, blank=True)
    sedation_observed = models.BooleanField(_("sedation observed"))
    sedation_resolved_at = models.DateTimeField(_("sedation resolved at"), null=True, blank=True)
    dissociation_observed = models.BooleanField(_("dissociation observed"))
    dissociation_resolved_at = models.DateTimeField(
        _("dissociation resolved at"), null=True, blank=True
    )
    ready_to_leave_at = models.DateTimeField(_("time the patient was ready to leave"))
    notes = models.TextField(_("notes"), blank=True)
    recorded_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(sedation_observed=True) | models.Q(sedation_resolved_at=None),
                name="rems_sedation_resolution_needs_sedation",
            ),
            models.CheckConstraint(
                condition=models.Q(dissociation_observed=True)
                | models.Q(dissociation_resolved_at=None),
                name="rems_dissociation_resolution_needs_dissociation",
            ),
        ]

    def __str__(self) -> str:
        return f"REMS record for session {self.session_id}"
