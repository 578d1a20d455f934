"""Writes for outcomes: publishing a new version of a clinic's outcome settings."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from kapcare.accounts.actor import Actor
from kapcare.accounts.models import Role
from kapcare.core.versioning import publish
from kapcare.outcomes.config import OUTCOME_INSTRUMENTS
from kapcare.outcomes.models import BaselineRule, InstrumentOutcomeSettings, OutcomeSettings
from kapcare.outcomes.selectors import CONFIG_FIELDS


def publish_outcome_settings(
    *,
    actor: Actor,
    baseline_rule: str,
    anxiety_by_condition: Mapping[str, str],
    instruments: Mapping[str, Mapping[str, Any]],
    notes: str = "",
) -> OutcomeSettings:
    """Publish the clinic's next outcome settings version. Every instrument row is validated
    (model constraints and validators) before anything is saved; published versions are never
    changed, so past reports stay explainable. Clinic admins only."""
    pairs = {c: m for c, m in anxiety_by_condition.items() if m}

    def build(latest: OutcomeSettings | None) -> OutcomeSettings:
        if baseline_rule not in BaselineRule.values:
            raise ValidationError(_("Choose how the baseline is taken."))
        unknown = set(instruments) - set(OUTCOME_INSTRUMENTS)
        if unknown:
            raise ValidationError(_("Unknown instruments: %(codes)s") % {"codes": sorted(unknown)})
        if any(m not in instruments for m in pairs.values()):
            raise ValidationError(_("A paired anxiety measure must be one of the instruments."))
        return OutcomeSettings(
            baseline_rule=baseline_rule, anxiety_measure_by_condition=pairs, notes=notes
        )

    def save_rows(settings: OutcomeSettings) -> None:
        # A row that fails its checks raises, and publish's transaction saves nothing.
        rows = []
        for code, values in instruments.items():
            row = InstrumentOutcomeSettings(
                settings=settings,
                instrument_code=code,
                **{name: values.get(name) for name in CONFIG_FIELDS if name in values},
            )
            row.full_clean()
            rows.append(row)
        InstrumentOutcomeSettings.objects.bulk_create(rows)

    return publish(
        OutcomeSettings,
        clinic=actor.clinic,
        actor=actor,
        roles=(Role.CLINIC_ADMIN,),
        refusal=_("Only a clinic admin can publish outcome settings."),
        build=build,
        validate=lambda settings: settings.full_clean(),
        save_rows=save_rows,
        details={"baseline_rule": baseline_rule, "instruments": sorted(instruments)},
    )
