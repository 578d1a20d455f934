"""Per-clinic registrant details and ledger settings (each a clinic-configurable default)."""

import datetime as dt

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

# FACTS.md §5.2: federal retention is at least 2 years from the record; states may ask for more.
MIN_RETENTION_YEARS = 2


class Registrant(models.Model):
    """The DEA registration the clinic's records are kept under (FACTS.md §5.1, §5.8: one
    registration per location, its number on every record)."""

    clinic = models.OneToOneField(
        "accounts.Clinic", on_delete=models.PROTECT, related_name="ledger_registrant"
    )
    name = models.CharField(_("registrant name"), max_length=200)
    dea_number = models.CharField(_("DEA registration number"), max_length=9)
    dea_expires_on = models.DateField(_("DEA registration expires"), null=True, blank=True)
    state_license = models.CharField(
        _("state controlled-substance licence"), max_length=40, blank=True
    )
    address_line1 = models.CharField(_("address"), max_length=200)
    address_line2 = models.CharField(_("address line 2"), max_length=200, blank=True)
    city = models.CharField(_("city"), max_length=100)
    region = models.CharField(_("state"), max_length=100)
    postal_code = models.CharField(_("postal code"), max_length=20)
    updated_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"{self.name} ({self.dea_number})"

    @property
    def address(self) -> str:
        parts = [self.address_line1, self.address_line2, self.city, self.region, self.postal_code]
        return ", ".join(p for p in parts if p)


class LedgerSettings(models.Model):
    """How the clinic runs its ledger. Defaults follow FACTS.md §5; each can be changed."""

    clinic = models.OneToOneField(
        "accounts.Clinic", on_delete=models.PROTECT, related_name="ledger_settings"
    )
    count_at_opening = models.BooleanField(
        _("count every location at the start of the clinic day"), default=True
    )
    count_at_closing = models.BooleanField(
        _("count every location at the end of the clinic day"), default=True
    )
    day_opens_at = models.TimeField(_("clinic day starts"), default=dt.time(8, 0))
    day_closes_at = models.TimeField(_("clinic day ends"), default=dt.time(18, 0))
    # FACTS.md §5.3 practical note: federal rules allow an estimated count of opened CIII
    # containers, but many boards expect exact volumes for open vials [?]; exact by default.
    exact_count_for_open_containers = models.BooleanField(
        _("count opened containers exactly (no estimates)"), default=True
    )
    retention_years = models.PositiveSmallIntegerField(
        _("keep ledger records for (years)"),
        default=MIN_RETENTION_YEARS,
        validators=[MinValueValidator(MIN_RETENTION_YEARS), MaxValueValidator(50)],
        help_text=_("At least 2 (21 CFR 1304.04(a)); your state may require longer."),
    )
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name_plural = "ledger settings"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(retention_years__gte=MIN_RETENTION_YEARS),
                name="ledger_retention_at_least_two_years",
            ),
            models.CheckConstraint(
                condition=models.Q(day_closes_at__gt=models.F("day_opens_at")),
                name="ledger_day_closes_after_it_opens",
            ),
        ]

    def __str__(self) -> str:
        return f"Ledger settings of clinic {self.clinic_id}"
