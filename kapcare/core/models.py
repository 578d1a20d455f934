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


class StatusChange(models.Model):
    """One step of a record through its state machine (kapcare.core.transitions): from what,
    to what, why, who and when. A subclass adds the foreign key to its record (the machine's
    `history_owner`) and declares `from_status` and `to_status` with its own status choices."""

    from_status = models.CharField(max_length=20, blank=True)
    to_status = models.CharField(max_length=20)
    reason = models.TextField(blank=True)
    changed_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    changed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        abstract = True
        ordering = ["changed_at", "id"]

    def __str__(self) -> str:
        return f"{self.from_status or '—'} → {self.to_status}"
