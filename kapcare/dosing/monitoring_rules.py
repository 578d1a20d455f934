"""Pure rules for monitoring and discharge: alert thresholds, the monitoring schedule and
discharge readiness. No ORM, no request; thresholds come from a protocol-like object (anything
with the DosingProtocol attribute names). Sources: ../shared/clinical/FACTS.md §1.6, §4.4, §4.5.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _

# --- Monitoring alerts (FACTS.md §4.4) ------------------------------------------------------


@dataclass(frozen=True)
class AlertFinding:
    kind: str
    message: str


def reading_alerts(
    reading: Mapping[str, int | None], *, baseline: Mapping[str, int] | None, protocol: Any
) -> list[AlertFinding]:
    """The alerts one set of readings raises under the protocol's thresholds. Blood pressure
    at or above the line, a rise from the pre-dose reading at or above the line, heart rate at
    or above, SpO2 below, sedation (MOAA/S) at or below."""
    p, out = protocol, []
    sys_, dia = reading.get("systolic"), reading.get("diastolic")
    if sys_ is not None and sys_ >= p.alert_systolic:
        out.append(
            AlertFinding(
                "systolic", _("Systolic %(v)s ≥ %(t)s") % {"v": sys_, "t": p.alert_systolic}
            )
        )
    if dia is not None and dia >= p.alert_diastolic:
        out.append(
            AlertFinding(
                "diastolic", _("Diastolic %(v)s ≥ %(t)s") % {"v": dia, "t": p.alert_diastolic}
            )
        )
    if baseline and sys_ is not None and sys_ - baseline["systolic"] >= p.alert_systolic_rise:
        out.append(
            AlertFinding(
                "systolic_rise",
                _("Systolic up %(v)s from pre-dose %(b)s (≥ %(t)s)")
                % {
                    "v": sys_ - baseline["systolic"],
                    "b": baseline["systolic"],
                    "t": p.alert_systolic_rise,
                },
            )
        )
    if baseline and dia is not None and dia - baseline["diastolic"] >= p.alert_diastolic_rise:
        out.append(
            AlertFinding(
                "diastolic_rise",
                _("Diastolic up %(v)s from pre-dose %(b)s (≥ %(t)s)")
                % {
                    "v": dia - baseline["diastolic"],
                    "b": baseline["diastolic"],
                    "t": p.alert_diastolic_rise,
                },
            )
        )
    hr = reading.get("heart_rate")
    if hr is not None and hr >= p.alert_heart_rate:
        out.append(
            AlertFinding(
                "heart_rate", _("Heart rate %(v)s ≥ %(t)s") % {"v": hr, "t": p.alert_heart_rate}
            )
        )
    spo2 = reading.get("spo2")
    if spo2 is not None and spo2 < p.alert_spo2:
        out.append(
            AlertFinding("spo2", _("SpO2 %(v)s%% < %(t)s%%") % {"v": spo2, "t": p.alert_spo2})
        )
    sedation = reading.get("sedation")
    if sedation is not None and sedation <= p.alert_sedation:
        out.append(
            AlertFinding(
                "sedation",
                _("Sedation MOAA/S %(v)s ≤ %(t)s") % {"v": sedation, "t": p.alert_sedation},
            )
        )
    return out


# --- Monitoring schedule --------------------------------------------------------------------


@dataclass(frozen=True)
class Prompt:
    kind: str  # "vitals" | "bp_peak" | "dissociation"
    label: str
    due_at: dt.datetime
    done: bool

    def overdue(self, now: dt.datetime) -> bool:
        return not self.done and now > self.due_at


def monitoring_prompts(
    *,
    dose_started_at: dt.datetime,
    interval_minutes: int,
    bp_check_minutes: int,
    dissociation_minutes: int,
    readings: Iterable[tuple[dt.datetime, bool]],
    ratings: Iterable[dt.datetime],
) -> list[Prompt]:
    """What is due next: vital signs every interval after the last reading (FACTS.md §4.4:
    q15 min), blood pressure near its expected peak (~40 min) and the dissociation rating
    (~40 min, §1.6). A reading within five minutes before a target counts for it."""
    after = [(t, bp) for t, bp in readings if t >= dose_started_at]
    last = max((t for t, _bp in after), default=dose_started_at)
    interval = dt.timedelta(minutes=interval_minutes)
    slack = dt.timedelta(minutes=5)
    bp_due = dose_started_at + dt.timedelta(minutes=bp_check_minutes)
    rating_due = dose_started_at + dt.timedelta(minutes=dissociation_minutes)
    return [
        Prompt("vitals", _("Vital signs"), last + interval, False),
        Prompt(
            "bp_peak",
            _("Blood pressure at %(m)s min") % {"m": bp_check_minutes},
            bp_due,
            any(bp and t >= bp_due - slack for t, bp in after),
        ),
        Prompt(
            "dissociation",
            _("Dissociation rating at %(m)s min") % {"m": dissociation_minutes},
            rating_due,
            any(t >= rating_due - slack for t in ratings),
        ),
    ]


# --- Discharge (FACTS.md §4.5) --------------------------------------------------------------

DISCHARGE_CRITERIA = (
    "vitals_near_baseline",
    "alert_and_oriented",
    "walking_steadily",
    "no_ongoing_nausea",
    "escort_present",
)


def observed_minutes(dose_started_at: dt.datetime, at: dt.datetime) -> int:
    return max(0, int((at - dose_started_at).total_seconds() // 60))


def vitals_off_baseline(
    *,
    baseline: Mapping[str, int],
    latest: Mapping[str, int | None],
    tolerance_pct: int,
    spo2_floor: int,
) -> list[str]:
    """Which of the latest readings are not back near the pre-dose ones (within the
    tolerance; SpO2 not below the alert line). FACTS.md §4.5: within ~20% of baseline."""
    out = []
    for field, label in (
        ("systolic", _("systolic")),
        ("diastolic", _("diastolic")),
        ("heart_rate", _("heart rate")),
    ):
        value = latest.get(field)
        if value is None:
            out.append(_("no %(what)s reading") % {"what": label})
            continue
        allowed = Decimal(baseline[field]) * Decimal(tolerance_pct) / 100
        if abs(Decimal(value) - Decimal(baseline[field])) > allowed:
            out.append(
                _("%(what)s %(v)s is more than %(pct)s%% from pre-dose %(b)s")
                % {"what": label, "v": value, "pct": tolerance_pct, "b": baseline[field]}
            )
    spo2 = latest.get("spo2")
    if spo2 is not None and spo2 < spo2_floor:
        out.append(_("SpO2 %(v)s%% is below %(t)s%%") % {"v": spo2, "t": spo2_floor})
    return out


def discharge_problems(
    *,
    observed: int,
    minimum: int,
    criteria: Mapping[str, bool],
    open_alerts: int,
    vitals_problems: list[str],
) -> dict[str, str]:
    """Why the client may not leave yet, keyed by the form field at fault (None key = whole
    form). Discharge needs the minimum observation time AND every criterion."""
    out: dict[str, str] = {}
    if observed < minimum:
        out["discharged_at"] = _(
            "Observed %(o)s min since the dose started; the protocol asks for at least %(m)s min."
        ) % {"o": observed, "m": minimum}
    for name in DISCHARGE_CRITERIA:
        if not criteria.get(name):
            out[name] = _("Not yet: discharge needs this.")
    if criteria.get("vitals_near_baseline") and vitals_problems:
        out["vitals_near_baseline"] = _("The latest readings say otherwise: %(w)s.") % {
            "w": "; ".join(vitals_problems)
        }
    if open_alerts:
        out["__all__"] = _("Acknowledge the open alerts first.")
    return out
