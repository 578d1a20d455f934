"""Informed consent: versioned documents per clinic, signatures, withdrawal."""

import hashlib

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kapcare.consent.defaults import DEFAULT_BODY, DEFAULT_TITLE
from kapcare.core.versioning import VersionedSettings, unique_version


class ConsentDocument(VersionedSettings):
    """One published version of the clinic's KAP treatment consent. Never edited after
    publication: a change is a new version, and clients must sign it before their next dose."""

    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("text"))

    settings_name = "consent document"

    class Meta(VersionedSettings.Meta):
        constraints = [unique_version("consent_version_unique")]

    @classmethod
    def shipped_defaults(cls, clinic_id: int):
        return cls(clinic_id=clinic_id, version=0, title=DEFAULT_TITLE, body=DEFAULT_BODY)

    def settings_state(self) -> dict[str, str]:
        # The text itself is too long for a diff line: its length and fingerprint say it changed.
        digest = hashlib.sha256(self.body.encode()).hexdigest()[:12]
        return {"Title": self.title, "Text": f"{len(self.body)} characters, sha256 {digest}…"}

    def __str__(self) -> str:
        return f"{self.title} (version {self.version})"


class WithdrawalChannel(models.TextChoices):
    """How the client told the clinic they withdraw consent."""

    IN_PERSON = "in_person", _("The client, in person")
    IN_WRITING = "in_writing", _("In writing (letter or signed note)")
    PHONE = "phone", _("By phone")
    MESSAGE = "message", _("By e-mail or portal message")
    REPRESENTATIVE = "representative", _("Through someone authorised to act for the client")


class ConsentSignature(models.Model):
    clinic = models.ForeignKey("accounts.Clinic", on_delete=models.PROTECT, related_name="+")
    client = models.ForeignKey(
        "clients.Client", on_delete=models.PROTECT, related_name="consent_signatures"
    )
    document = models.ForeignKey(ConsentDocument, on_delete=models.PROTECT, related_name="+")
    typed_name = models.CharField(_("full name, typed as signature"), max_length=200)
    agreed = models.BooleanField()
    # SHA-256 of the exact text shown, so the signature provably refers to those words.
    text_sha256 = models.CharField(max_length=64)
    signed_at = models.DateTimeField(default=timezone.now)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)
    witnessed_by = models.ForeignKey(
        "accounts.User",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("Staff member present when signed in the clinic; empty for a link."),
    )
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    withdrawal_reason = models.TextField(blank=True)
    # Blank only on withdrawals recorded before the channel was asked for.
    withdrawal_requested_via = models.CharField(
        _("who asked, and how"), max_length=16, choices=WithdrawalChannel.choices, blank=True
    )
    withdrawal_recorded_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-signed_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(agreed=True), name="signature_agreed"),
        ]

    def __str__(self) -> str:
        return f"Consent v{self.document.version} signed by {self.typed_name}"
