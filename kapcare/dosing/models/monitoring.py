"""During and after the dose: vital signs, the alerts they raise, dissociation ratings and the
therapist's session note."""

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class VitalSign(models.Model):
    """Append-only: one set of readings. Each nurse's entry is its own row, so two people
    recording at once never overwrite each other."""

    clinic = models.ForeignKey("accounts.Clinic", on_delete=models.PROTECT, related_name="+")
    session = models.ForeignKey(
        "dosing.DosingSession", on_delete=models.PROTECT, related_name="vitals"
    )
    recorded_at = models.DateTimeField(_("time"))
    recorded_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    systolic = models.PositiveSmallIntegerField(
        _("systolic"),
        null=True,
        blank=True,
        validators=[MinValueValidator(50), MaxValueValidator(300)],
    )
    diastolic = models.PositiveSmallIntegerField(
        _("diastolic"),
        null=True,
        blank=True,
        validators=[MinValueValidator(20), MaxValueValidator(200)],
    )
    heart_rate = models.PositiveSmallIntegerField(
        _("heart rate"),
        null=True,
        blank=True,
        validators=[MinValueValidator(20), MaxValueValidator(250)],
    )
    spo2 = models.PositiveSmallIntegerField(
        _("SpO2 (%)"),
        null=True,
        blank=True,
        validators=[MinValueValidator(50), MaxValueValidator(100)],
    )
    respiratory_rate = models.PositiveSmallIntegerField(
        _("breaths/min"),
        null=True,
        blank=True,
        validators=[MinValueValidator(2), MaxValueValidator(60)],
    )
    sedation = models.PositiveSmallIntegerField(
        _("sedation (MOAA/S 0–5)"), null=True, blank=True, validators=[MaxValueValidator(5)]
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["recorded_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(systolic__isnull=True, diastolic__isnull=True)
                | models.Q(systolic__gt=models.F("diastolic")),
                name="vitals_bp_pair",
            ),
            models.CheckConstraint(
                condition=models.Q(spo2__isnull=True) | models.Q(spo2__lte=100),
                name="vitals_spo2_at_most_100",
            ),
            models.CheckConstraint(
                condition=models.Q(sedation__isnull=True) | models.Q(sedation__lte=5),
                name="vitals_sedation_scale",
            ),
            models.CheckConstraint(
                condition=~models.Q(
                    systolic__isnull=True,
                    heart_rate__isnull=True,
                    spo2__isnull=True,
                    respiratory_rate__isnull=True,
                    sedation__isnull=True,
                ),
                name="vitals_not_empty",
            ),
        ]
        indexes = [models.Index(fields=["session", "recorded_at"], name="vitals_session_time")]

    def __str__(self) -> str:
        return f"Vitals {self.recorded_at:%H:%M}"

    @property
    def has_bp(self) -> bool:
        return self.systolic is not None

    @property
    def entered_late_at(self):
        """When a reading was charted well after it was taken (back-dated), the entry time:
        the record shows both; alerts carry the reading's time."""
        late = self.created_at - self.recorded_at >= timezone.timedelta(minutes=5)
        return self.created_at if late else None


class AlertKind(models.TextChoices):
    SYSTOLIC = "systolic", _("High systolic blood pressure")
    DIASTOLIC = "diastolic", _("High diastolic blood pressure")
    SYSTOLIC_RISE = "systolic_rise", _("Systolic rise from pre-dose")
    DIASTOLIC_RISE = "diastolic_rise", _("Diastolic rise from pre-dose")
    HEART_RATE = "heart_rate", _("High heart rate")
    SPO2 = "spo2", _("Low oxygen saturation")
    SEDATION = "sedation", _("Excessive sedation")


class MonitoringAlert(models.Model):
    """Raised by a reading outside the protocol's thresholds; stays on screen until someone
    acknowledges it and says what they did."""

    clinic = models.ForeignKey("accounts.Clinic", on_delete=models.PROTECT, related_name="+")
    session = models.ForeignKey(
        "dosing.DosingSession", on_delete=models.PROTECT, related_name="alerts"
    )
    vital = models.ForeignKey(VitalSign, on_delete=models.PROTECT, related_name="alerts")
    kind = models.CharField(max_length=16, choices=AlertKind.choices)
    message = models.CharField(max_length=300)
    protocol_version = models.PositiveIntegerField()
    raised_at = models.DateTimeField(default=timezone.now)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    action_taken = models.TextField(blank=True)

    class Meta:
        ordering = ["raised_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(acknowledged_at__isnull=True)
                | (models.Q(acknowledged_by__isnull=False) & ~models.Q(action_taken="")),
                name="alert_ack_says_what_was_done",
            ),
            models.UniqueConstraint(fields=["vital", "kind"], name="alert_once_per_reading"),
        ]

    def __str__(self) -> str:
        return self.message

    @property
    def is_open(self) -> bool:
        return self.acknowledged_at is None


class DissociationRating(models.Model):
    """Append-only: a rating on the protocol's scale (FACTS.md §1.6)."""

    clinic = models.ForeignKey("accounts.Clinic", on_delete=models.PROTECT, related_name="+")
    session = models.ForeignKey(
        "dosing.DosingSession", on_delete=models.PROTECT, related_name="dissociation_ratings"
    )
    rated_at = models.DateTimeField(_("time"))
    rated_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    scale = models.CharField(max_length=20)
    score = models.PositiveSmallIntegerField(_("rating"))
    max_score = models.PositiveSmallIntegerField()
    note = models.TextField(_("observations"), blank=True)

    class Meta:
        ordering = ["rated_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(score__lte=models.F("max_score")),
                name="dissociation_within_scale",
            )
        ]

    def __str__(self) -> str:
        return f"Dissociation {self.score}/{self.max_score}"


class SessionNote(models.Model):
    """The therapist's note of the session, kept with it. `revision` guards against two people
    saving over each other: a save based on an older revision is refused, never merged."""

    clinic = models.ForeignKey("accounts.Clinic", on_delete=models.PROTECT, related_name="+")
    session = models.OneToOneField(
        "dosing.DosingSession", on_delete=models.PROTECT, related_name="therapist_note"
    )
    prompts_offered = models.TextField(_("prompts and support offered"), blank=True)
    client_reports = models.TextField(_("what the client reports"), blank=True)
    insights = models.TextField(_("insights and themes for integration"), blank=True)
    revision = models.PositiveIntegerField(default=1)
    updated_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    updated_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"Session note r{self.revision}"
