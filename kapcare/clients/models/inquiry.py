"""Someone contacting the clinic from the public site, before they are a client."""

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class ContactMethod(models.TextChoices):
    EMAIL = "email", _("E-mail")
    PHONE = "phone", _("Phone call")
    TEXT = "text", _("Text message")


class InquiryStatus(models.TextChoices):
    NEW = "new", _("New")
    CONTACTED = "contacted", _("Contacted")
    CONVERTED = "converted", _("Became a client")
    CLOSED = "closed", _("Closed")


class Inquiry(models.Model):
    clinic = models.ForeignKey(
        "accounts.Clinic", on_delete=models.PROTECT, related_name="inquiries"
    )
    first_name = models.CharField(_("first name"), max_length=100)
    last_name = models.CharField(_("last name"), max_length=100)
    email = models.EmailField(_("e-mail"), blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    preferred_contact = models.CharField(
        _("preferred way to contact you"), max_length=10, choices=ContactMethod.choices
    )
    hopes = models.TextField(_("what you hope for"), max_length=4000, blank=True)
    consent_to_contact = models.BooleanField(_("consent to be contacted"))
    status = models.CharField(
        max_length=12, choices=InquiryStatus.choices, default=InquiryStatus.NEW
    )
    # A keyed hash of the sender's address, only for rate limiting; the address is not kept.
    source_fingerprint = models.CharField(max_length=64, blank=True, db_index=True)
    received_at = models.DateTimeField(default=timezone.now, db_index=True)
    client = models.OneToOneField(
        "clients.Client", on_delete=models.PROTECT, null=True, blank=True, related_name="inquiry"
    )
    handled_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    handled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-received_at"]
        verbose_name_plural = "inquiries"
        indexes = [models.Index(fields=["clinic", "status", "-received_at"], name="inquiry_queue")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(consent_to_contact=True), name="inquiry_has_consent"
            ),
            models.CheckConstraint(
                condition=~models.Q(email="") | ~models.Q(phone=""),
                name="inquiry_has_contact_detail",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.first_name} {self.last_name}"
