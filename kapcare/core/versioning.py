"""One way to version a clinic's settings: an abstract model, one `publish()`, one `current()`.

Every clinic setting that decides care (screening rules, consent text, the care pathway, the
dosing protocol, outcome definitions, the measurement schedule and its risk-alert escalation
delay) is a `VersionedSettings` subclass. A published version never changes; a change is a new
version, so every past decision can be explained by the settings it used.

What the base guarantees, for all of them alike:
- **Numbering is serialised, the very first version too.** `publish()` locks the clinic's row
  (`select_for_update` on accounts.Clinic, which always exists) before it reads the latest
  version, so two concurrent publishes get versions N+1 and N+2 — even when there is no version
  yet to lock — never a duplicate and never an IntegrityError.
- **One error type for refusals**: `SettingsRefused`. It is a PermissionDenied (a view that
  lets it through answers 403) and a ValidationError (a form that maps service errors shows it).
- **Always an audit row**, by the person or by kapcare itself (a system actor), with a readable
  diff against the previous version ("field: old → new"); the first version is compared with
  the shipped defaults.
- **Concurrent edits**: `publish(expected_version=…)` raises ConcurrentChange
  (kapcare.core.concurrency) when another version was published after the editor was opened.

"No version yet" — one policy: the shipped defaults are version 1.
- Readers call `current()`: the latest published version, or, before the clinic has published
  any, an *unsaved* instance carrying the shipped defaults (`pk is None`, `version == 0`, which
  tells "the defaults, not published yet" apart from a published version 1 — the editor's
  concurrency token relies on that). Reading never writes.
- Code that must point at a saved version (a screening decision, a consent signature, a dosing
  session) calls `ensure_current()`: the latest version, or the shipped defaults published as
  version 1 by kapcare under the same clinic lock.
- The first publish by a person, when nothing was published, is version 1.
This keeps what every page showed before the base existed ("not published yet" where a page
said so) and the version numbers every existing caller sees.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any, ClassVar, Self, TypeVar

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kapcare.audit.models import AuditAction
from kapcare.audit.services import record_event
from kapcare.core.concurrency import check_unchanged

if TYPE_CHECKING:  # the kernel names accounts' types only for the type checker
    from kapcare.accounts.actor import Actor
    from kapcare.accounts.models import Clinic

BOOKKEEPING = frozenset({"id", "clinic", "version", "published_at", "published_by", "notes"})


class SettingsRefused(PermissionDenied, ValidationError):
    """The actor may not publish this setting (wrong role, or another clinic)."""

    def __init__(self, message: str):
        ValidationError.__init__(self, message)


def unique_version(name: str) -> models.UniqueConstraint:
    """The one version number per clinic and setting."""
    return models.UniqueConstraint(fields=["clinic", "version"], name=name)


class VersionedSettings(models.Model):
    """One published version of a clinic setting. Subclasses add the setting's fields; a
    subclass with rows of its own (rules, instruments) extends `settings_state`."""

    clinic = models.ForeignKey("accounts.Clinic", on_delete=models.PROTECT, related_name="+")
    version = models.PositiveIntegerField()
    published_at = models.DateTimeField(default=timezone.now)
    published_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    #: how the audit summary names the setting ("screening protocol")
    settings_name: ClassVar[str] = "settings"

    class Meta:
        abstract = True
        ordering = ["clinic", "-version"]
        constraints = [unique_version("%(app_label)s_%(class)s_version_unique")]

    @classmethod
    def shipped_defaults(cls, clinic_id: int) -> Self:
        """The settings kapcare ships, unsaved (version 0: not published yet)."""
        return cls(clinic_id=clinic_id, version=0)

    @classmethod
    def setting_fields(cls) -> list[models.Field]:
        return [
            f
            for f in cls._meta.concrete_fields
            if f.name not in BOOKKEEPING and not f.name.endswith("_ptr")
        ]

    def settings_state(self) -> dict[str, str]:
        """What this version sets, as {label: readable value}: what the audit diff compares."""
        state = {}
        for field in self.setting_fields():
            value = getattr(self, field.attname)
            if field.choices:
                value = dict(field.flatchoices).get(value, value)
            state[str(field.verbose_name).capitalize()] = _readable(value)
        return state


V = TypeVar("V", bound=VersionedSettings)


def _readable(value: Any) -> str:
    if value is None or value == "" or value == [] or value == {}:
        return "—"
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, list | tuple | set | frozenset):
        return ", ".join(_readable(item) for item in value)
    if isinstance(value, dict):
        return "; ".join(f"{key}: {_readable(item)}" for key, item in sorted(value.items()))
    return str(value)


def diff(before: Mapping[str, str], after: Mapping[str, str]) -> list[dict[str, str]]:
    """The settings that differ, in order, each as {field, old, new}."""
    return [
        {"field": name, "old": before.get(name, "—"), "new": after.get(name, "—")}
        for name in dict.fromkeys([*before, *after])
        if before.get(name, "—") != after.get(name, "—")
    ]


def diff_text(changes: Iterable[Mapping[str, str]]) -> str:
    return "; ".join(f"{c['field']}: {c['old']} → {c['new']}" for c in changes) or _(
        "no setting changed"
    )


def latest(
    model: type[V], clinic_id: int, *, queryset: models.QuerySet[V] | None = None
) -> V | None:
    """The clinic's latest published version, or None before the first. `queryset` (of
    `model`) adds what the caller shows with it (select_related, prefetch_related)."""
    versions = model.objects.all() if queryset is None else queryset
    return versions.filter(clinic_id=clinic_id).order_by("-version").first()


def current(model: type[V], clinic_id: int) -> V:
    """The settings in force: the latest version, or the shipped defaults (unsaved)."""
    return latest(model, clinic_id) or model.shipped_defaults(clinic_id)


def lock_clinic(model: type[VersionedSettings], clinic: Clinic) -> None:
    """Serialise every publish of the clinic's settings, including the first version: the
    clinic's row always exists, the latest version may not."""
    clinics = model._meta.get_field("clinic").related_model
    clinics._default_manager.select_for_update().filter(pk=clinic.pk).first()


