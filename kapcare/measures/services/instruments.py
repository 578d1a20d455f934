"""Writes to instrument definitions and the clinic's measure settings.

Shipped definitions are copied into each clinic (so each clinic loads its own licensed item text
and sets its own parameters); a clinic admin may add definitions of their own. Every definition
is checked by kapcare.measures.definitions before it is stored.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kapcare.accounts.actor import Actor
from kapcare.accounts.models import Clinic, Role
from kapcare.audit.models import AuditAction
from kapcare.audit.services import record_event
from kapcare.core.versioning import ensure_current, publish
from kapcare.measures.definitions import (
    definition_errors,
    parameter_errors,
    shipped_definitions,
    shipped_versions,
)
from kapcare.measures.models import DefinitionOrigin, InstrumentDefinition, MeasureSettings
from kapcare.measures.permissions import can_manage_instruments
from kapcare.measures.rules import (
    follow_up_months_errors,
)


def _require_admin(actor: Actor) -> None:
    if not can_manage_instruments(actor):
        raise PermissionDenied(_("Only a clinic admin manages instruments and measure settings."))


def ensure_shipped_instruments(*, clinic: Clinic) -> list[InstrumentDefinition]:
    """Give `clinic` every shipped definition it lacks. Idempotent.

    Pages call this on every visit (a new clinic, or a kapcare upgrade that ships a new version,
    gets its definitions on first use), so the usual case, nothing missing, is one plain SELECT
    of the clinic's (code, version) pairs: no lock, no transaction, no write. Only a clinic that
    lacks one takes the lock and installs (see `_install_shipped`)."""
    held = set(InstrumentDefinition.objects.filter(clinic=clinic).values_list("code", "version"))
    if shipped_versions() <= held:
        return []
    return _install_shipped(clinic=clinic)


@transaction.atomic
def _install_shipped(*, clinic: Clinic) -> list[InstrumentDefinition]:
    """The install, reading what the clinic holds again under a lock of its definitions.

    A newer shipped version becomes the active one only where the active version is a shipped
    one (a clinic's own definition is never replaced), and it keeps the clinic's loaded item text
    and parameters for the items and parameters that still exist."""
    existing = {
        (d.code, d.version): d
        for d in InstrumentDefinition.objects.select_for_update().filter(clinic=clinic)
    }
    active = {d.code: d for d in existing.values() if d.is_active}
    created = []
    for data in shipped_definitions():
        if (data["code"], data["version"]) in existing:
            continue
        previous = active.get(data["code"])
        take_over = previous is None or previous.origin == DefinitionOrigin.SHIPPED
        keys = {item["key"] for item in data["items"] if item.get("text") is None}
        declared = set(data.get("parameters", {}))
        if previous is not None and take_over:
            InstrumentDefinition.objects.filter(pk=previous.pk).update(is_active=False)
        definition = InstrumentDefinition.objects.create(
            clinic=clinic,
            code=data["code"],
            version=data["version"],
            title=data["title"],
            definition=data,
            origin=DefinitionOrigin.SHIPPED,
            is_active=take_over,
            item_text={
                k: v for k, v in (previous.item_text if previous else {}).items() if k in keys
            },
            parameters={
                k: v for k, v in (previous.parameters if previous else {}).items() if k in declared
            },
        )
        created.append(definition)
    if created:
        record_event(
            actor=Actor.system(clinic),
            action=AuditAction.CREATE,
            object_type="instrumentdefinition",
            summary=_("Loaded shipped instruments: %(codes)s")
            % {"codes": ", ".join(f"{d.code} v{d.version}" for d in created)},
        )
    return created


def measure_settings(clinic: Clinic) -> MeasureSettings:
    """The clinic's current settings version; version 1 (the shipped defaults) is published
    by kapcare the first time it is needed."""
    return ensure_current(
        MeasureSettings,
        clinic=clinic,
        publish_defaults=lambda: publish(
            MeasureSettings,
            clinic=clinic,
            actor=Actor.system(clinic),
            roles=(),
            refusal="",
            build=lambda latest: MeasureSettings.shipped_defaults(clinic.pk),
            only_if_first=True,
        ),
    )


@transaction.atomic
def add_definition(*, actor: Actor, data: Any) -> InstrumentDefinition:
    """Store a clinic's own definition (or a new version of one) after checking it; it becomes
    the active version of its code."""
    _require_admin(actor)
    errors = definition_errors(data)
    if errors:
        raise ValidationError({"definition": errors})
    clinic = actor.clinic
    versions = InstrumentDefinition.objects.select_for_update().filter(
        clinic=clinic, code=data["code"]
    )
    if versions.filter(version=data["version"]).exists():
        raise ValidationError(
            {
                "definition": _("Version %(v)s of %(c)s is already loaded; give it a new version.")
                % {"v": data["version"], "c": data["code"]}
            }
        )
    versions.filter(is_active=True).update(is_active=False)
    definition = InstrumentDefinition.objects.create(
        clinic=clinic,
        code=data["code"],
        version=data["version"],
        title=data["title"],
        definition=data,
        origin=DefinitionOrigin.CLINIC,
        is_active=True,
        created_by=actor.user,
    )
    record_event(
        actor=actor,
        action=AuditAction.CREATE,
        obj=definition,
        summary=_("Added instrument %(c)s v%(v)s")
        % {"c": definition.code, "v": definition.version},
    )
    return definition


@transaction.atomic
def load_item_text(
    *, actor: Actor, definition: InstrumentDefinition, texts: dict[str, str]
) -> InstrumentDefinition:
    """Load the clinic's licensed text for every item whose text kapcare does not ship."""
    _require_admin(actor)
    if definition.clinic_id != actor.clinic_id:
        raise PermissionDenied(_("This instrument belongs to another clinic."))
    needed = [i["key"] for i in definition.definition["items"] if not i.get("text")]
    errors = {
        key: _("Give the text of item %(k)s.") % {"k": key}
        for key in needed
        if not (texts.get(key) or "").strip()
    }
    errors |= {key: _("This item's text ships with kapcare.") for key in texts if key not in needed}
    if errors:
        raise ValidationError(errors)
    locked = InstrumentDefinition.objects.select_for_update().get(pk=definition.pk)
    locked.item_text = {key: texts[key].strip() for key in needed}
    locked.item_text_loaded_at = timezone.now()
    locked.item_text_loaded_by = actor.user
    locked.save(update_fields=["item_text", "item_text_loaded_at", "item_text_loaded_by"])
    record_event(
        actor=actor,
        action=AuditAction.UPDATE,
        obj=locked,
        summary=_("Loaded licensed item text for %(c)s v%(v)s")
        % {"c": locked.code, "v": locked.version},
    )
    return locked


@transaction.atomic
def set_parameters(
    *, actor: Actor, definition: InstrumentDefinition, values: dict[str, Any]
) -> InstrumentDefinition:
    """Override declared parameters (e.g. the PCL-5 cut-point) within their declared limits.
    Later responses are scored with the new values; each response records the values it used."""
    _require_admin(actor)
    if definition.clinic_id != actor.clinic_id:
        raise PermissionDenied(_("This instrument belongs to another clinic."))
    errors = parameter_errors(definition.definition, values)
    if errors:
        raise ValidationError(errors)
    locked = InstrumentDefinition.objects.select_for_update().get(pk=definition.pk)
    before = dict(locked.parameters)
    locked.parameters = {**before, **values}
    locked.save(update_fields=["parameters"])
    record_event(
        actor=actor,
        action=AuditAction.UPDATE,
        obj=locked,
        summary=_("Changed parameters of %(c)s") % {"c": locked.code},
        details={"before": before, "after": locked.parameters},
    )
    return locked


# The settings the schedule is planned from (kapcare.measures.rules.ScheduleSettings); the
# others only shape alerts and links.
SCHEDULE_FIELDS = (
    "instruments_by_condition",
    "before_each_dose",
    "end_of_course",
    "follow_up_months",
    "pre_dose_window_days",
    "grace_days",
)
SETTINGS_FIELDS = (*SCHEDULE_FIELDS, "escalation_delay_minutes", "link_lifetime_hours")

# Called with the clinic's id once new schedule settings are committed: every course of the
# clinic is planned anew, which at a large clinic is background work (measures.tasks registers
# it; services cannot import the tasks that import them).
ScheduleChangedHook = Callable[[int], None]
SCHEDULE_SETTINGS_CHANGED: list[ScheduleChangedHook] = []


def on_schedule_settings_changed(hook: ScheduleChangedHook) -> None:
    if hook not in SCHEDULE_SETTINGS_CHANGED:
        SCHEDULE_SETTINGS_CHANGED.append(hook)


def _schedule_settings_changed(clinic_id: int) -> None:
    for hook in SCHEDULE_SETTINGS_CHANGED:
        hook(clinic_id)


@transaction.atomic
def update_measure_settings(*, actor: Actor, data: dict[str, Any]) -> MeasureSettings:
    """Publish a new version of the clinic's schedule and alert settings. When the schedule
    settings changed, the clinic's pending schedules follow in the background once this commits."""
    previous: list[MeasureSettings] = []

    def build(latest: MeasureSettings | None) -> MeasureSettings:
        previous.append(latest or MeasureSettings.shipped_defaults(actor.clinic_id))
        problem = follow_up_months_errors(data.get("follow_up_months"))
        if problem:
            raise ValidationError({"follow_up_months": problem})
        known = set(
            InstrumentDefinition.objects.filter(clinic=actor.clinic, is_active=True).values_list(
                "code", flat=True
            )
        )
        chosen = {c for codes in data["instruments_by_condition"].values() for c in codes}
        if chosen - known:
            raise ValidationError(
                {
                    "instruments_by_condition": _("Not loaded at this clinic: %(c)s")
                    % {"c": ", ".join(sorted(chosen - known))}
                }
            )
        return MeasureSettings(**{field: data[field] for field in SETTINGS_FIELDS})

    published = publish(
        MeasureSettings,
        clinic=actor.clinic,
        actor=actor,
        roles=(Role.CLINIC_ADMIN,),
        refusal=_("Only a clinic admin manages instruments and measure settings."),
        build=build,
        validate=lambda settings: settings.full_clean(exclude=["clinic"]),
        details=lambda new, latest: {
            "before": {
                f: getattr(latest or MeasureSettings.shipped_defaults(actor.clinic_id), f)
                for f in SETTINGS_FIELDS
            },
            "after": {f: getattr(new, f) for f in SETTINGS_FIELDS},
        },
    )
    if any(getattr(previous[0], f) != getattr(published, f) for f in SCHEDULE_FIELDS):
        clinic_id = actor.clinic_id
        transaction.on_commit(lambda: _schedule_settings_changed(clinic_id))
    return published
