"""The hand-computed outcome table (issue 5, acceptance 3), shared by the rule tests and the
SQL dashboard tests so both are held to the same arithmetic.

Worked with kapcare's FACTS.md defaults: PHQ-9 response ≥50% drop, remission < 5, NHS TT case
≥ 10 and reliable change ≥ 6; GAD-7 case ≥ 8, reliable change ≥ 4. For Jacobson–Truax the
table uses illustrative normative values chosen so the arithmetic is easy by hand:
SD_pre = 5, r_xx = 0.84 → SE = 5 × √0.16 = 2, S_diff = √(2 × 2²) = 2.8284, reliable change
needs |Δ| > 1.96 × 2.8284 = 5.54 points; clinical M = 15, SD = 5, normal M = 3, SD = 3 →
a = 15 − 10 = 5, b = 3 + 6 = 9, c = (5·3 + 3·15) / (5 + 3) = 7.5 (criterion c is used).
"""

from dataclasses import dataclass

from kapcare.outcomes import rules

JT = rules.ReliabilityParams(sd_pre=5, reliability=0.84)
NORMS = rules.Norms(clinical_mean=15, clinical_sd=5, normal_mean=3, normal_sd=3)
CUT_C = 7.5


@dataclass(frozen=True)
class Case:
    name: str
    phq: tuple[int | None, int | None]  # (baseline, last)
    gad: tuple[int | None, int | None]
    change: float | None
    percent: float | None
    response: bool | None
    remission: bool | None
    rci: float | None
    jt: str | None
    # NHS TT: None for an incomplete pair, else (case, recovery, improvement, deterioration,
    # reliable recovery)
    nhs: tuple | None


T, F, N = True, False, None
CASES = [
    Case("responder, reliable recovery", (20, 8), (15, 6), -12, 60.0, T, F, -4.242641,
         "improved", (T, T, T, F, T)),
    Case("remitter, J&T recovered", (16, 3), (12, 2), -13, 81.25, T, T, -4.596194,
         "recovered", (T, T, T, F, T)),
    Case("exactly 50% and exactly the GAD-7 reliable change", (14, 7), (9, 5), -7, 50.0, T, F,
         -2.474874, "recovered", (T, T, T, F, T)),
    Case("just under 50%", (15, 8), (10, 7), -7, 46.666667, F, F, -2.474874, "improved",
         (T, T, T, F, T)),
    Case("baseline below caseness", (8, 4), (6, 3), -4, 50.0, T, T, -1.414214, "unchanged",
         (F, N, F, F, N)),
    Case("deteriorating", (12, 19), (9, 14), 7, -58.333333, F, F, 2.474874, "deteriorated",
         (T, F, F, T, F)),
    Case("opposite reliable changes", (18, 10), (6, 12), -8, 44.444444, F, F, -2.828427,
         "improved", (T, F, F, F, F)),
    Case("missing follow-up", (17, None), (13, None), N, N, N, N, N, N, N),
    Case("baseline zero", (0, 3), (0, 0), 3, N, N, N, 1.060660, "unchanged", (F, N, F, F, N)),
    Case("a case on anxiety only", (7, 6), (12, 5), -1, 14.285714, F, F, -0.353553,
         "unchanged", (T, T, T, F, T)),
    Case("recovered without reliable improvement", (11, 7), (8, 6), -4, 36.363636, F, F,
         -1.414214, "unchanged", (T, T, F, F, F)),
    Case("PHQ-9 at caseness, worse by exactly 6", (10, 16), (5, 5), 6, -60.0, F, F, 2.121320,
         "deteriorated", (T, F, F, T, F)),
    Case("anxiety follow-up missing", (15, 6), (10, None), -9, 60.0, T, F, -3.181981,
         "recovered", N),
]  # fmt: skip
