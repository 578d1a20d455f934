"""Before the dose: the pre-dose checklist (FACTS.md §4.3)."""

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class PregnancyTest(models.TextChoices):
    NOT_APPLICABLE = "not_applicable", _("Not applicable")
    NEGATIVE = "negative", _("Negative")
    POSITIVE = "positive", _("Positive")
    NOT_DONE = "not_done", _("Not done")


class PreDoseCheck(models.Model):
    """One pass through the checklist (FACTS.md §4.3). A session may have several (a re-measured
    blood pressure is a new check); the latest decides. `problems` keeps what the rules found
    under the session's protocol version, so the decision can be explained later."""

    clinic = models.ForeignKey("accounts.Clinic", on_delete=models.PROTECT, related_name="+")
    session = models.ForeignKey(
        "dosing.DosingSession", on_delete=models.PROTECT, related_name="pre_dose_checks"
    )
    recorded_at = models.DateTimeField(_("time of the checks"))
    recorded_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    identity_confirmed = models.BooleanField(_("identity confirmed (name and date of birth)"))
    fasting_hours = models.DecimalField(
        _("hours since last food"),
        max_digits=4,
        decimal_places=1,
        validators=[MinValueValidator(0), MaxValueValidator(72)],
    )
    weight_kg = models.DecimalField(
        _("weight (kg)"),
        max_digits=5,
        decimal_places=1,
        validators=[MinValueValidator(25), MaxValueValidator(350)],
    )
    systolic = models.PositiveSmallIntegerField(
        _("blood pressure, systolic"), validators=[MinValueValidator(50), MaxValueValidator(300)]
    )
    diastolic = models.PositiveSmallIntegerField(
        _("blood pressure, diastolic"), validators=[MinValueValidator(20), MaxValueValidator(200)]
    )
    heart_rate = models.PositiveSmallIntegerField(
        _("heart rate"), validators=[MinValueValidator(20), MaxValueValidator(250)]
    )
    spo2 = models.PositiveSmallIntegerField(
        _("SpO2 (%)"), validators=[MinValueValidator(50), MaxValueValidator(100)]
    )
    pregnancy_test = models.CharField(
        _("pregnancy test"), max_length=16, choices=PregnancyTest.choices
    )
    medication_changes = models.TextField(_("medication changes since last session"), blank=True)
    substance_use = models.TextField(_("substance use since last session"), blank=True)
    substance_use_last_24h = models.BooleanField(_("alcohol or drugs in the last 24 hours"))
    intentions = models.TextField(_("intentions for this session"))
    escort_confirmed = models.BooleanField(_("escort present or on the way"))
    ride_home_confirmed = models.BooleanField(_("ride home confirmed (client will not drive)"))
    phq9_done = models.BooleanField(_("pre-session PHQ-9 done"))
    gad7_done = models.BooleanField(_("pre-session GAD-7 done"))
    phq9_item9 = models.PositiveSmallIntegerField(
        _("PHQ-9 item 9 (thoughts of self-harm), 0–3"),
        null=True,
        blank=True,
        validators=[MaxValueValidator(3)],
    )
    problems = models.JSONField(default=list, blank=True)
    cleared_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    cleared_at = models.DateTimeField(null=True, blank=True)
    clearance_reason = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["recorded_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(cleared_at__isnull=True)
                | (models.Q(cleared_by__isnull=False) & ~models.Q(clearance_reason="")),
                name="predose_clearance_complete",
            ),
            models.CheckConstraint(
                condition=models.Q(spo2__lte=100) & models.Q(systolic__gt=models.F("diastolic")),
                name="predose_vitals_plausible",
            ),
        ]

    def __str__(self) -> str:
        return f"Pre-dose check {self.recorded_at:%Y-%m-%d %H:%M}"
