"""What was given in the session: the ketamine dose (on the controlled-substance ledger) and
rescue medications."""

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kapcare.dosing.models.orders import Route


class AdministrationKind(models.TextChoices):
    DOSE = "dose", _("Ketamine dose")
    RESCUE = "rescue", _("Rescue medication")


class Site(models.TextChoices):
    LEFT_ARM = "left_arm", _("Left arm / antecubital")
    RIGHT_ARM = "right_arm", _("Right arm / antecubital")
    LEFT_HAND = "left_hand", _("Left hand")
    RIGHT_HAND = "right_hand", _("Right hand")
    LEFT_DELTOID = "left_deltoid", _("Left deltoid")
    RIGHT_DELTOID = "right_deltoid", _("Right deltoid")
    LEFT_THIGH = "left_thigh", _("Left thigh")
    RIGHT_THIGH = "right_thigh", _("Right thigh")
    SUBLINGUAL = "sublingual", _("Under the tongue / buccal")
    ORAL = "oral", _("Oral")
    NOSTRILS = "nostrils", _("Both nostrils")
    OTHER = "other", _("Other")


class Administration(models.Model):
    """A medicine given in the session: the ketamine dose (posted to the controlled-substance
    ledger, with the rest of an opened unit wasted under a witness) or a rescue medication
    given for an adverse event."""

    clinic = models.ForeignKey("accounts.Clinic", on_delete=models.PROTECT, related_name="+")
    session = models.ForeignKey(
        "dosing.DosingSession", on_delete=models.PROTECT, related_name="administrations"
    )
    kind = models.CharField(max_length=8, choices=AdministrationKind.choices)
    administered_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    started_at = models.DateTimeField(_("given at"))
    stopped_at = models.DateTimeField(_("infusion stopped at"), null=True, blank=True)
    route = models.CharField(_("route"), max_length=16)
    site = models.CharField(_("site"), max_length=16, choices=Site.choices, blank=True)
    # The ketamine dose
    amount_mg = models.DecimalField(
        _("amount (mg)"), max_digits=7, decimal_places=2, null=True, blank=True
    )
    lot = models.ForeignKey(
        "ledger.Lot", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    location = models.ForeignKey(
        "ledger.Location", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    units_opened = models.PositiveSmallIntegerField(null=True, blank=True)
    # The rest of the opened units, wasted when the dose was drawn up.
    waste_mg = models.DecimalField(max_digits=8, decimal_places=2, null=True, blank=True)
    # Drawn for the dose but not given (an infusion stopped early), wasted later under a
    # witness: what the client got is amount_mg − undelivered_mg. Only the dosing service
    # record_session_waste changes it, under the session's row lock.
    undelivered_mg = models.DecimalField(max_digits=7, decimal_places=2, default=0)
    rate_mg_per_hour = models.DecimalField(
        _("infusion rate (mg/h)"), max_digits=7, decimal_places=2, null=True, blank=True
    )
    ledger_entry = models.ForeignKey(
        "ledger.LedgerEntry", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    waste_entry = models.ForeignKey(
        "ledger.LedgerEntry", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # A rescue medication
    medication = models.CharField(_("medication"), max_length=120, blank=True)
    rescue_dose = models.CharField(_("dose"), max_length=60, blank=True)
    adverse_event = models.ForeignKey(
        "dosing.AdverseEvent",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="rescue_medications",
    )
    note = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["started_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(kind="dose")
                | (
                    models.Q(amount_mg__gt=0)
                    & models.Q(lot__isnull=False)
                    & models.Q(ledger_entry__isnull=False)
                ),
                name="administration_dose_is_on_the_ledger",
            ),
            models.CheckConstraint(
                condition=~models.Q(kind="rescue")
                | (~models.Q(medication="") & models.Q(adverse_event__isnull=False)),
                name="administration_rescue_names_medication",
            ),
            models.CheckConstraint(
                condition=models.Q(stopped_at__isnull=True)
                | models.Q(stopped_at__gte=models.F("started_at")),
                name="administration_stops_after_start",
            ),
            models.UniqueConstraint(
                fields=["session"],
                condition=models.Q(kind="dose"),
                name="administration_one_dose_per_session",
            ),
            # Given + wasted = drawn: no more is wasted as "not given" than was drawn for
            # the dose.
            models.CheckConstraint(
                condition=models.Q(undelivered_mg__gte=0)
                & (
                    models.Q(amount_mg__isnull=True)
                    | models.Q(undelivered_mg__lte=models.F("amount_mg"))
                ),
                name="administration_undelivered_within_dose",
            ),
        ]

    def __str__(self) -> str:
        if self.kind == AdministrationKind.DOSE:
            return f"{self.amount_mg} mg {self.route}"
        return f"{self.medication} {self.rescue_dose}"

    @property
    def given_mg(self):
        """What the client got: the dose drawn less what was wasted as not given."""
        if self.amount_mg is None:
            return None
        return self.amount_mg - self.undelivered_mg

    @property
    def drawn_mg(self):
        """Everything taken out of stock for the dose: the dose and the rest of its units."""
        if self.amount_mg is None:
            return None
        return self.amount_mg + (self.waste_mg or 0)

    @property
    def wasted_mg(self):
        """All of it wasted: the rest of the opened units and the part not given."""
        return (self.waste_mg or 0) + self.undelivered_mg

    @property
    def is_infusion(self) -> bool:
        return self.route == Route.IV and self.kind == AdministrationKind.DOSE
