"""The people the clinic cares for, and who cares for each of them."""

from django.conf import settings
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kapcare.accounts.models import Role


class ClientStatus(models.TextChoices):
    PROSPECTIVE = "prospective", _("Prospective")
    ACTIVE = "active", _("In care")
    ON_HOLD = "on_hold", _("On hold")
    DISCHARGED = "discharged", _("Discharged")


class Client(models.Model):
    clinic = models.ForeignKey("accounts.Clinic", on_delete=models.PROTECT, related_name="clients")
    first_name = models.CharField(_("first name"), max_length=100)
    last_name = models.CharField(_("last name"), max_length=100)
    preferred_name = models.CharField(_("preferred name"), max_length=100, blank=True)
    date_of_birth = models.DateField(_("date of birth"))
    pronouns = models.CharField(_("pronouns"), max_length=40, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    address = models.TextField(_("address"), blank=True)
    emergency_contact_name = models.CharField(_("emergency contact"), max_length=200, blank=True)
    emergency_contact_relationship = models.CharField(_("relationship"), max_length=100, blank=True)
    emergency_contact_phone = models.CharField(
        _("emergency contact phone"), max_length=40, blank=True
    )
    status = models.CharField(
        _("status"), max_length=20, choices=ClientStatus.choices, default=ClientStatus.PROSPECTIVE
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["last_name", "first_name", "id"]
        indexes = [
            models.Index(
                "clinic", Lower("last_name"), Lower("first_name"), name="client_clinic_name"
            ),
            models.Index(fields=["clinic", "status"], name="client_clinic_status"),
            # The client list's order (Meta.ordering), so a page of it is an index range scan.
            models.Index(
                fields=["clinic", "last_name", "first_name", "id"], name="client_list_order"
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=ClientStatus.values), name="client_status_valid"
            ),
        ]

    def __str__(self) -> str:
        return self.full_name

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}"

    @property
    def display_name(self) -> str:
        """The name to greet the client by, with the legal name alongside when it differs."""
        if self.preferred_name and self.preferred_name != self.first_name:
            return f"{self.preferred_name} ({self.first_name}) {self.last_name}"
        return self.full_name


CARE_TEAM_ROLES = [Role.THERAPIST, Role.PRESCRIBER, Role.NURSE]


class CareTeamMember(models.Model):
    """A clinician on one client's care team: being on it lets a clinician see the client."""

    clinic = models.ForeignKey("accounts.Clinic", on_delete=models.PROTECT, related_name="+")
    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="care_team")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="care_team_memberships"
    )
    role = models.CharField(
        _("role on the team"), max_length=20, choices=[(r.value, r.label) for r in CARE_TEAM_ROLES]
    )
    added_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["role", "user__full_name"]
        constraints = [
            models.UniqueConstraint(
                fields=["client", "user", "role"], name="care_team_unique_member_role"
            ),
            models.CheckConstraint(
                condition=models.Q(role__in=[r.value for r in CARE_TEAM_ROLES]),
                name="care_team_role_valid",
            ),
        ]
        indexes = [models.Index(fields=["clinic", "user"], name="care_team_clinic_user")]

    def __str__(self) -> str:
        return f"{self.user} ({self.get_role_display()}) for client {self.client_id}"