def ensure_current(model: type[V], *, clinic: Clinic, publish_defaults: Callable[[], V]) -> V:
    """The latest version; the shipped defaults published as version 1 (by kapcare) when the
    clinic has none. `publish_defaults` calls `publish(…, only_if_first=True)`, which decides
    under the clinic lock, so two requests needing version 1 at once make it once."""
    return latest(model, clinic.pk) or publish_defaults()


def publish(
    model: type[V],
    *,
    clinic: Clinic,
    actor: Actor,
    roles: Iterable[str],
    refusal: str,
    build: Callable[[V | None], V],
    expected_version: str | None = None,
    conflict: Callable[[V], Mapping[str, Any]] | None = None,
    validate: Callable[[V], None] | None = None,
    save_rows: Callable[[V], None] | None = None,
    details: Mapping[str, Any] | Callable[[V, V | None], Mapping[str, Any]] | None = None,
    only_if_first: bool = False,
) -> V:
    """Publish the clinic's next version of `model`.

    `build(latest)` returns the new, unsaved version from the latest one (None before the
    first); it may raise ValidationError. With `expected_version` (the version the editor
    showed) and `conflict(latest)` (check_unchanged's current/yours/labels keywords), a version
    published since raises ConcurrentChange. `validate` runs after that check, `save_rows`
    after the version is saved (its own rows); `details` (or `details(new, previous)`) adds to the
    audit row's details. With `only_if_first` (ensure_current's version 1), a version already
    published is returned instead. Nothing is saved when any step raises.

    A person must hold one of `roles` at `clinic`; kapcare itself (a system actor of the same
    clinic) may always publish. Refusals raise SettingsRefused."""
    # Version 1 of the defaults (only_if_first) cannot fail half-way, so it needs no SAVEPOINT
    # round trips inside the caller's transaction; a real edit keeps one, so a refused or
    # invalid publish leaves the caller's transaction usable.
    with transaction.atomic(savepoint=not only_if_first):
        if actor.clinic_id != clinic.pk or (actor.user is not None and not actor.has_role(*roles)):
            raise SettingsRefused(refusal)
        lock_clinic(model, clinic)
        previous = latest(model, clinic.pk)
        if only_if_first and previous is not None:
            return previous
        new = build(previous)
        new.clinic = clinic
        new.version = (previous.version + 1) if previous else 1
        new.published_at = timezone.now()
        new.published_by = actor.user
        if previous is not None and conflict is not None:
            check_unchanged(
                expected=expected_version, token=str(previous.version), **conflict(previous)
            )
        if validate is not None:
            validate(new)
        new.save()
        if save_rows is not None:
            save_rows(new)
        before = (previous or model.shipped_defaults(clinic.pk)).settings_state()
        changes = diff(before, new.settings_state())
        extra = details(new, previous) if callable(details) else details
        record_event(
            actor=actor,
            action=AuditAction.CREATE,
            obj=new,
            summary=_("Published %(name)s version %(v)s: %(diff)s")
            % {"name": model.settings_name, "v": new.version, "diff": diff_text(changes)},
            details={**(extra or {}), "diff": changes},
        )
        return new
