"""Writes to the dosing protocol: version 1 from the defaults, and publishing a new version."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from kapcare.accounts.actor import Actor
from kapcare.accounts.models import Clinic, Role
from kapcare.core.concurrency import model_fields
from kapcare.core.versioning import SettingsRefused, ensure_current, publish
from kapcare.dosing.defaults import PARAMETERS, ROUTES
from kapcare.dosing.models import DosingProtocol

EDITABLE = [p.name for p in PARAMETERS]


def ensure_dosing_protocol(*, clinic: Clinic) -> DosingProtocol:
    """The clinic's current version; version 1 (the FACTS.md defaults) if it has none yet."""
    return ensure_current(
        DosingProtocol,
        clinic=clinic,
        publish_defaults=lambda: publish(
            DosingProtocol,
            clinic=clinic,
            actor=Actor.system(clinic),
            roles=(),
            refusal="",
            build=lambda latest: DosingProtocol(
                notes=_("The defaults from the clinical facts sheet.")
            ),
            only_if_first=True,
        ),
    )


def protocol_errors(protocol: DosingProtocol) -> dict[str, list[str]]:
    """Field validation plus the relations between fields (a minimum below its maximum, the
    review line below the stop line)."""
    errors: dict[str, list[str]] = {}
    try:
        protocol.full_clean(exclude=["clinic", "published_by"], validate_constraints=False)
    except ValidationError as error:
        errors.update(error.message_dict)

    def pair(low: str, high: str, message: str) -> None:
        a, b = getattr(protocol, low), getattr(protocol, high)
        if a is not None and b is not None and a > b and low not in errors:
            errors.setdefault(high, []).append(message)

    for route in ROUTES:
        pair(f"{route}_min_mg", f"{route}_max_mg", _("The maximum is below the minimum."))
        pair(
            f"{route}_min_mg_per_kg",
            f"{route}_max_mg_per_kg",
            _("The maximum is below the minimum."),
        )
    for route in ROUTES:
        for unit in ("mg", "mg_per_kg"):
            pair(
                f"{route}_max_{unit}",
                f"{route}_ceiling_{unit}",
                _("The hard ceiling must be at or above the maximum."),
            )
    pair(
        "predose_systolic_review",
        "predose_systolic_stop",
        _("The stop line must be above the review line."),
    )
    pair(
        "predose_diastolic_review",
        "predose_diastolic_stop",
        _("The stop line must be above the review line."),
    )
    if protocol.predose_systolic_review == protocol.predose_systolic_stop:
        errors.setdefault("predose_systolic_stop", []).append(
            _("The stop line must be above the review line.")
        )
    return errors


@transaction.atomic
def publish_dosing_protocol(
    *, actor: Actor, values: dict[str, Any], notes: str, based_on_version: str | None = None
) -> DosingProtocol:
    """A new version with `values` (the rest carried over from the current version). Past
    sessions keep the version they were judged under. With `based_on_version` (the version the
    editor showed), raises ConcurrentChange when another version was published since, setting
    by setting, instead of silently replacing it."""
    if actor.user is not None and not actor.has_role(Role.CLINIC_ADMIN):
        # Refused before version 1 is made for the clinic, as before the shared base.
        raise SettingsRefused(_("Only a clinic admin publishes the dosing protocol."))
    ensure_dosing_protocol(clinic=actor.clinic)

    def build(latest: DosingProtocol | None) -> DosingProtocol:
        assert latest is not None  # ensured above, under the same transaction
        new = DosingProtocol(
            notes=notes.strip(), **{name: getattr(latest, name) for name in EDITABLE}
        )
        for name, value in values.items():
            if name not in EDITABLE:
                raise ValidationError(_("Unknown protocol setting: %(n)s") % {"n": name})
            setattr(new, name, value)
        if not new.notes:
            raise ValidationError({"notes": _("Say what changed and why.")})
        new.clinic, new.version = actor.clinic, latest.version + 1
        errors = protocol_errors(new)
        if errors:
            raise ValidationError(errors)
        return new

    # After the field checks (build), so a form with errors shows them first; before saving.
    return publish(
        DosingProtocol,
        clinic=actor.clinic,
        actor=actor,
        roles=(Role.CLINIC_ADMIN,),
        refusal=_("Only a clinic admin publishes the dosing protocol."),
        build=build,
        expected_version=based_on_version,
        conflict=lambda latest: {
            "current": {name: getattr(latest, name) for name in values},
            "yours": values,
            **model_fields(DosingProtocol, values),
        },
        details=lambda new, latest: {
            "changed": {
                name: str(getattr(new, name))
                for name in EDITABLE
                if getattr(new, name) != getattr(latest, name)
            }
        },
    )
