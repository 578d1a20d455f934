"""What the clinic needs to know before screening: history, medications, baseline vitals."""

from decimal import Decimal

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class PregnancyStatus(models.TextChoices):
    NOT_APPLICABLE = "not_applicable", _("Not applicable")
    NOT_PREGNANT = "not_pregnant", _("Not pregnant, not planning")
    PREGNANT = "pregnant", _("Pregnant")
    PLANNING = "planning", _("Planning a pregnancy")
    BREASTFEEDING = "breastfeeding", _("Breastfeeding")
    UNKNOWN = "unknown", _("Not known")


class SuicideRisk(models.TextChoices):
    NONE = "none", _("No current risk identified")
    LOW = "low", _("Low")
    MODERATE = "moderate", _("Moderate")
    HIGH = "high", _("High (needs a higher level of care first)")


class Intake(models.Model):
    """One intake per client; completing it again replaces the answers (the audit log keeps who
    changed what). Conditions are keys from kapcare.clients.intake_catalogue.CONDITIONS.

    The baseline vitals are optional: a client filling the form at home has no cuff or scale, and
    the clinic measures them in person. Screening rules that need a missing value say so ("not
    measured yet") instead of passing; blood pressure is both readings or neither."""

    clinic = models.ForeignKey("accounts.Clinic", on_delete=models.PROTECT, related_name="+")
    client = models.OneToOneField("clients.Client", on_delete=models.CASCADE, related_name="intake")
    conditions = models.JSONField(_("medical and psychiatric history"), default=list, blank=True)
    medical_history_notes = models.TextField(_("other medical history"), blank=True)
    psychiatric_history_notes = models.TextField(_("other psychiatric history"), blank=True)
    current_medications = models.TextField(
        _("current medications"), blank=True, help_text=_("One per line, with dose.")
    )
    allergies = models.TextField(_("allergies"), blank=True)
    substance_use = models.TextField(_("substance use (alcohol, cannabis, other)"), blank=True)
    pregnancy_status = models.CharField(
        _("pregnancy"), max_length=20, choices=PregnancyStatus.choices
    )
    suicide_risk = models.CharField(
        _("current suicide risk (clinician's assessment)"),
        max_length=10,
        choices=SuicideRisk.choices,
        blank=True,
    )
    baseline_systolic = models.PositiveSmallIntegerField(
        _("blood pressure, systolic (mmHg)"),
        validators=[MinValueValidator(60), MaxValueValidator(260)],
        null=True,
        blank=True,
    )
    baseline_diastolic = models.PositiveSmallIntegerField(
        _("blood pressure, diastolic (mmHg)"),
        validators=[MinValueValidator(30), MaxValueValidator(160)],
        null=True,
        blank=True,
    )
    baseline_heart_rate = models.PositiveSmallIntegerField(
        _("heart rate (beats/min)"),
        validators=[MinValueValidator(25), MaxValueValidator(220)],
        null=True,
        blank=True,
    )
    weight_kg = models.DecimalField(
        _("weight (kg)"),
        max_digits=5,
        decimal_places=1,
        validators=[MinValueValidator(Decimal("25")), MaxValueValidator(Decimal("350"))],
        null=True,
        blank=True,
    )
    completed_at = models.DateTimeField(default=timezone.now)
    completed_by_client = models.BooleanField(default=False)
    completed_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(baseline_systolic__isnull=True, baseline_diastolic__isnull=True)
                | models.Q(baseline_systolic__gt=models.F("baseline_diastolic")),
                name="intake_systolic_above_diastolic",
            ),
        ]

    def __str__(self) -> str:
        return f"Intake for client {self.client_id}"

    @property
    def medication_list(self) -> list[str]:
        return [line.strip() for line in self.current_medications.splitlines() if line.strip()]
