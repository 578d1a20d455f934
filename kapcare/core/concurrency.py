"""Optimistic concurrency for every edit form of a shared record (no lost updates).

Two people open the same record's form; the first saves; the second's save must not silently
put back what the first changed. So each form carries, in a hidden field, a version token of
the record as it was shown (`state_token` of the values the form edits, or a protocol's version
number). The service, inside its transaction and with the record locked (select_for_update),
calls `check_unchanged`: if the record's token is no longer the one the form was based on, it
raises `ConcurrentChange`, which carries both versions field by field. The form layer
(`VersionedFormMixin.show_conflict`) puts it on the form: a message, the table of their saved
values beside yours (template core/partials/_conflict.html), and the new token, so saving again
is a deliberate choice made after seeing their change.

The token is a hash of the values, not a counter, so any record can use it without a column
or a migration; a change that was undone again is (rightly) no conflict.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from django import forms
from django.db import models
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kapcare.audit.hashchain import canonical_value, content_hash

VERSION_FIELD = "version_token"


def state_token(values: Mapping[str, Any]) -> str:
    """A short token that changes whenever any of `values` changes."""
    normalised = {key: _hashable(value) for key, value in values.items()}
    return content_hash(normalised)[:32]


def _hashable(value: Any) -> Any:
    if hasattr(value, "pk"):  # a model instance: its identity
        return value.pk
    if isinstance(value, set | frozenset):
        return sorted(_hashable(item) for item in value)
    try:
        canonical_value(value)
    except TypeError:
        return str(value)
    return value


@dataclass(frozen=True)
class FieldConflict:
    name: str
    label: str
    theirs: str
    yours: str


class ConcurrentChange(Exception):
    """Someone else saved the record after this form was opened. `conflicts` lists, field by
    field, their saved value and the one this form would have written; `token` is the version
    now saved (the form resubmits it to overwrite deliberately)."""

    def __init__(self, *, conflicts: list[FieldConflict], token: str, message: str = ""):
        self.conflicts = conflicts
        self.token = token
        self.message = message or _(
            "Someone else saved a change to this record after you opened it. Nothing of yours "
            "was saved. Compare their version with yours below, then save again to keep yours."
        )
        super().__init__(self.message)


def _display(value: Any, show: Callable[[str, Any], str] | None, name: str) -> str:
    if show is not None:
        return show(name, value)
    if value is None or value == "":
        return "—"
    if isinstance(value, list | tuple | set | frozenset):
        return ", ".join(str(item) for item in value) or "—"
    return str(value)


def check_unchanged(
    *,
    expected: str | None,
    current: Mapping[str, Any],
    yours: Mapping[str, Any],
    labels: Mapping[str, str] | None = None,
    token: str | None = None,
    show: Callable[[str, Any], str] | None = None,
) -> None:
    """Raise ConcurrentChange unless the record (`current`, read under the service's lock) is
    still the version `expected` that the form was based on. `token` is the record's version
    when it is not `state_token(current)` (a protocol's version number). `expected=None`
    (a caller with no form, e.g. an import) skips the check."""
    now = token if token is not None else state_token(current)
    if expected is None or expected == now:
        return
    names = list(dict.fromkeys([*current, *yours]))
    conflicts = [
        FieldConflict(
            name=name,
            label=str((labels or {}).get(name, name.replace("_", " ").capitalize())),
            theirs=_display(current.get(name), show, name),
            yours=_display(yours.get(name), show, name),
        )
        for name in names
        if _hashable(current.get(name)) != _hashable(yours.get(name))
    ]
    raise ConcurrentChange(conflicts=conflicts, token=now)


def model_fields(model: type[models.Model], names: Iterable[str]) -> dict[str, Any]:
    """Keywords for check_unchanged about `model`'s fields: their verbose names as labels, and
    a choice field's value shown as its label."""
    fields = {name: model._meta.get_field(name) for name in names}
    choices = {name: dict(field.flatchoices) for name, field in fields.items() if field.choices}

    def show(name: str, value: Any) -> str:
        if name in choices and value in choices[name]:
            return str(choices[name][value])
        return _display(value, None, name)

    labels = {name: str(field.verbose_name).capitalize() for name, field in fields.items()}
    return {"labels": labels, "show": show}


class VersionedFormMixin:
    """A form of a shared record: carries the version it was opened at (a hidden field) and
    shows a ConcurrentChange. Build it with `version=<token>`; the view passes
    `form.based_on` to the service and calls `form.show_conflict(error)` on ConcurrentChange."""

    def __init__(self, *args, version: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        # Not required: every form renders it, and a post without it (a script) is simply not
        # checked; a malformed one is refused like any bad field.
        self.fields[VERSION_FIELD] = forms.RegexField(
            regex=r"^[0-9a-f]{1,64}$",
            widget=forms.HiddenInput,
            required=False,
            initial=version,
            error_messages={
                "invalid": gettext_lazy(
                    "This form is out of date: open it again to see the record as saved now."
                )
            },
        )
        self.conflict: ConcurrentChange | None = None

    def clean(self):
        cleaned = super().clean()
        # A hidden field's error would show nowhere: put it above the form.
        if VERSION_FIELD in self._errors:
            self.add_error(None, self._errors.pop(VERSION_FIELD))
        return cleaned

    @property
    def based_on(self) -> str | None:
        """The version the form was opened at; None when the post carried none."""
        return self.cleaned_data.get(VERSION_FIELD) or None

    def show_conflict(self, error: ConcurrentChange) -> None:
        self.conflict = error
        self.add_error(None, error.message)
        # Saving again now overwrites deliberately: the form is based on the version shown.
        data = self.data.copy()
        data[self.add_prefix(VERSION_FIELD)] = error.token
        self.data = data
