"""Who works at which clinic, and in which roles."""

import datetime
import zoneinfo

from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


def validate_time_zone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(_("%(tz)s is not a known time zone."), params={"tz": value})


class WeightUnit(models.TextChoices):
    """How the clinic's forms ask for weight. Stored in kg everywhere; converted at the form."""

    KG = "kg", _("kilograms (kg)")
    LB = "lb", _("pounds (lb)")


class Clinic(models.Model):
    name = models.CharField(_("name"), max_length=200)
    time_zone = models.CharField(
        _("time zone"),
        max_length=64,
        default="America/Los_Angeles",
        validators=[validate_time_zone],
    )
    address_line1 = models.CharField(_("address"), max_length=200, blank=True)
    address_line2 = models.CharField(_("address line 2"), max_length=200, blank=True)
    city = models.CharField(_("city"), max_length=100, blank=True)
    region = models.CharField(_("state or region"), max_length=100, blank=True)
    postal_code = models.CharField(_("postal code"), max_length=20, blank=True)
    country = models.CharField(_("country"), max_length=2, default="US")
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    # The clinic's own public site (kapcare.clients.public_views) is made from these.
    public_email = models.EmailField(_("public e-mail"), blank=True)
    about = models.TextField(
        _("about the clinic"),
        max_length=2000,
        blank=True,
        help_text=_("A few sentences for the public site's home page."),
    )
    opening_hours = models.TextField(
        _("opening hours"), max_length=1000, blank=True, help_text=_("One line per day or range.")
    )
    fees = models.TextField(
        _("fees"),
        max_length=2000,
        blank=True,
        help_text=_("What a consultation, a session and a course cost; one line each."),
    )
    weight_unit = models.CharField(
        _("weight unit on forms"),
        max_length=2,
        choices=WeightUnit.choices,
        default=WeightUnit.KG,
        help_text=_("Weights are kept in kg; forms ask in this unit and convert."),
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def zone(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.time_zone)

    @property
    def address_lines(self) -> list[str]:
        """The postal address as lines, leaving out the empty ones."""
        town = " ".join(p for p in (self.city, self.region, self.postal_code) if p)
        return [line for line in (self.address_line1, self.address_line2, town) if line]

    @staticmethod
    def lines(text: str) -> list[str]:
        return [line.strip() for line in text.splitlines() if line.strip()]

    @property
    def opening_hours_lines(self) -> list[str]:
        return self.lines(self.opening_hours)

    @property
    def fee_lines(self) -> list[str]:
        return self.lines(self.fees)

    def today(self) -> datetime.date:
        """Today's date where the clinic is: session dates are the clinic's days, not UTC's."""
        return timezone.localdate(timezone=self.zone)


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def create_user(self, email: str, password: str | None = None, **extra) -> "User":
        if not email:
            raise ValueError("An e-mail address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **extra) -> "User":
        extra.update(is_staff=True, is_superuser=True)
        return self.create_user(email, password, **extra)

    def get_by_natural_key(self, username: str) -> "User":
        return self.get(email__iexact=username)


class User(AbstractBaseUser, PermissionsMixin):
    """Anyone who signs in: clinic staff (through Membership) and, later, portal clients."""

    email = models.EmailField(_("e-mail"), unique=True)
    full_name = models.CharField(_("full name"), max_length=200)
    credentials = models.CharField(
        _("credentials"), max_length=60, blank=True, help_text=_("e.g. LCSW, MD, RN")
    )
    is_active = models.BooleanField(_("active"), default=True)
    is_staff = models.BooleanField(
        _("site operator"), default=False, help_text=_("May use the Django admin site.")
    )
    date_joined = models.DateTimeField(default=timezone.now)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["full_name"]

    class Meta:
        ordering = ["full_name"]

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        return f"{self.full_name}, {self.credentials}" if self.credentials else self.full_name

    def get_full_name(self) -> str:
        return self.full_name

    def get_short_name(self) -> str:
        """The first name, skipping a title such as "Dr." or "Mx."."""
        words = [w for w in self.full_name.split() if not w.endswith(".")]
        return words[0] if words else (self.full_name or self.email)


class Role(models.TextChoices):
    FRONT_DESK = "front_desk", _("Front desk")
    THERAPIST = "therapist", _("Therapist")
    PRESCRIBER = "prescriber", _("Prescriber")
    NURSE = "nurse", _("Nurse")
    CLINIC_ADMIN = "clinic_admin", _("Clinic admin")


class Membership(models.Model):
    """One role a user holds at one clinic; a user holding several roles has several rows."""

    clinic = models.ForeignKey(Clinic, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["clinic", "user", "role"], name="membership_unique_role_per_clinic"
            ),
            models.CheckConstraint(
                condition=models.Q(role__in=Role.values), name="membership_role_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} — {self.get_role_display()} at {self.clinic}"


class ApiToken(models.Model):
    """A bearer token another system uses to act as one member of staff at one clinic, within
    its scopes (kapcare.accounts.scopes). Only a SHA-256 of the token is kept: it is shown once,
    when issued (the token is 256 random bits, so a fast hash is as safe as a slow one)."""

    clinic = models.ForeignKey(Clinic, on_delete=models.CASCADE, related_name="api_tokens")
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    label = models.CharField(
        _("name"), max_length=100, help_text=_("What uses it, e.g. “Outcomes registry export”.")
    )
    scopes = models.CharField(_("scopes"), max_length=1000)
    # The first characters of the token, so staff can tell tokens apart without the secret.
    prefix = models.CharField(max_length=12)
    key_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    created_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    expires_at = models.DateTimeField(_("expires"))
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)
    revoked_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["clinic", "-created_at"], name="api_token_clinic_time")]

    def __str__(self) -> str:
        return f"{self.label} ({self.prefix}…)"

    def is_usable(self, now: datetime.datetime) -> bool:
        return self.revoked_at is None and self.expires_at > now
