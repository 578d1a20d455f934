"""Contraindication screening: versioned per-clinic protocols, screenings, eligibility decisions."""

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kapcare.core.versioning import VersionedSettings, unique_version
from kapcare.screening.default_rules import DEFAULT_RULES


class RuleKind(models.TextChoices):
    ABSOLUTE = "absolute", _("Absolute — not eligible")
    RELATIVE = "relative", _("Relative — prescriber review")
    INFORMATIONAL = "informational", _("Informational — shown")


class ScreeningProtocol(VersionedSettings):
    """One version of a clinic's contraindication rules. Published versions never change; a
    change is a new version, so every past decision can be explained by the rules it used."""

    notes = models.TextField(_("what changed"), blank=True)

    settings_name = "screening protocol"

    class Meta(VersionedSettings.Meta):
        constraints = [unique_version("protocol_version_unique")]

    def settings_state(self) -> dict[str, str]:
        """Each rule as the editor sets it: its label, kind and override."""
        if self.pk is None:
            rules = DEFAULT_RULES
        else:
            rules = self.rules.order_by("position", "key").values()
        kinds = dict(RuleKind.choices)
        return {
            f"{rule['label']} ({rule['key']})": f"{kinds.get(rule['kind'], rule['kind'])}"
            + (f", {_('override allowed')}" if rule.get("override_allowed") else "")
            for rule in rules
        }

    def __str__(self) -> str:
        return f"Screening protocol v{self.version}"


class ContraindicationRule(models.Model):
    protocol = models.ForeignKey(ScreeningProtocol, on_delete=models.CASCADE, related_name="rules")
    key = models.SlugField(max_length=60)
    label = models.CharField(max_length=200)
    kind = models.CharField(max_length=15, choices=RuleKind.choices)
    # A small condition tree over intake facts; see kapcare.screening.rules.evaluate_condition.
    condition = models.JSONField()
    rationale = models.TextField()
    source = models.CharField(max_length=200, help_text=_("FACTS.md section and primary source"))
    override_allowed = models.BooleanField(
        default=False,
        help_text=_("For absolute rules: a prescriber may still approve, with a reason."),
    )
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["protocol", "position", "key"]
        constraints = [
            models.UniqueConstraint(fields=["protocol", "key"], name="rule_key_unique_in_protocol")
        ]

    def __str__(self) -> str:
        return self.label


class ScreeningOutcome(models.TextChoices):
    CLEAR = "clear", _("No contraindication found")
    REVIEW = "review", _("Prescriber review required")
    EXCLUDED = "excluded", _("Absolute contraindication")
    INCOMPLETE = "incomplete", _("Not measured yet")


class Screening(models.Model):
    """The rules engine's result for one client at one moment, with the facts it saw."""

    clinic = models.ForeignKey("accounts.Clinic", on_delete=models.PROTECT, related_name="+")
    client = models.ForeignKey(
        "clients.Client", on_delete=models.PROTECT, related_name="screenings"
    )
    course = models.ForeignKey(
        "courses.TreatmentCourse", on_delete=models.PROTECT, related_name="screenings"
    )
    protocol = models.ForeignKey(ScreeningProtocol, on_delete=models.PROTECT, related_name="+")
    facts = models.JSONField()
    findings = models.JSONField(default=list)
    # Rules that wait for a measurement the intake does not have yet (rules.unmeasured).
    unmeasured = models.JSONField(default=list, blank=True)
    outcome = models.CharField(max_length=10, choices=ScreeningOutcome.choices)
    screened_at = models.DateTimeField(default=timezone.now)
    # None when kapcare screened automatically, as the client completed their intake.
    screened_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-screened_at", "-id"]

    def __str__(self) -> str:
        return f"Screening {self.pk} ({self.outcome})"


class Decision(models.TextChoices):
    ELIGIBLE = "eligible", _("Eligible")
    NOT_ELIGIBLE = "not_eligible", _("Not eligible")


class DecisionBasis(models.TextChoices):
    NO_FINDINGS = "no_findings", _("No contraindications")
    ABSOLUTE = "absolute", _("Absolute contraindication")
    PRESCRIBER_REVIEW = "prescriber_review", _("Prescriber review")
    OVERRIDE = "override", _("Prescriber override of an absolute contraindication")


class EligibilityDecision(models.Model):
    """Append-only: a new decision supersedes the old one, which stays on record."""

    clinic = models.ForeignKey("accounts.Clinic", on_delete=models.PROTECT, related_name="+")
    client = models.ForeignKey("clients.Client", on_delete=models.PROTECT, related_name="+")
    course = models.ForeignKey(
        "courses.TreatmentCourse", on_delete=models.PROTECT, related_name="eligibility_decisions"
    )
    screening = models.ForeignKey(Screening, on_delete=models.PROTECT, related_name="decisions")
    protocol = models.ForeignKey(ScreeningProtocol, on_delete=models.PROTECT, related_name="+")
    decision = models.CharField(max_length=15, choices=Decision.choices)
    basis = models.CharField(max_length=20, choices=DecisionBasis.choices)
    reason = models.TextField(blank=True)
    decided_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    signature_name = models.CharField(max_length=200, blank=True)
    decided_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-decided_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(basis__in=["prescriber_review", "override"])
                | (~models.Q(reason="") & ~models.Q(signature_name="")),
                name="reviewed_decision_has_reason_and_signature",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_decision_display()} ({self.get_basis_display()})"
