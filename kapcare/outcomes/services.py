"""Writes for outcomes: publishing a new version of a clinic's outcome settings."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from kapcare.accounts.actor import Actor
from kapcare.accounts.models import Role
from kapcare.audit.models import AuditAction
from kapcare.audit.services import record_event
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
    if not actor.has_role(Role.CLINIC_ADMIN):
        raise ValidationError(_("Only a clinic admin can publish outcome settings."))
    if baseline_rule not in BaselineRule.values:
        raise ValidationError(_("Choose how the baseline is taken."))
    unknown = set(instruments) - set(OUTCOME_INSTRUMENTS)
    if unknown:
        raise ValidationError(_("Unknown instruments: %(codes)s") % {"codes": sorted(unknown)})
    pairs = {c: m for c, m in anxiety_by_condition.items() if m}
    if any(m not in instruments for m in pairs.values()):
        raise ValidationError(_("A paired anxiety measure must be one of the instruments."))
    try:
        with transaction.atomic():
            latest = OutcomeSettings.objects.filter(clinic=actor.clinic).aggregate(
                v=Max("version")
            )["v"]
            settings = OutcomeSettings(
                clinic=actor.clinic,
                version=(latest or 0) + 1,
                baseline_rule=baseline_rule,
                anxiety_measure_by_condition=pairs,
                notes=notes,
                published_at=timezone.now(),
                published_by=actor.user,
            )
            settings.full_clean()
            settings.save()
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
            record_event(
                actor=actor,
                action=AuditAction.CREATE,
                obj=settings,
                summary=_("Published outcome settings version %(v)s") % {"v": settings.version},
                details={"baseline_rule": baseline_rule, "instruments": sorted(instruments)},
            )
    except IntegrityError as error:
        # Two admins publishing at once: the version number is unique per clinic.
        raise ValidationError(
            _("Another version was published at the same moment. Reload and try again.")
        ) from error
    return settings
