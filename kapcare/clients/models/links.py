"""Single-use, expiring links that let a client do one thing without an account."""

import hashlib

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class LinkPurpose(models.TextChoices):
    INTAKE = "intake", _("Fill in the intake form")
    CONSENT = "consent", _("Read and sign the consent")
    QUESTIONNAIRE = "questionnaire", _("Fill in a questionnaire")


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class ClientLink(models.Model):
    """Only the SHA-256 of the token is stored: a database leak yields no working links."""

    clinic = models.ForeignKey("accounts.Clinic", on_delete=models.PROTECT, related_name="+")
    client = models.ForeignKey("clients.Client", on_delete=models.CASCADE, related_name="links")
    purpose = models.CharField(max_length=20, choices=LinkPurpose.choices)
    token_sha256 = models.CharField(max_length=64, unique=True)
    created_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    # What the link points at when there is more than one (e.g. a consent document version).
    target_id = models.PositiveBigIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.get_purpose_display()} link for client {self.client_id}"

    def is_usable(self, at=None) -> bool:
        at = at or timezone.now()
        return self.used_at is None and at < self.expires_at
