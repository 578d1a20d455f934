"""A clinic's outcome definitions: versioned settings, one row of parameters per instrument.

Published versions never change; a change is a new version, so every reported rate can be
explained by the definitions it used. Until a clinic publishes its own, the defaults in
kapcare.outcomes.defaults apply (FACTS.md §2).
"""

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from kapcare.core.versioning import VersionedSettings, unique_version


class BaselineRule(models.TextChoices):
    # FACTS.md §2.1: baseline = last score before the first dosing session; configurable.
    PRE_DOSE_1 = "pre_dose_1", _("Last score before the first dosing session")
    INTAKE = "intake", _("First score of the course (intake)")


class ResponseKind(models.TextChoices):
    PERCENT = "percent", _("Drop of at least this % of baseline")
    POINTS = "points", _("Drop of at least this many points")


class CutoffCriterion(models.TextChoices):
    # FACTS.md §2.2: Jacobson & Truax clinically-significant-change cut-offs.
    A = "a", _("a: out of the clinical range (clinical mean − 2 SD)")
    B = "b", _("b: into the normal range (normal mean + 2 SD)")
    C = "c", _("c: closer to the normal mean than the clinical mean")


class OutcomeSettings(VersionedSettings):
    baseline_rule = models.CharField(
        _("baseline"), max_length=12, choices=BaselineRule.choices, default=BaselineRule.PRE_DOSE_1
    )
    # FACTS.md §2.3: the anxiety measure paired with the PHQ-9 is GAD-7 unless the condition has
    # an anxiety-disorder-specific measure: {course condition: instrument code}.
    anxiety_measure_by_condition = models.JSONField(default=dict, blank=True)
    notes = models.TextField(_("what changed"), blank=True)

    settings_name = "outcome settings"

    class Meta(VersionedSettings.Meta):
        verbose_name_plural = "outcome settings"
        constraints = [
            unique_version("outcome_settings_version_unique"),
            models.CheckConstraint(
                condition=models.Q(baseline_rule__in=BaselineRule.values),
                name="outcome_baseline_rule_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"Outcome settings v{self.version}"

    def settings_state(self) -> dict[str, str]:
        """The version's own fields, then each instrument's parameters."""
        state = super().settings_state()
        if self.pk is None:  # the shipped defaults live in kapcare.outcomes.defaults
            return state
        for row in self.instruments.all():
            for field in row._meta.concrete_fields:
                if field.name in ("id", "settings", "instrument_code"):
                    continue
                value = getattr(row, field.attname)
                state[f"{row.instrument_code} {field.verbose_name}"] = (
                    "—" if value in (None, "") else str(value)
                )
        return state


def _score(label, **kwargs) -> models.DecimalField:
    return models.DecimalField(
        label, max_digits=6, decimal_places=2, null=True, blank=True, **kwargs
    )


class InstrumentOutcomeSettings(models.Model):
    """The outcome parameters for one instrument in one settings version. Empty values mean
    "not defined" (OCI-R has no consensus remission threshold, FACTS.md §2.1) and the outcome
    is reported as not available, never computed from a made-up number."""

    settings = models.ForeignKey(
        OutcomeSettings, on_delete=models.CASCADE, related_name="instruments"
    )
    instrument_code = models.SlugField(max_length=40)
    # FACTS.md §2.1
    response_kind = models.CharField(max_length=8, choices=ResponseKind.choices)
    response_threshold = models.DecimalField(
        _("response threshold"),
        max_digits=6,
        decimal_places=2,
        validators=[MinValueValidator(0)],
    )
    remission_below = _score(_("remission: score below"), validators=[MinValueValidator(0)])
    # FACTS.md §2.3
    nhs_caseness = _score(_("NHS TT caseness: score at or above"))
    nhs_reliable_change = _score(_("NHS TT reliable change (points)"))
    # FACTS.md §2.2: the normative study a clinic chose, stored with the values it gave.
    jt_sd_pre = _score(_("SD before treatment"), validators=[MinValueValidator(0)])
    jt_reliability = models.DecimalField(
        _("reliability r_xx"),
        max_digits=4,
        decimal_places=3,
        null=True,
        blank=True,
        validators=[MinValueValidator(0), MaxValueValidator(1)],
    )
    jt_clinical_mean = _score(_("clinical mean"))
    jt_clinical_sd = _score(_("clinical SD"), validators=[MinValueValidator(0)])
    jt_normal_mean = _score(_("normal-population mean"))
    jt_normal_sd = _score(_("normal-population SD"), validators=[MinValueValidator(0)])
    jt_criterion = models.CharField(
        _("cut-off criterion"), max_length=1, choices=CutoffCriterion.choices, default="c"
    )
    jt_source = models.CharField(_("normative study"), max_length=300, blank=True)

    class Meta:
        ordering = ["settings", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["settings", "instrument_code"], name="outcome_instrument_unique"
            ),
            models.CheckConstraint(
                condition=models.Q(response_kind__in=ResponseKind.values),
                name="outcome_response_kind_valid",
            ),
            models.CheckConstraint(
                condition=~models.Q(response_kind="percent")
                | models.Q(response_threshold__gt=0, response_threshold__lte=100),
                name="outcome_percent_in_range",
            ),
            models.CheckConstraint(
                condition=models.Q(jt_reliability__isnull=True)
                | models.Q(jt_reliability__gt=0, jt_reliability__lt=1),
                name="outcome_reliability_in_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.instrument_code} outcome settings"
