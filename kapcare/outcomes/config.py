"""The outcome definitions in force, as plain values, and kapcare's defaults for them.

Defaults come from ../shared/clinical/FACTS.md §2 and are what a clinic gets until it publishes
its own settings version (kapcare.outcomes.models). No ORM here: the selectors turn a settings
row into an OutcomeConfig, and rules and tests take it from there.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from kapcare.outcomes import rules

D = Decimal

# Instruments with an outcome (the screeners and the dosing-day dissociation scale have none).
OUTCOME_INSTRUMENTS = ("phq9", "gad7", "pcl5", "ocir")
DEPRESSION_MEASURE = "phq9"  # FACTS.md §2.3: the depression measure is always PHQ-9
DEFAULT_ANXIETY_MEASURE = "gad7"  # FACTS.md §2.3: GAD-7 unless the problem has an ADSM
# FACTS.md §2.3 (Clark et al. 2018, Table 2): PTSD → PCL-5, OCD → OCI-R; other conditions GAD-7.
DEFAULT_ANXIETY_BY_CONDITION = {"ptsd": "pcl5", "ocd": "ocir"}


@dataclass(frozen=True)
class InstrumentConfig:
    code: str
    response: rules.ResponseRule
    remission_below: Decimal | None = None
    nhs: rules.NhsMeasure | None = None
    reliability: rules.ReliabilityParams | None = None
    norms: rules.Norms | None = None
    criterion: rules.Criterion = rules.Criterion.C
    jt_source: str = ""
    source: str = ""  # where the defaults come from, shown on the settings page

    @property
    def cutoff(self) -> float | None:
        return rules.cutoff(self.norms, self.criterion) if self.norms else None


@dataclass(frozen=True)
class OutcomeConfig:
    version: int  # 0: kapcare's defaults, nothing published yet
    baseline_rule: str
    instruments: dict[str, InstrumentConfig]
    anxiety_by_condition: dict[str, str] = field(default_factory=dict)

    def anxiety_measure_for(self, condition: str) -> str:
        return self.anxiety_by_condition.get(condition, DEFAULT_ANXIETY_MEASURE)

    @property
    def nhs_ready(self) -> bool:
        """Caseness and reliable change are set for the PHQ-9 and for GAD-7, the fallback."""
        return all(
            self.instruments.get(code) is not None and self.instruments[code].nhs is not None
            for code in (DEPRESSION_MEASURE, DEFAULT_ANXIETY_MEASURE)
        )


# Jacobson–Truax SD, r_xx and norms are left empty on purpose: FACTS.md §2.2 says they come from
# the normative study the clinic chooses and records, and it gives no default study. Until a
# clinic enters them, reliable change and clinically significant change read "not configured".
DEFAULT_INSTRUMENTS: dict[str, dict] = {
    "phq9": {
        "response_kind": "percent",
        "response_threshold": D("50"),  # FACTS.md §2.1: ≥50% drop
        "remission_below": D("5"),  # FACTS.md §2.1: total < 5
        "nhs_caseness": D("10"),  # FACTS.md §2.3: ≥10 is a case
        "nhs_reliable_change": D("6"),  # FACTS.md §2.3: ≥6 points
        "source": "FACTS.md §2.1 (Kroenke 2001; Löwe 2004), §2.3",
    },
    "gad7": {
        "response_kind": "percent",
        "response_threshold": D("50"),  # FACTS.md §2.1: ≥50% drop (borrowed from depression)
        "remission_below": D("5"),  # FACTS.md §2.1: < 5 common
        "nhs_caseness": D("8"),  # FACTS.md §2.3: ≥8
        "nhs_reliable_change": D("4"),  # FACTS.md §2.3: ≥4 points
        "source": "FACTS.md §2.1, §2.3",
    },
    "pcl5": {
        "response_kind": "points",
        "response_threshold": D("10"),  # FACTS.md §2.1: ≥10-point drop
        "remission_below": D("33"),  # FACTS.md §2.1: below the provisional cut-point (33)
        "nhs_caseness": D("32"),  # FACTS.md §2.3 [?]: ≥32, verify against the NHS TT manual
        "nhs_reliable_change": D("10"),  # FACTS.md §2.3 [?]
        "source": "FACTS.md §1.3, §2.1 (NCPTSD), §2.3 [unverified NHS TT values]",
    },
    "ocir": {
        "response_kind": "percent",
        "response_threshold": D("35"),  # FACTS.md §2.1 [?]: 35% borrowed from Y-BOCS
        "remission_below": None,  # FACTS.md §2.1: no consensus
        "nhs_caseness": D("14"),  # FACTS.md §2.3 [?]
        "nhs_reliable_change": D("8"),  # FACTS.md §2.3 [?]
        "source": "FACTS.md §2.1 [no consensus], §2.3 [unverified NHS TT values]",
    },
}


def _num(value) -> float | None:
    return None if value is None or value == "" else float(value)


def instrument_config(code: str, values: dict) -> InstrumentConfig:
    """An InstrumentConfig from a row's values (model fields or the defaults above)."""
    nhs = None
    if values.get("nhs_caseness") is not None and values.get("nhs_reliable_change") is not None:
        nhs = rules.NhsMeasure(values["nhs_caseness"], values["nhs_reliable_change"])
    reliability = None
    if values.get("jt_sd_pre") and values.get("jt_reliability"):
        reliability = rules.ReliabilityParams(
            float(values["jt_sd_pre"]), float(values["jt_reliability"])
        )
    norms = None
    if values.get("jt_clinical_mean") is not None and values.get("jt_clinical_sd"):
        norms = rules.Norms(
            float(values["jt_clinical_mean"]),
            float(values["jt_clinical_sd"]),
            _num(values.get("jt_normal_mean")),
            _num(values.get("jt_normal_sd")) or None,
        )
    return InstrumentConfig(
        code=code,
        response=rules.ResponseRule(
            rules.ResponseKind(values["response_kind"]), values["response_threshold"]
        ),
        remission_below=values.get("remission_below"),
        nhs=nhs,
        reliability=reliability,
        norms=norms,
        criterion=rules.Criterion(values.get("jt_criterion") or "c"),
        jt_source=values.get("jt_source", ""),
        source=values.get("source", ""),
    )


def default_config() -> OutcomeConfig:
    return OutcomeConfig(
        version=0,
        baseline_rule="pre_dose_1",  # FACTS.md §2.1
        instruments={code: instrument_config(code, v) for code, v in DEFAULT_INSTRUMENTS.items()},
        anxiety_by_condition=dict(DEFAULT_ANXIETY_BY_CONDITION),
    )
