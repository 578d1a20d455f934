"""The dosing protocol's parameters: each default with its unit and its source in
../shared/clinical/FACTS.md. A clinic publishes its own values as a new DosingProtocol version;
these are what version 1 starts from.

Confidence marks follow FACTS.md: [V] confirmed, [K] background knowledge, [?] uncertain — a
clinician confirms [?] values before a clinic relies on them.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.utils.translation import gettext_lazy as _

ROUTES = ("iv", "im", "sublingual", "intranasal")


@dataclass(frozen=True)
class Parameter:
    name: str
    default: object
    unit: str
    source: str
    group: str


PRE_DOSE = _("Pre-dose checks")
LIMITS = _("Dose limits")
CEILINGS = _("Hard dose ceilings (no override)")
MONITORING = _("Monitoring and alerts")
DISCHARGE = _("Discharge")

PARAMETERS: list[Parameter] = [
    # --- Pre-dose checklist (FACTS.md §4.3) ---
    Parameter(
        "predose_systolic_review", 140, "mmHg", "§4.3 BP > 140/90 → prescriber review [V]", PRE_DOSE
    ),
    Parameter(
        "predose_diastolic_review", 90, "mmHg", "§4.3 BP > 140/90 → prescriber review [V]", PRE_DOSE
    ),
    Parameter("predose_systolic_stop", 160, "mmHg", "§4.3 hard stop ≥ 160/100 [?]", PRE_DOSE),
    Parameter("predose_diastolic_stop", 100, "mmHg", "§4.3 hard stop ≥ 160/100 [?]", PRE_DOSE),
    Parameter("predose_heart_rate_review", 110, "/min", "§4.4 HR > 110–130 [?]", PRE_DOSE),
    Parameter("predose_spo2_stop", 92, "%", "§4.4 SpO2 < 92% [?]", PRE_DOSE),
    Parameter(
        "fasting_hours_iv",
        Decimal("6"),
        "h",
        "§4.3 ASA moderate sedation ~6 h solids [K][?]",
        PRE_DOSE,
    ),
    Parameter(
        "fasting_hours_im",
        Decimal("6"),
        "h",
        "§4.3 ASA moderate sedation ~6 h solids [K][?]",
        PRE_DOSE,
    ),
    Parameter(
        "fasting_hours_sublingual",
        Decimal("2"),
        "h",
        "§4.3 fasting against nausea (Spravato 2 h) [K][?]",
        PRE_DOSE,
    ),
    Parameter(
        "fasting_hours_intranasal",
        Decimal("2"),
        "h",
        "§4.3 Spravato: no food 2 h before [K]",
        PRE_DOSE,
    ),
    Parameter(
        "pregnancy_test_each_session",
        True,
        "",
        "§4.3 many protocols repeat before each dose [?]",
        PRE_DOSE,
    ),
    Parameter(
        "flagged_medication_classes",
        ["benzodiazepines", "lamotrigine", "maois", "stimulants"],
        "",
        "§3.3 flag in medication reconciliation [K][?]",
        PRE_DOSE,
    ),
    Parameter(
        "require_pre_session_measures",
        True,
        "",
        "§6.1 measures before each dosing session [K]",
        PRE_DOSE,
    ),
    Parameter(
        "phq9_item9_review", 1, "", "§8 PHQ-9 item 9 ≥ 1 needs clinician acknowledgement", PRE_DOSE
    ),
    # --- Dose limits by route (FACTS.md §4.1); outside them needs a prescriber's override ---
    Parameter("iv_min_mg_per_kg", Decimal("0.5"), "mg/kg", "§4.1 IV 0.5–1.0 mg/kg [K]", LIMITS),
    Parameter("iv_max_mg_per_kg", Decimal("1.0"), "mg/kg", "§4.1 IV 0.5–1.0 mg/kg [K]", LIMITS),
    Parameter("iv_min_mg", None, "mg", "§4.1 (no fixed-dose limit given)", LIMITS),
    Parameter("iv_max_mg", None, "mg", "§4.1 (no fixed-dose limit given)", LIMITS),
    Parameter("iv_min_infusion_minutes", 40, "min", "§4.1 0.5 mg/kg over 40 min [K][V]", LIMITS),
    Parameter("im_min_mg_per_kg", Decimal("0.25"), "mg/kg", "§4.1 IM ~0.25–1.0 mg/kg [?]", LIMITS),
    Parameter("im_max_mg_per_kg", Decimal("1.0"), "mg/kg", "§4.1 IM ~0.25–1.0 mg/kg [?]", LIMITS),
    Parameter("im_min_mg", None, "mg", "§4.1 (fixed doses 25–150 mg reported [?])", LIMITS),
    Parameter("im_max_mg", Decimal("150"), "mg", "§4.1 KAP fixed IM doses ~50–150 mg [?]", LIMITS),
    Parameter("sublingual_min_mg_per_kg", None, "mg/kg", "§4.1 (dosed in mg)", LIMITS),
    Parameter("sublingual_max_mg_per_kg", None, "mg/kg", "§4.1 (dosed in mg)", LIMITS),
    Parameter(
        "sublingual_min_mg", Decimal("100"), "mg", "§4.1 SL ~100–300 mg common [K][?]", LIMITS
    ),
    Parameter(
        "sublingual_max_mg", Decimal("300"), "mg", "§4.1 SL ~100–300 mg common [K][?]", LIMITS
    ),
    Parameter("intranasal_min_mg_per_kg", None, "mg/kg", "§4.1 (fixed doses)", LIMITS),
    Parameter("intranasal_max_mg_per_kg", None, "mg/kg", "§4.1 (fixed doses)", LIMITS),
    Parameter("intranasal_min_mg", Decimal("56"), "mg", "§4.1 Spravato 56 or 84 mg [V][K]", LIMITS),
    Parameter("intranasal_max_mg", Decimal("84"), "mg", "§4.1 Spravato 56 or 84 mg [V][K]", LIMITS),
    # --- Hard ceilings by route: no override passes them (FACTS.md §4.1) ---
    # Twice the route's usual maximum. Routes dosed per kg get an mg ceiling at that per-kg
    # ceiling for a 100 kg adult; routes dosed in mg a per-kg ceiling at their mg ceiling for
    # a 60 kg adult. [?]: a clinician confirms these before a clinic relies on them.
    Parameter(
        "iv_ceiling_mg_per_kg", Decimal("2.0"), "mg/kg", "§4.1 2 × IV maximum 1.0 mg/kg", CEILINGS
    ),
    Parameter("iv_ceiling_mg", Decimal("200"), "mg", "§4.1 2 × 1.0 mg/kg for 100 kg [?]", CEILINGS),
    Parameter(
        "im_ceiling_mg_per_kg", Decimal("2.0"), "mg/kg", "§4.1 2 × IM maximum 1.0 mg/kg", CEILINGS
    ),
    Parameter("im_ceiling_mg", Decimal("300"), "mg", "§4.1 2 × IM fixed 150 mg [?]", CEILINGS),
    Parameter(
        "sublingual_ceiling_mg_per_kg",
        Decimal("10"),
        "mg/kg",
        "§4.1 600 mg for 60 kg [?]",
        CEILINGS,
    ),
    Parameter(
        "sublingual_ceiling_mg", Decimal("600"), "mg", "§4.1 2 × SL maximum 300 mg [?]", CEILINGS
    ),
    Parameter(
        "intranasal_ceiling_mg_per_kg",
        Decimal("2.8"),
        "mg/kg",
        "§4.1 168 mg for 60 kg [?]",
        CEILINGS,
    ),
    Parameter(
        "intranasal_ceiling_mg",
        Decimal("168"),
        "mg",
        "§4.1 2 × Spravato maximum 84 mg [V][K]",
        CEILINGS,
    ),
    # --- Monitoring schedule and alert thresholds (FACTS.md §4.4, §1.6) ---
    Parameter(
        "vitals_interval_minutes", 15, "min", "§4.4 every 15 min (IV q10–15 min) [V]", MONITORING
    ),
    Parameter("bp_check_minutes", 40, "min", "§4.4 BP ~40 min after dose (peak) [V]", MONITORING),
    Parameter(
        "dissociation_check_minutes", 40, "min", "§1.6/§4.4 pre-dose and ~40 min [K]", MONITORING
    ),
    Parameter("alert_systolic", 180, "mmHg", "§4.4 SBP ≥ 180 [?]", MONITORING),
    Parameter("alert_diastolic", 110, "mmHg", "§4.4 DBP ≥ 110 (some use 100) [?]", MONITORING),
    Parameter(
        "alert_systolic_rise", 40, "mmHg", "§4.4 SBP rise ≥ 40 from baseline (USPI) [V]", MONITORING
    ),
    Parameter(
        "alert_diastolic_rise",
        25,
        "mmHg",
        "§4.4 DBP rise ≥ 25 from baseline (USPI) [V]",
        MONITORING,
    ),
    Parameter("alert_heart_rate", 120, "/min", "§4.4 HR > 110–130 sustained [?]", MONITORING),
    Parameter("alert_spo2", 92, "%", "§4.4 SpO2 < 92% [?]", MONITORING),
    Parameter(
        "alert_sedation",
        2,
        "MOAA/S",
        "§4.4 excessive sedation; MOAA/S in Spravato trials [K][?]",
        MONITORING,
    ),
    Parameter(
        "dissociation_scale",
        "clinician_0_4",
        "",
        "§1.6 CADSS licence unverified: clinician rating by default",
        MONITORING,
    ),
    # --- Discharge (FACTS.md §4.4, §4.5) ---
    Parameter(
        "min_observation_minutes_iv",
        90,
        "min",
        "§4.4 infusion 40 min + 30–60 min recovery [V][K]",
        DISCHARGE,
    ),
    Parameter("min_observation_minutes_im", 90, "min", "§4.4 IM: 1.5–2 h total [K][?]", DISCHARGE),
    Parameter(
        "min_observation_minutes_sublingual",
        90,
        "min",
        "§4.4 SL: observe ≥ 1.5–2 h [K][?]",
        DISCHARGE,
    ),
    Parameter(
        "min_observation_minutes_intranasal", 120, "min", "§4.4/§4.5 Spravato ≥ 2 h [V]", DISCHARGE
    ),
    Parameter(
        "discharge_vitals_tolerance_pct",
        20,
        "%",
        "§4.5 vitals within ~20% of baseline [K]",
        DISCHARGE,
    ),
    Parameter(
        "rescue_medications",
        [
            "Ondansetron",
            "Labetalol",
            "Clonidine",
            "Metoprolol",
            "Midazolam",
            "Lorazepam",
            "Glycopyrrolate",
            "Oxygen",
            "Epinephrine",
        ],
        "",
        "§4.7 rescue medications commonly listed (prescriber confirms doses) [K][?]",
        DISCHARGE,
    ),
    Parameter(
        "aftercare_instructions",
        "No driving or operating machinery until the next day, after a restful sleep. "
        "A responsible adult takes you home and stays with you this evening. "
        "No alcohol, sedatives or recreational drugs today. "
        "No important decisions or legal documents today. "
        "Call the clinic if you feel unwell; in an emergency call 911. "
        "If you have thoughts of harming yourself, call or text 988.",
        "",
        "§4.5 written aftercare; §6.3 driving and same-day restrictions [V][K]",
        DISCHARGE,
    ),
]

BY_NAME: dict[str, Parameter] = {p.name: p for p in PARAMETERS}


def default(name: str):
    """A fresh copy of the default (lists are copied so no caller changes the catalogue)."""
    value = BY_NAME[name].default
    return list(value) if isinstance(value, list) else value


# Clinician-rated dissociation, our own wording (CADSS item text is not shipped: FACTS.md §1.6/§1.7).
DISSOCIATION_SCALES: dict[str, dict] = {
    "clinician_0_4": {
        "label": _("Clinician rating of dissociation (0–4)"),
        "max": 4,
        "levels": [
            _("0 — none"),
            _("1 — mild: aware of changes, fully communicative"),
            _("2 — moderate: detached, answers with effort"),
            _("3 — marked: little contact with the room"),
            _("4 — extreme: no meaningful contact"),
        ],
    },
    "cadss_23": {
        "label": _("CADSS, 23-item subjective total (clinic-licensed, 0–92)"),
        "max": 92,
        "levels": [],
    },
}

# Sedation: MOAA/S levels described in our own words (FACTS.md §4.4).
SEDATION_LEVELS = [
    (5, _("5 — responds readily to name in a normal tone")),
    (4, _("4 — lethargic response to name")),
    (3, _("3 — responds only when name is called loudly or repeatedly")),
    (2, _("2 — responds only after mild prodding or shaking")),
    (1, _("1 — responds only to a painful stimulus")),
    (0, _("0 — no response")),
]
