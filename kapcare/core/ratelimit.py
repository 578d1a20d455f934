"""One rate limit for the forms anyone can hammer: sign-in, password reset, inquiries.

A sliding window of counted attempts per (scope, identity). The attempts are rows in the
database, so every gunicorn worker sees the same count: a process-local cache would give each
worker its own allowance, and the database cache's `incr` is a read followed by a write that
loses counts when requests race (exactly what a scripted attack does). Identities are stored
only as keyed hashes. Limits are configured in settings.KAPCARE_RATE_LIMITS as
{name: (attempts, window in seconds)}; 0 attempts turns a limit off.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import math
from dataclasses import dataclass

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from kapcare.core.models import RateLimitHit

# No limit looks further back than this; older rows are cleared whatever their scope.
LONGEST_WINDOW = dt.timedelta(days=1)


@dataclass(frozen=True)
class Limit:
    scope: str
    count: int
    window: dt.timedelta

    def __post_init__(self):
        if not dt.timedelta(0) < self.window <= LONGEST_WINDOW:
            raise ValueError(f"{self.scope}: a window is between a second and a day.")

    @classmethod
    def from_settings(cls, name: str) -> Limit:
        """The limit configured under `name` in settings.KAPCARE_RATE_LIMITS (read now, not at
        import, so tests and deployments can change it)."""
        count, seconds = settings.KAPCARE_RATE_LIMITS[name]
        return cls(scope=name, count=int(count), window=dt.timedelta(seconds=int(seconds)))


class RateLimited(Exception):
    """The window is full; `retry_after` seconds from now an attempt will be counted again."""

    def __init__(self, limit: Limit, retry_after: int):
        super().__init__(f"{limit.scope}: try again in {retry_after} s")
        self.limit = limit
        self.retry_after = retry_after

    @property
    def wait_text(self) -> str:
        """How long to wait, for a message to a person: "12 minutes", "40 seconds"."""
        if self.retry_after >= 60:
            minutes = math.ceil(self.retry_after / 60)
            return ngettext("%(n)s minute", "%(n)s minutes", minutes) % {"n": minutes}
        return ngettext("%(n)s second", "%(n)s seconds", self.retry_after) % {"n": self.retry_after}

    def message(self, text: str) -> str:
        """`text` followed by when to try again."""
        return _("%(text)s Try again in %(wait)s.") % {"text": text, "wait": self.wait_text}


def _key(limit: Limit, identity: str | None) -> str:
    # Addresses and e-mail addresses are compared as the forms compare them: case and
    # surrounding spaces do not make a new identity.
    normalised = str(identity or "").strip().lower()
    message = f"{limit.scope}\x00{normalised}".encode()
    return hmac.new(settings.SECRET_KEY.encode(), message, hashlib.sha256).hexdigest()


def _refusal(limit: Limit, key: str, now: dt.datetime, *, allowed: int) -> RateLimited | None:
    """A RateLimited when more than `allowed` attempts are in the window, else None."""
    in_window = RateLimitHit.objects.filter(key=key, at__gt=now - limit.window)
    count = in_window.count()
    if count <= allowed:
        return None
    # The window has room again once enough of its oldest attempts have aged out of it.
    frees_at = in_window.order_by("at").values_list("at", flat=True)[count - allowed - 1]
    wait = (frees_at + limit.window - now).total_seconds()
    return RateLimited(limit, max(1, math.ceil(wait)))


def check(limit: Limit, identity: str | None) -> None:
    """Raise RateLimited when the window is already full; count nothing."""
    if limit.count <= 0:
        return
    refusal = _refusal(limit, _key(limit, identity), timezone.now(), allowed=limit.count - 1)
    if refusal is not None:
        raise refusal


def record(limit: Limit, identity: str | None) -> None:
    """Count one attempt without refusing it (e.g. a failed sign-in, once it has failed)."""
    if limit.count <= 0:
        return
    _record(limit, _key(limit, identity), timezone.now())


def _record(limit: Limit, key: str, now: dt.datetime) -> RateLimitHit:
    RateLimitHit.objects.filter(key=key, at__lte=now - limit.window).delete()
    RateLimitHit.objects.filter(at__lte=now - LONGEST_WINDOW).delete()
    return RateLimitHit.objects.create(key=key, at=now)


def hit(limit: Limit, identity: str | None) -> None:
    """Count one attempt, or raise RateLimited (counting nothing) when the window is full.

    The attempt is written before it is counted, so requests racing each other cannot all
    slip into the last free place: each sees every attempt that started before it counted.
    """
    if limit.count <= 0:
        return
    key = _key(limit, identity)
    now = timezone.now()
    attempt = _record(limit, key, now)
    refusal = _refusal(limit, key, now, allowed=limit.count)
    if refusal is not None:
        attempt.delete()
        raise refusal
