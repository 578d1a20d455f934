"""A clinic's dosing protocol: every threshold and limit the chair-side checks use, versioned.

Published versions never change; a change is a new version. Orders, pre-dose checks, alerts and
discharges record the version they were judged under, so every decision stays explainable.
Defaults and their FACTS.md sources live in kapcare.dosing.defaults.
"""

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from kapcare.core.versioning import VersionedSettings, unique_version
from kapcare.dosing.defaults import default


def _int(name: str, label, lo: int, hi: int, **extra) -> models.PositiveSmallIntegerField:
    return models.PositiveSmallIntegerField(
        label,
        default=default(name),
        validators=[MinValueValidator(lo), MaxValueValidator(hi)],
        **extra,
    )


def _dec(name: str, label, lo: str, hi: str) -> models.DecimalField:
    from decimal import Decimal

    return models.DecimalField(
        label,
        max_digits=7,
        decimal_places=2,
        default=default(name),
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal(lo)), MaxValueValidator(Decimal(hi))],
    )


def _ceiling(name: str, label, hi: str) -> models.DecimalField:
    """A hard per-route ceiling: always set (a route without one would let any dose through
    with an override), above zero, and no higher than `hi`."""
    from decimal import Decimal

    return models.DecimalField(
        label,
        max_digits=7,
        decimal_places=2,
        default=default(name),
        validators=[MinValueValidator(Decimal("0.01")), MaxValueValidator(Decimal(hi))],
    )


def _flagged_default():
    return default("flagged_medication_classes")


def _rescue_default():
    return default("rescue_medications")


