"""Pure rules for dosing at the chair: pre-dose thresholds, dose and limit arithmetic, order
validity, alert thresholds, the monitoring schedule and discharge readiness.

No ORM and no request: each function takes plain values and a protocol-like object (anything
with the DosingProtocol attribute names), so every threshold is unit-tested on both sides of
its boundary without a database. Sources: ../shared/clinical/FACTS.md §3.3, §4.1–§4.5.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING, Any

from django.utils.translation import gettext as _

from kapcare.screening import default_rules as catalogue

if TYPE_CHECKING:
    from kapcare.dosing.models import DosingProtocol

STOP = "stop"  # blocks dosing; fixed only by a new check that passes
REVIEW = "review"  # blocks dosing until a prescriber clears the check with a reason

# Medication classes the pre-dose check flags (FACTS.md §3.3), with the same medicine names
# screening uses; the dosing protocol picks which classes.
MEDICATION_CLASSES: dict[str, tuple[str, list[str]]] = {
    "benzodiazepines": ("benzodiazepine", catalogue.BENZODIAZEPINES),
    "lamotrigine": ("lamotrigine", catalogue.LAMOTRIGINE),
    "maois": ("MAOI", catalogue.MAOIS),
    "stimulants": ("stimulant", catalogue.STIMULANTS),
    "cns_depressants": ("CNS depressant", catalogue.CNS_DEPRESSANTS),
    "other_nmda": ("NMDA antagonist", catalogue.OTHER_NMDA),
    "naltrexone": ("naltrexone", catalogue.NALTREXONE),
}

MG_PLACES = Decimal("0.1")


@dataclass(frozen=True)
class Problem:
    field: str
    message: str
    severity: str

    def as_dict(self) -> dict[str, str]:
        return asdict(self)


# --- Pre-dose checklist (FACTS.md §4.3) -----------------------------------------------------


def flagged_medications(text: str, classes: Iterable[str]) -> list[str]:
    """Each line of `text` naming a medicine in one of `classes`, with the class it is in."""
    found = []
    for line in (raw.strip() for raw in (text or "").splitlines()):
        if not line:
            continue
        for key in classes:
            label, terms = MEDICATION_CLASSES.get(key, ("", []))
            if any(re.search(rf"\b{re.escape(t.lower())}\b", line.lower()) for t in terms):
                found.append(f"{line} ({label})")
                break
    return found


def pre_dose_problems(
    check: Mapping[str, Any], *, route: str, protocol: DosingProtocol, pregnancy_applicable: bool
) -> list[Problem]:
    """Everything in one pre-dose check that stands in the way of dosing, with why.

    STOP problems need the cause fixed and the check repeated; REVIEW problems (BP above the
    review line, flagged medicines, recent substance use, PHQ-9 item 9) need a prescriber's
    signed clearance. FACTS.md §4.3 checklist, §3.3 interactions, §8 safety acknowledgement."""
    p, out = protocol, []

    def add(field: str, message: str, severity: str = STOP) -> None:
        out.append(Problem(field, message, severity))

    if not check["identity_confirmed"]:
        add("identity_confirmed", _("Confirm the client's identity (name and date of birth)."))
    needed = getattr(p, f"fasting_hours_{route}")
    if needed is not None and Decimal(check["fasting_hours"]) < Decimal(needed):
        add(
            "fasting_hours",
            _("Fasted %(h)s h; the protocol asks for %(n)s h before this route.")
            % {"h": _num(check["fasting_hours"]), "n": _num(needed)},
        )
    sys_, dia = check["systolic"], check["diastolic"]
    bp = f"{sys_}/{dia}"
    if sys_ >= p.predose_systolic_stop or dia >= p.predose_diastolic_stop:
        add(
            "systolic",
            _("Blood pressure %(bp)s is at or above the stop line %(s)s/%(d)s: no dose today.")
            % {"bp": bp, "s": p.predose_systolic_stop, "d": p.predose_diastolic_stop},
        )
    elif sys_ > p.predose_systolic_review or dia > p.predose_diastolic_review:
        add(
            "systolic",
            _("Blood pressure %(bp)s is above %(s)s/%(d)s: a prescriber reviews before dosing.")
            % {"bp": bp, "s": p.predose_systolic_review, "d": p.predose_diastolic_review},
            REVIEW,
        )
    if check["heart_rate"] > p.predose_heart_rate_review:
        add(
            "heart_rate",
            _("Heart rate %(hr)s is above %(max)s: a prescriber reviews before dosing.")
            % {"hr": check["heart_rate"], "max": p.predose_heart_rate_review},
            REVIEW,
        )
    if check["spo2"] < p.predose_spo2_stop:
        add(
            "spo2",
            _("SpO2 %(v)s%% is below %(min)s%%.")
            % {"v": check["spo2"], "min": p.predose_spo2_stop},
        )
    test = check["pregnancy_test"]
    if test == "positive":
        add("pregnancy_test", _("The pregnancy test is positive: no ketamine (FACTS.md §3.2)."))
    elif pregnancy_applicable and p.pregnancy_test_each_session and test != "negative":
        add("pregnancy_test", _("A negative pregnancy test is needed before each session."))
    flagged = flagged_medications(check["medication_changes"], p.flagged_medication_classes)
    if flagged:
        add(
            "medication_changes",
            _("Medication change to review: %(meds)s.") % {"meds": "; ".join(flagged)},
            REVIEW,
        )
    if check["substance_use_last_24h"]:
        add(
            "substance_use_last_24h",
            _("Alcohol or drugs in the last 24 hours: a prescriber reviews before dosing."),
            REVIEW,
        )
    if not (check["intentions"] or "").strip():
        add("intentions", _("Record the client's intentions for this session."))
    if not check["escort_confirmed"]:
        add("escort_confirmed", _("An escort must be present or on the way."))
    if not check["ride_home_confirmed"]:
        add("ride_home_confirmed", _("Confirm the ride home: the client must not drive today."))
    # The pre-session questionnaires are not judged here from a ticked box: the dose gate asks
    # Measures for the responses themselves (kapcare.dosing.gates.missing_measures).
    item9 = check.get("phq9_item9")
    if item9 is not None and item9 >= p.phq9_item9_review:
        add(
            "phq9_item9",
            _("PHQ-9 item 9 is %(v)s: a prescriber reviews suicide risk before dosing.")
            % {"v": item9},
            REVIEW,
        )
    return out


def check_blocks(problems: Iterable[Mapping[str, str]], cleared: bool) -> list[str]:
    """The reasons a recorded check blocks dosing: every STOP, and REVIEW until cleared."""
    return [
        p["message"]
        for p in problems
        if p["severity"] == STOP or (p["severity"] == REVIEW and not cleared)
    ]


# --- Doses and limits (FACTS.md §4.1) -------------------------------------------------------


def _num(value: Any) -> str:
    return format(Decimal(value).normalize(), "f")


def session_dose_mg(
    *, dose_mg: Decimal | None, dose_mg_per_kg: Decimal | None, weight_kg: Decimal | None
) -> Decimal | None:
    """The dose in mg for this session: as ordered, or mg/kg × today's weight (to 0.1 mg).
    None when the order is per kg and no weight has been measured yet."""
    if dose_mg is not None:
        return Decimal(dose_mg)
    if weight_kg is None:
        return None
    # An order carries either dose_mg or dose_mg_per_kg (the DoseOrder check constraint).
    assert dose_mg_per_kg is not None
    return (Decimal(dose_mg_per_kg) * Decimal(weight_kg)).quantize(MG_PLACES, ROUND_HALF_UP)


def limit_findings(
    *,
    route: str,
    limits: Mapping[str, Decimal | None],
    dose_mg: Decimal | None = None,
    mg_per_kg: Decimal | None = None,
    infusion_minutes: int | None = None,
    min_infusion_minutes: int | None = None,
) -> list[str]:
    """Each per-route limit the dose crosses, in words. Unknown values are not judged (a fixed
    mg dose is judged per kg once the client is weighed)."""
    found = []

    def below(value, bound, unit):
        if value is not None and bound is not None and Decimal(value) < Decimal(bound):
            found.append(
                _("%(v)s %(u)s is below the minimum %(b)s %(u)s")
                % {"v": _num(value), "b": _num(bound), "u": unit}
            )

    def above(value, bound, unit):
        if value is not None and bound is not None and Decimal(value) > Decimal(bound):
            found.append(
                _("%(v)s %(u)s is above the maximum %(b)s %(u)s")
                % {"v": _num(value), "b": _num(bound), "u": unit}
            )

    below(dose_mg, limits.get("min_mg"), "mg")
    above(dose_mg, limits.get("max_mg"), "mg")
    if mg_per_kg is not None:
        mg_per_kg = Decimal(mg_per_kg).quantize(Decimal("0.001"), ROUND_HALF_UP)
    below(mg_per_kg, limits.get("min_mg_per_kg"), "mg/kg")
    above(mg_per_kg, limits.get("max_mg_per_kg"), "mg/kg")
    if (
        route == "iv"
        and infusion_minutes is not None
        and min_infusion_minutes is not None
        and infusion_minutes < min_infusion_minutes
    ):
        found.append(
            _("an infusion over %(m)s min is faster than the %(n)s min minimum")
            % {"m": infusion_minutes, "n": min_infusion_minutes}
        )
    return found


def ceiling_findings(
    *,
    limits: Mapping[str, Decimal | None],
    dose_mg: Decimal | None = None,
    mg_per_kg: Decimal | None = None,
) -> list[str]:
    """Each hard ceiling of the route the dose goes above, in words. Unlike the limits, no
    override reason lets a dose above a ceiling through (FACTS.md §4.1: by default twice the
    route's usual maximum). Unknown values are not judged."""
    found = []
    for value, bound, unit in (
        (dose_mg, limits.get("ceiling_mg"), "mg"),
        (mg_per_kg, limits.get("ceiling_mg_per_kg"), "mg/kg"),
    ):
        if value is not None and bound is not None and Decimal(value) > Decimal(bound):
            found.append(
                _("%(v)s %(u)s is above this route's hard ceiling of %(b)s %(u)s")
                % {
                    "v": _num(Decimal(value).quantize(Decimal("0.001"))),
                    "b": _num(bound),
                    "u": unit,
                }
            )
    return found


# An override is the prescriber's clinical reasoning, kept with the order for whoever gives
# the dose: a sentence of several words, not a token such as "x" or "ok".
OVERRIDE_MIN_CHARS = 20
OVERRIDE_MIN_WORDS = 4


def override_reason_problem(reason: str) -> str | None:
    """Why `reason` is not a real override reason (too short, too few words), or None."""
    text = " ".join((reason or "").split())
    words = [w for w in re.split(r"\W+", text) if any(ch.isalpha() for ch in w)]
    if len(text) < OVERRIDE_MIN_CHARS or len(words) < OVERRIDE_MIN_WORDS:
        return _(
            "Give the reason in a sentence: at least %(w)s words and %(c)s characters, saying "
            "why this dose is right for this client."
        ) % {"w": OVERRIDE_MIN_WORDS, "c": OVERRIDE_MIN_CHARS}
    return None


def order_problems(
    *,
    order: Mapping[str, Any],
    today: dt.date,
    sessions_used: int,
    weight_kg: Decimal | None,
    limits: Mapping[str, Decimal | None],
    min_infusion_minutes: int | None,
    allowed_routes: Iterable[str],
    weight_required: bool = True,
) -> list[str]:
    """Why a signed dose order does not cover a dose today (empty when it does). Away from the
    chair (`weight_required` False) a per-kg dose is not judged until the client is weighed."""
    out = []
    if order["cancelled"]:
        out.append(_("The dose order was cancelled: %(r)s") % {"r": order["cancel_reason"]})
    if order["valid_until"] < today:
        out.append(
            _("The dose order expired after %(d)s.") % {"d": order["valid_until"].isoformat()}
        )
    if sessions_used >= order["sessions_authorised"]:
        out.append(
            _("All %(n)s sessions of the dose order are used.")
            % {"n": order["sessions_authorised"]}
        )
    if order["route"] not in set(allowed_routes):
        out.append(_("This product is not given by this route."))
    dose = session_dose_mg(
        dose_mg=order["dose_mg"], dose_mg_per_kg=order["dose_mg_per_kg"], weight_kg=weight_kg
    )
    if dose is None:
        if weight_required:
            out.append(_("Record today's weight in the pre-dose checks to work out the dose."))
        return out
    per_kg = order["dose_mg_per_kg"]
    if per_kg is None and weight_kg:
        per_kg = Decimal(dose) / Decimal(weight_kg)
    ceilings = ceiling_findings(limits=limits, dose_mg=dose, mg_per_kg=per_kg)
    if ceilings:
        out.append(
            _("Today's dose is above the hard ceiling (%(f)s): no override allows it.")
            % {"f": "; ".join(ceilings)}
        )
    findings = limit_findings(
        route=order["route"],
        limits=limits,
        dose_mg=dose,
        mg_per_kg=per_kg,
        infusion_minutes=order["infusion_minutes"],
        min_infusion_minutes=min_infusion_minutes,
    )
    if findings and not (order["override_reason"] or "").strip():
        out.append(
            _(
                "Today's dose is outside the protocol's limits (%(f)s): a prescriber's override is needed."
            )
            % {"f": "; ".join(findings)}
        )
    return out


def units_to_open(amount_mg: Decimal, mg_per_unit: Decimal) -> int:
    """How many vials, devices or lozenges are opened for `amount_mg`."""
    return math.ceil(Decimal(amount_mg) / Decimal(mg_per_unit))


def remainder_mg(amount_mg: Decimal, mg_per_unit: Decimal) -> Decimal:
    """What is left of the opened units after the dose: it goes to witnessed waste."""
    return units_to_open(amount_mg, mg_per_unit) * Decimal(mg_per_unit) - Decimal(amount_mg)


def infusion_rate_mg_per_hour(amount_mg: Decimal, minutes: int) -> Decimal:
    return (Decimal(amount_mg) * 60 / Decimal(minutes)).quantize(Decimal("0.01"), ROUND_HALF_UP)


# --- Waste (FACTS.md §5.7) ------------------------------------------------------------------

WASTE_STEP = Decimal("0.01")


def waste_problem(
    *,
    quantity_mg: Decimal | None,
    dose_mg: Decimal,
    undelivered_mg: Decimal,
    remainder_mg: Decimal,
) -> str | None:
    """Why `quantity_mg` cannot be wasted as "drawn but not given", or None when it can.

    Drawn = dose + the rest of the opened units (wasted at once). Waste of the dose moves mg
    from given to wasted, so given + wasted = drawn holds; it is refused beyond what is still
    counted as given, and finer than 0.01 mg (what the records hold)."""
    if quantity_mg is None:
        return _("Enter an amount of more than 0 mg.")
    quantity = Decimal(quantity_mg)
    if not quantity.is_finite() or quantity <= 0:
        return _("Enter an amount of more than 0 mg.")
    given = Decimal(dose_mg) - Decimal(undelivered_mg)
    if quantity > given:
        drawn = Decimal(dose_mg) + Decimal(remainder_mg)
        wasted = Decimal(remainder_mg) + Decimal(undelivered_mg)
        return _(
            "%(drawn)s mg was drawn: %(given)s mg counted as given and %(wasted)s mg already "
            "wasted. At most %(given)s mg more can be wasted."
        ) % {"drawn": _num(drawn), "given": _num(given), "wasted": _num(wasted)}
    if quantity != quantity.quantize(WASTE_STEP):
        return _("Enter the amount to 0.01 mg.")
    return None
