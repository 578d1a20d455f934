"""Validators shared by forms of every app."""

from __future__ import annotations

import unicodedata

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _


def reject_control_characters(value: str) -> None:
    """A one-line identifier (a lot number, an NDC, an invoice number) holds no line breaks,
    tabs or other control characters: they end up in file names, headers and CSV cells."""
    if any(unicodedata.category(c) == "Cc" for c in value or ""):
        raise ValidationError(
            _(
                "Use letters, digits and punctuation only: no line breaks, tabs or control characters."
            ),
            code="control_characters",
        )