class DosingProtocol(VersionedSettings):
    notes = models.TextField(_("what changed"), blank=True)

    settings_name = "dosing protocol"

    # Pre-dose checks
    predose_systolic_review = _int(
        "predose_systolic_review",
        _("Pre-dose systolic above this needs prescriber review"),
        100,
        250,
    )
    predose_diastolic_review = _int(
        "predose_diastolic_review",
        _("Pre-dose diastolic above this needs prescriber review"),
        50,
        150,
    )
    predose_systolic_stop = _int(
        "predose_systolic_stop", _("Pre-dose systolic at or above this stops dosing"), 100, 260
    )
    predose_diastolic_stop = _int(
        "predose_diastolic_stop", _("Pre-dose diastolic at or above this stops dosing"), 50, 160
    )
    predose_heart_rate_review = _int(
        "predose_heart_rate_review", _("Pre-dose heart rate above this needs review"), 60, 200
    )
    predose_spo2_stop = _int(
        "predose_spo2_stop", _("Pre-dose SpO2 below this stops dosing"), 80, 100
    )
    fasting_hours_iv = _dec("fasting_hours_iv", _("Fasting hours before IV"), "0", "24")
    fasting_hours_im = _dec("fasting_hours_im", _("Fasting hours before IM"), "0", "24")
    fasting_hours_sublingual = _dec(
        "fasting_hours_sublingual", _("Fasting hours before sublingual/oral"), "0", "24"
    )
    fasting_hours_intranasal = _dec(
        "fasting_hours_intranasal", _("Fasting hours before intranasal"), "0", "24"
    )
    pregnancy_test_each_session = models.BooleanField(
        _("Pregnancy test before each session (where applicable)"),
        default=default("pregnancy_test_each_session"),
    )
    flagged_medication_classes = models.JSONField(
        _("Medication classes that need prescriber review"), default=_flagged_default
    )
    require_pre_session_measures = models.BooleanField(
        _("PHQ-9 and GAD-7 required before each session"),
        default=default("require_pre_session_measures"),
    )
    phq9_item9_review = _int(
        "phq9_item9_review", _("PHQ-9 item 9 at or above this needs prescriber review"), 1, 3
    )

    # Dose limits by route (mg and mg/kg; empty = no limit of that kind)
    iv_min_mg_per_kg = _dec("iv_min_mg_per_kg", _("IV minimum (mg/kg)"), "0", "5")
    iv_max_mg_per_kg = _dec("iv_max_mg_per_kg", _("IV maximum (mg/kg)"), "0", "5")
    iv_min_mg = _dec("iv_min_mg", _("IV minimum (mg)"), "0", "1000")
    iv_max_mg = _dec("iv_max_mg", _("IV maximum (mg)"), "0", "1000")
    iv_min_infusion_minutes = _int(
        "iv_min_infusion_minutes", _("IV shortest infusion (minutes)"), 1, 240
    )
    im_min_mg_per_kg = _dec("im_min_mg_per_kg", _("IM minimum (mg/kg)"), "0", "5")
    im_max_mg_per_kg = _dec("im_max_mg_per_kg", _("IM maximum (mg/kg)"), "0", "5")
    im_min_mg = _dec("im_min_mg", _("IM minimum (mg)"), "0", "1000")
    im_max_mg = _dec("im_max_mg", _("IM maximum (mg)"), "0", "1000")
    sublingual_min_mg_per_kg = _dec(
        "sublingual_min_mg_per_kg", _("Sublingual minimum (mg/kg)"), "0", "20"
    )
    sublingual_max_mg_per_kg = _dec(
        "sublingual_max_mg_per_kg", _("Sublingual maximum (mg/kg)"), "0", "20"
    )
    sublingual_min_mg = _dec("sublingual_min_mg", _("Sublingual minimum (mg)"), "0", "1000")
    sublingual_max_mg = _dec("sublingual_max_mg", _("Sublingual maximum (mg)"), "0", "1000")
    intranasal_min_mg_per_kg = _dec(
        "intranasal_min_mg_per_kg", _("Intranasal minimum (mg/kg)"), "0", "5"
    )
    intranasal_max_mg_per_kg = _dec(
        "intranasal_max_mg_per_kg", _("Intranasal maximum (mg/kg)"), "0", "5"
    )
    intranasal_min_mg = _dec("intranasal_min_mg", _("Intranasal minimum (mg)"), "0", "1000")
    intranasal_max_mg = _dec("intranasal_max_mg", _("Intranasal maximum (mg)"), "0", "1000")

    # Hard ceilings by route: an order above one is refused, whatever the override reason.
    iv_ceiling_mg_per_kg = _ceiling("iv_ceiling_mg_per_kg", _("IV ceiling (mg/kg)"), "10")
    iv_ceiling_mg = _ceiling("iv_ceiling_mg", _("IV ceiling (mg)"), "2000")
    im_ceiling_mg_per_kg = _ceiling("im_ceiling_mg_per_kg", _("IM ceiling (mg/kg)"), "10")
    im_ceiling_mg = _ceiling("im_ceiling_mg", _("IM ceiling (mg)"), "2000")
    sublingual_ceiling_mg_per_kg = _ceiling(
        "sublingual_ceiling_mg_per_kg", _("Sublingual ceiling (mg/kg)"), "40"
    )
    sublingual_ceiling_mg = _ceiling("sublingual_ceiling_mg", _("Sublingual ceiling (mg)"), "2000")
    intranasal_ceiling_mg_per_kg = _ceiling(
        "intranasal_ceiling_mg_per_kg", _("Intranasal ceiling (mg/kg)"), "10"
    )
    intranasal_ceiling_mg = _ceiling("intranasal_ceiling_mg", _("Intranasal ceiling (mg)"), "2000")

    # Monitoring
    vitals_interval_minutes = _int(
        "vitals_interval_minutes", _("Vital signs every (minutes)"), 1, 60
    )
    bp_check_minutes = _int(
        "bp_check_minutes", _("Blood pressure check at (minutes after dose start)"), 1, 240
    )
    dissociation_check_minutes = _int(
        "dissociation_check_minutes", _("Dissociation rating at (minutes after dose start)"), 1, 240
    )
    alert_systolic = _int("alert_systolic", _("Alert: systolic at or above"), 120, 260)
    alert_diastolic = _int("alert_diastolic", _("Alert: diastolic at or above"), 70, 160)
    alert_systolic_rise = _int(
        "alert_systolic_rise", _("Alert: systolic rise from pre-dose at or above"), 5, 120
    )
    alert_diastolic_rise = _int(
        "alert_diastolic_rise", _("Alert: diastolic rise from pre-dose at or above"), 5, 80
    )
    alert_heart_rate = _int("alert_heart_rate", _("Alert: heart rate at or above"), 80, 220)
    alert_spo2 = _int("alert_spo2", _("Alert: SpO2 below"), 80, 100)
    alert_sedation = _int("alert_sedation", _("Alert: sedation (MOAA/S) at or below"), 0, 4)
    dissociation_scale = models.CharField(
        _("Dissociation scale"),
        max_length=20,
        default=default("dissociation_scale"),
        choices=[("clinician_0_4", _("Clinician rating 0–4")), ("cadss_23", _("CADSS total"))],
    )

    # Discharge
    min_observation_minutes_iv = _int(
        "min_observation_minutes_iv", _("IV: observe at least (minutes from dose start)"), 30, 480
    )
    min_observation_minutes_im = _int(
        "min_observation_minutes_im", _("IM: observe at least (minutes from dose start)"), 30, 480
    )
    min_observation_minutes_sublingual = _int(
        "min_observation_minutes_sublingual",
        _("Sublingual: observe at least (minutes from dose start)"),
        30,
        480,
    )
    min_observation_minutes_intranasal = _int(
        "min_observation_minutes_intranasal",
        _("Esketamine intranasal: observe at least (minutes from dose start)"),
        120,  # the Spravato label's two hours is a floor no clinic setting may lower
        480,
    )
    discharge_vitals_tolerance_pct = _int(
        "discharge_vitals_tolerance_pct", _("Discharge: vitals within this % of pre-dose"), 5, 50
    )
    rescue_medications = models.JSONField(_("Rescue medication formulary"), default=_rescue_default)
    aftercare_instructions = models.TextField(
        _("After-care instructions"), default=default("aftercare_instructions")
    )

    class Meta(VersionedSettings.Meta):
        constraints = [
            unique_version("dosing_protocol_version_unique"),
            models.CheckConstraint(
                condition=models.Q(predose_systolic_review__lt=models.F("predose_systolic_stop")),
                name="dosing_protocol_review_below_stop",
            ),
        ]

    def __str__(self) -> str:
        return f"Dosing protocol v{self.version}"

    def limits_for(self, route: str) -> dict:
        """This version's dose limits for one route, as the rules functions take them."""
        return {
            key: getattr(self, f"{route}_{key}")
            for key in (
                "min_mg",
                "max_mg",
                "min_mg_per_kg",
                "max_mg_per_kg",
                "ceiling_mg",
                "ceiling_mg_per_kg",
            )
        }

    def fasting_hours_for(self, route: str):
        return getattr(self, f"fasting_hours_{route}")

    def min_observation_for(self, route: str) -> int:
        return getattr(self, f"min_observation_minutes_{route}")
