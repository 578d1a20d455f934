"""The one place a download's file name is put into a response.

A name may carry user data (a lot number, a client's name): it can hold CR/LF (which makes
Django refuse the header, `BadHeaderError`, for every later export of that record), quotes and
semicolons (which inject a second `filename=`), or non-ASCII letters. `content_disposition`
gives a safe ASCII `filename=` for old clients plus the exact name as RFC 6266 / RFC 5987
`filename*=UTF-8''…`. (Django's `content_disposition_header` gives one or the other and keeps
control characters, so it does not fit.)
"""

from __future__ import annotations

import re
import unicodedata
from typing import TypeVar
from urllib.parse import quote

from django.http import HttpResponseBase

R = TypeVar("R", bound=HttpResponseBase)

_UNSAFE_ASCII = re.compile(r"[^A-Za-z0-9._-]+")
FALLBACK = "download"


def _printable(name: str) -> str:
    """The name without control or format characters (CR, LF, NUL, RTL overrides…)."""
    return "".join(c for c in name if unicodedata.category(c)[0] != "C").strip()


def ascii_filename(name: str) -> str:
    """Letters, digits, '.', '_' and '-' only; accents folded, anything else a single '-'."""
    folded = unicodedata.normalize("NFKD", _printable(name)).encode("ascii", "ignore").decode()
    stem, dot, extension = folded.rpartition(".")
    if not dot:
        stem, extension = folded, ""
    stem = _UNSAFE_ASCII.sub("-", stem).strip("-.") or FALLBACK
    extension = _UNSAFE_ASCII.sub("", extension)
    return f"{stem}.{extension}" if extension else stem


def content_disposition(name: str, *, attachment: bool = True) -> str:
    disposition = "attachment" if attachment else "inline"
    exact = _printable(name) or ascii_filename(name)
    return (
        f'{disposition}; filename="{ascii_filename(name)}"; '
        f"filename*=UTF-8''{quote(exact, safe='')}"
    )


def set_download_name(response: R, name: str, *, attachment: bool = True) -> R:
    """Name the file a response downloads as (attachment) or shows as (inline)."""
    response["Content-Disposition"] = content_disposition(name, attachment=attachment)
    return response
