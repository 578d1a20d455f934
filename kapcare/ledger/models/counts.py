"""Physical counts and inventories, the discrepancy cases they open, and theft or loss reports."""

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class CountPurpose(models.TextChoices):
    DAILY = "daily", _("Clinic-day count")
    SPOT = "spot", _("Spot count")
    INITIAL_INVENTORY = "initial_inventory", _("Initial inventory")
    BIENNIAL_INVENTORY = "biennial_inventory", _("Biennial inventory")


INVENTORY_PURPOSES = (CountPurpose.INITIAL_INVENTORY, CountPurpose.BIENNIAL_INVENTORY)


class CountTiming(models.TextChoices):
    # FACTS.md §5.3: an inventory states whether it was taken at opening or close of business.
    OPENING = "opening", _("Start of the clinic day")
    CLOSING = "closing", _("End of the clinic day")
    NONE = "", _("During the day")


class Count(models.Model):
    """One physical count: of one location (clinic-day and spot counts) or, for an initial or
    biennial inventory, of every location at once (location empty). Its lines are the COUNT
    entries in the chain; this row is the header they share. Append-only."""

    clinic = models.ForeignKey("accounts.Clinic", on_delete=models.PROTECT, related_name="+")
    location = models.ForeignKey(
        "ledger.Location", on_delete=models.PROTECT, null=True, blank=True, related_name="counts"
    )
    purpose = models.CharField(_("purpose"), max_length=20, choices=CountPurpose.choices)
    timing = models.CharField(_("when"), max_length=8, choices=CountTiming.choices, blank=True)
    business_date = models.DateField(_("clinic day"))
    taken_at = models.DateTimeField(default=timezone.now)
    counted_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    counted_by_label = models.CharField(max_length=200)
    witness = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    witness_label = models.CharField(max_length=200)
    has_discrepancy = models.BooleanField(default=False)
    note = models.TextField(_("note"), blank=True)

    class Meta:
        ordering = ["-taken_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(purpose=CountPurpose.SPOT) | ~Q(timing=""),
                name="ledger_count_timing_given",
            ),
            models.CheckConstraint(
                condition=Q(purpose__in=INVENTORY_PURPOSES) | Q(location__isnull=False),
                name="ledger_count_location_given",
            ),
            models.CheckConstraint(
                condition=~Q(witness=models.F("counted_by")), name="ledger_count_no_self_witness"
            ),
        ]
        indexes = [
            models.Index(fields=["clinic", "business_date"], name="ledger_count_day"),
            models.Index(fields=["clinic", "purpose", "-taken_at"], name="ledger_count_purpose"),
        ]

    def __str__(self) -> str:
        return f"{self.get_purpose_display()} {self.business_date}"


class CaseStatus(models.TextChoices):
    OPEN = "open", _("Open")
    RESOLVED = "resolved", _("Resolved with an adjustment")
    OVERRIDDEN = "overridden", _("Closed without adjustment")


class DiscrepancyCase(models.Model):
    """A count found something other than the ledger expected at a location. While open it
    blocks administrations from that location; a clinic admin closes it with a witnessed
    adjustment or a recorded reason. Closed cases cannot change (trigger)."""

    clinic = models.ForeignKey("accounts.Clinic", on_delete=models.PROTECT, related_name="+")
    location = models.ForeignKey(
        "ledger.Location", on_delete=models.PROTECT, related_name="discrepancy_cases"
    )
    count = models.ForeignKey(Count, on_delete=models.PROTECT, related_name="cases")
    status = models.CharField(max_length=12, choices=CaseStatus.choices, default=CaseStatus.OPEN)
    opened_at = models.DateTimeField(default=timezone.now)
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    witness = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    reason = models.TextField(_("findings and reason"), blank=True)

    class Meta:
        ordering = ["-opened_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=CaseStatus.values), name="ledger_case_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(status=CaseStatus.OPEN)
                | (Q(closed_at__isnull=False) & Q(closed_by__isnull=False) & ~Q(reason="")),
                name="ledger_case_closed_with_reason",
            ),
            models.CheckConstraint(
                condition=~Q(status=CaseStatus.RESOLVED) | Q(witness__isnull=False),
                name="ledger_case_adjustment_witnessed",
            ),
        ]
        indexes = [models.Index(fields=["clinic", "status"], name="ledger_case_status")]

    def __str__(self) -> str:
        return f"Discrepancy at location {self.location_id} ({self.status})"


class LossKind(models.TextChoices):
    THEFT = "theft", _("Theft")
    LOSS = "loss", _("Loss")
    UNEXPLAINED = "unexplained", _("Unexplained shortage")


class LossReport(models.Model):
    """Theft or significant loss (FACTS.md §5.6): the LOSS entry takes the stock off the books;
    this row tracks the DEA notice (1 business day) and Form 106 (45 days), which are filed
    later and so are filled in afterwards."""

    clinic = models.ForeignKey("accounts.Clinic", on_delete=models.PROTECT, related_name="+")
    entry = models.OneToOneField(
        "ledger.LedgerEntry", on_delete=models.PROTECT, related_name="loss_report"
    )
    kind = models.CharField(_("what happened"), max_length=12, choices=LossKind.choices)
    discovered_at = models.DateTimeField(_("discovered at"))
    circumstances = models.TextField(_("circumstances"))
    police_report = models.CharField(_("police report number"), max_length=60, blank=True)
    dea_notified_at = models.DateTimeField(_("DEA field office notified at"), null=True, blank=True)
    form_106_reference = models.CharField(_("DEA Form 106 number"), max_length=60, blank=True)
    form_106_submitted_at = models.DateTimeField(_("Form 106 submitted at"), null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-discovered_at", "-id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} discovered {self.discovered_at:%Y-%m-%d}"
