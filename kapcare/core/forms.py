"""Form helpers shared by every app."""

from __future__ import annotations

from collections.abc import Callable, Mapping

from django import forms
from django.core.exceptions import ValidationError


def add_service_errors(
    form: forms.BaseForm,
    error: ValidationError,
    aliases: Mapping[str, str] | Callable[[str], str] | None = None,
) -> None:
    """Put a service's refusal on the form: each message at the field it names when the form has
    that field (under its alias when the form calls it something else), otherwise above the form.
    A plain message list, NON_FIELD_ERRORS and names the form lacks all go above the form, so no
    message is ever dropped."""
    if not hasattr(error, "error_dict"):
        form.add_error(None, error)
        return
    if aliases is None:
        rename: Callable[[str], str] = lambda name: name  # noqa: E731
    elif callable(aliases):
        rename = aliases
    else:
        rename = lambda name: aliases.get(name, name)  # noqa: E731
    for field, errors in error.error_dict.items():
        target = rename(field)
        form.add_error(target if target in form.fields else None, errors)
