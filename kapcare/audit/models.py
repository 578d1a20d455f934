"""AuditEvent: who did what to which client's information, when and from where. Append-only."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kapcare.audit.hashchain import GENESIS_HASH

# The chain of events that happened before a clinic was chosen (failed sign-ins, lockouts).
NO_CLINIC = 0


class AuditAction(models.TextChoices):
    VIEW = "view", _("Viewed")
    LIST = "list", _("Listed")
    CREATE = "create", _("Created")
    UPDATE = "update", _("Changed")
    DELETE = "delete", _("Removed")
    EXPORT = "export", _("Exported")
    LOGIN = "login", _("Signed in")
    LOGIN_FAILED = "login_failed", _("Sign-in failed")
    LOGOUT = "logout", _("Signed out")
    LOCKED_OUT = "locked_out", _("Locked out")
    MFA_ENROLLED = "mfa_enrolled", _("Enrolled MFA")
    MFA_VERIFIED = "mfa_verified", _("Passed MFA")
    MFA_FAILED = "mfa_failed", _("Failed MFA")


class AuditEvent(models.Model):
    clinic = models.ForeignKey(
        "accounts.Clinic", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("Empty when kapcare itself acted."),
    )
    # A snapshot, so the row still says who acted if the account is later renamed.
    actor_label = models.CharField(max_length=254, blank=True)
    client = models.ForeignKey(
        "clients.Client", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    action = models.CharField(max_length=20, choices=AuditAction.choices)
    object_type = models.CharField(max_length=60, blank=True)
    object_id = models.CharField(max_length=64, blank=True)
    summary = models.CharField(max_length=300, blank=True)
    details = models.JSONField(default=dict, blank=True)
    occurred_at = models.DateTimeField(default=timezone.now, db_index=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)
    request_id = models.CharField(max_length=64, blank=True)
    # Hash chain per clinic (kapcare/audit/chain.py): 1, 2, 3… and the SHA-256 of the row's
    # content including the previous event's hash. 0 and "" on a row not written by kapcare.
    sequence = models.PositiveBigIntegerField(default=0)
    prev_hash = models.CharField(max_length=64, blank=True)
    entry_hash = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ["-occurred_at", "-id"]
        indexes = [
            models.Index(fields=["clinic", "sequence"], name="audit_clinic_sequence"),
            models.Index(fields=["clinic", "-occurred_at"], name="audit_clinic_time"),
            models.Index(fields=["clinic", "client", "-occurred_at"], name="audit_client_time"),
            models.Index(fields=["clinic", "actor", "-occurred_at"], name="audit_actor_time"),
            # The audit page's action filter: a rare action ("export") is found by the index,
            # not by reading the clinic's whole trail newest first until fifty turn up.
            models.Index(fields=["clinic", "action", "-occurred_at"], name="audit_action_time"),
        ]

    def __str__(self) -> str:
        return (
            f"{self.occurred_at:%Y-%m-%d %H:%M} {self.actor_label} {self.action} {self.object_type}"
        )


class AuditChain(models.Model):
    """The head of one audit chain: a clinic's (`scope` = its id) or the no-clinic chain
    (`scope` = NO_CLINIC). Every append locks this row for as long as the INSERT takes."""

    scope = models.PositiveBigIntegerField(unique=True)
    last_sequence = models.PositiveBigIntegerField(default=0)
    last_hash = models.CharField(max_length=64, default=GENESIS_HASH)

    def __str__(self) -> str:
        return f"audit chain {self.scope} at #{self.last_sequence}"
