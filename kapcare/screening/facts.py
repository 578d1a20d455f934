"""The facts the rules engine sees, taken from a client's intake on a given day."""

import datetime as dt
from typing import Any

from kapcare.screening.rules import age_on


def intake_facts(intake, client, day: dt.date) -> dict[str, Any]:
    return {
        "age": age_on(client.date_of_birth, day),
        "conditions": sorted(intake.conditions),
        "medications": intake.medication_list,
        "substance_use": intake.substance_use.strip(),
        "pregnancy_status": intake.pregnancy_status,
        "suicide_risk": intake.suicide_risk or None,
        "baseline_systolic": intake.baseline_systolic,
        "baseline_diastolic": intake.baseline_diastolic,
        "baseline_heart_rate": intake.baseline_heart_rate,
        # Vitals may be missing (not measured yet); a decimal is kept as a string in JSON.
        "weight_kg": None if intake.weight_kg is None else str(intake.weight_kg),
    }
