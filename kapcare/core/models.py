from django.db import models
from django.utils import timezone


class RateLimitHit(models.Model):
    """One counted attempt against a rate limit (kapcare.core.ratelimit).

    `key` is a keyed hash of the limit's scope and the identity it counts (an address, an
    e-mail address): enough to count, useless to identify. Rows older than their window are
    deleted as new attempts arrive.
    """

    key = models.CharField(max_length=64)
    at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        indexes = [models.Index(fields=["key", "at"], name="core_ratelimit_key_at")]

    def __str__(self) -> str:
        return f"{self.key[:12]}… at {self.at:%Y-%m-%d %H:%M:%S}"
