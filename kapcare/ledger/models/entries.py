"""The ledger itself: hash-chained, append-only entries, one chain per clinic, and the running
balance of each lot at each location."""

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kapcare.audit.hashchain import GENESIS_HASH


class EntryKind(models.TextChoices):
    RECEIPT = "receipt", _("Receipt")
    TRANSFER_OUT = "transfer_out", _("Transfer out")
    TRANSFER_IN = "transfer_in", _("Transfer in")
    ADMINISTRATION = "administration", _("Administration")
    WASTE = "waste", _("Waste")
    DISPOSAL = "disposal", _("Return or disposal")
    LOSS = "loss", _("Theft or loss")
    COUNT = "count", _("Physical count")
    ADJUSTMENT = "adjustment", _("Adjustment (discrepancy)")
    CORRECTION = "correction", _("Correction")


INFLOWS = (EntryKind.RECEIPT, EntryKind.TRANSFER_IN)
OUTFLOWS = (
    EntryKind.TRANSFER_OUT,
    EntryKind.ADMINISTRATION,
    EntryKind.WASTE,
    EntryKind.DISPOSAL,
    EntryKind.LOSS,
)
EITHER_WAY = (EntryKind.ADJUSTMENT, EntryKind.CORRECTION)
WITNESSED = (EntryKind.WASTE, EntryKind.COUNT, EntryKind.ADJUSTMENT, EntryKind.CORRECTION)


class DisposalMethod(models.TextChoices):
    """How stock leaves other than by administration (FACTS.md §5.7)."""

    REVERSE_DISTRIBUTOR = (
        "reverse_distributor",
        _("Transfer to a DEA-registered reverse distributor"),
    )
    MANUFACTURER = "return_to_manufacturer", _("Return to the manufacturer")
    ON_SITE = "on_site_destruction", _("On-site destruction to a non-retrievable state")


class CountMethod(models.TextChoices):
    EXACT = "exact", _("Exact count or measure")
    ESTIMATED = "estimated", _("Estimated")


class LedgerChain(models.Model):
    """The head of a clinic's chain. Every append locks this row first, so appends to one
    clinic's ledger happen one at a time and each links to the one before it."""

    clinic = models.OneToOneField(
        "accounts.Clinic", on_delete=models.PROTECT, related_name="ledger_chain"
    )
    last_sequence = models.PositiveBigIntegerField(default=0)
    last_hash = models.CharField(max_length=64, default=GENESIS_HASH)
    updated_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"Chain of clinic {self.clinic_id} at #{self.last_sequence}"


class LedgerEntry(models.Model):
    """One change to one lot's balance at one location (or, for a count, a zero-change record
    of what was found there). Never updated or deleted: corrections are new entries.

    `entry_hash` is the SHA-256 of every other field (see ledger.chain.HASHED_FIELDS), the
    previous entry's hash included, so altering any entry breaks the chain after it.
    """

    # Entries are written far more often than most of their keys are searched by, so only the
    # lookups the app makes are indexed: the composite indexes below (clinic first) and the
    # keys that find an entry's companions (count, correction, case, dosing session).
    clinic = models.ForeignKey(
        "accounts.Clinic", on_delete=models.PROTECT, related_name="+", db_index=False
    )
    sequence = models.PositiveBigIntegerField()
    kind = models.CharField(max_length=16, choices=EntryKind.choices)
    lot = models.ForeignKey(
        "ledger.Lot", on_delete=models.PROTECT, related_name="entries", db_index=False
    )
    location = models.ForeignKey(
        "ledger.Location", on_delete=models.PROTECT, related_name="entries", db_index=False
    )
    # The signed change to the lot's balance at this location (negative for stock going out).
    quantity_mg = models.DecimalField(max_digits=12, decimal_places=3)
    quantity_units = models.DecimalField(max_digits=12, decimal_places=4)
    volume_ml = models.DecimalField(max_digits=12, decimal_places=3, null=True, blank=True)
    balance_after_mg = models.DecimalField(max_digits=12, decimal_places=3)
    occurred_at = models.DateTimeField()
    recorded_at = models.DateTimeField(default=timezone.now)
    actor = models.ForeignKey(
        "accounts.User",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
    )
    # Snapshots, so the entry still names people if an account is renamed later.
    actor_label = models.CharField(max_length=200)
    witness = models.ForeignKey(
        "accounts.User",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
    )
    witness_label = models.CharField(max_length=200, blank=True)
    client = models.ForeignKey(
        "clients.Client",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
    )
    # The dosing session's id, opaque to the ledger (dosing sits above it): only the dosing
    # app's services record an administration or a session's waste, with a real session.
    dosing_session_id = models.PositiveBigIntegerField(null=True, blank=True, db_index=True)
    # The dose order's id. A plain number rather than a foreign key: the dosing app's DoseOrder
    # is being built alongside this app; a migration can turn it into a key once both exist.
    dose_order_ref = models.PositiveBigIntegerField(null=True, blank=True)
    counterpart_location = models.ForeignKey(
        "ledger.Location",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
    )
    # A transfer's incoming half names its outgoing half.
    related_entry = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="+", db_index=False
    )
    corrects = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="corrections"
    )
    count = models.ForeignKey(
        "ledger.Count", on_delete=models.PROTECT, null=True, blank=True, related_name="entries"
    )
    expected_mg = models.DecimalField(max_digits=12, decimal_places=3, null=True, blank=True)
    counted_mg = models.DecimalField(max_digits=12, decimal_places=3, null=True, blank=True)
    count_method = models.CharField(max_length=10, choices=CountMethod.choices, blank=True)
    # Inventories (FACTS.md §5.3) record sealed commercial containers apart from opened ones.
    sealed_containers = models.PositiveIntegerField(null=True, blank=True)
    discrepancy_case = models.ForeignKey(
        "ledger.DiscrepancyCase",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="adjustments",
    )
    # Waste method, or the disposal route (reverse distributor, on-site destruction…).
    method = models.CharField(max_length=40, blank=True)
    # Invoice or packing slip, DEA Form 41 or 106 reference, reverse distributor's invoice.
    reference = models.CharField(max_length=120, blank=True)
    reason = models.TextField(blank=True)
    prev_hash = models.CharField(max_length=64)
    entry_hash = models.CharField(max_length=64)

    class Meta:
        ordering = ["-sequence"]
        verbose_name_plural = "ledger entries"
        constraints = [
            models.UniqueConstraint(fields=["clinic", "sequence"], name="ledger_entry_sequence"),
            models.CheckConstraint(
                condition=Q(balance_after_mg__gte=0), name="ledger_entry_balance_not_negative"
            ),
            models.CheckConstraint(
                condition=~Q(kind__in=INFLOWS) | Q(quantity_mg__gt=0),
                name="ledger_entry_inflow_positive",
            ),
            models.CheckConstraint(
                condition=~Q(kind__in=OUTFLOWS) | Q(quantity_mg__lt=0),
                name="ledger_entry_outflow_negative",
            ),
            models.CheckConstraint(
                condition=~Q(kind__in=EITHER_WAY) | ~Q(quantity_mg=0),
                name="ledger_entry_adjustment_nonzero",
            ),
            models.CheckConstraint(
                condition=~Q(kind=EntryKind.COUNT)
                | (Q(quantity_mg=0) & Q(counted_mg__isnull=False) & Q(expected_mg__isnull=False)),
                name="ledger_entry_count_complete",
            ),
            models.CheckConstraint(
                condition=~Q(kind__in=WITNESSED) | Q(witness__isnull=False),
                name="ledger_entry_witnessed",
            ),
            models.CheckConstraint(
                condition=Q(witness__isnull=True) | ~Q(witness=models.F("actor")),
                name="ledger_entry_no_self_witness",
            ),
            models.CheckConstraint(
                condition=~Q(kind=EntryKind.ADMINISTRATION)
                | (Q(client__isnull=False) & Q(dosing_session_id__isnull=False)),
                name="ledger_entry_administration_linked",
            ),
            models.CheckConstraint(
                condition=~Q(kind=EntryKind.ADJUSTMENT) | Q(discrepancy_case__isnull=False),
                name="ledger_entry_adjustment_has_case",
            ),
            models.CheckConstraint(
                condition=~Q(kind=EntryKind.CORRECTION) | Q(corrects__isnull=False),
                name="ledger_entry_correction_names_entry",
            ),
            models.CheckConstraint(
                condition=~Q(kind=EntryKind.RECEIPT) | ~Q(reference=""),
                name="ledger_entry_receipt_reference",
            ),
            models.CheckConstraint(
                condition=Q(kind__in=EntryKind.values), name="ledger_entry_kind_valid"
            ),
        ]
        indexes = [
            models.Index(fields=["clinic", "lot", "sequence"], name="ledger_entry_lot"),
            models.Index(fields=["clinic", "occurred_at"], name="ledger_entry_time"),
            models.Index(fields=["clinic", "client", "occurred_at"], name="ledger_entry_client"),
            models.Index(fields=["clinic", "location", "sequence"], name="ledger_entry_location"),
        ]

    def __str__(self) -> str:
        return f"#{self.sequence} {self.get_kind_display()} {self.quantity_mg} mg"


class Balance(models.Model):
    """How much of a lot is at a location now: the sum of its entries, kept up to date in the
    same transaction as each entry, under a row lock. Never below zero."""

    clinic = models.ForeignKey("accounts.Clinic", on_delete=models.PROTECT, related_name="+")
    lot = models.ForeignKey("ledger.Lot", on_delete=models.PROTECT, related_name="balances")
    location = models.ForeignKey(
        "ledger.Location", on_delete=models.PROTECT, related_name="balances"
    )
    quantity_mg = models.DecimalField(max_digits=12, decimal_places=3, default=0)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["location_id", "lot_id"]
        constraints = [
            models.UniqueConstraint(fields=["lot", "location"], name="ledger_balance_unique"),
            models.CheckConstraint(
                condition=Q(quantity_mg__gte=0), name="ledger_balance_not_negative"
            ),
        ]
        indexes = [models.Index(fields=["clinic", "location"], name="ledger_balance_location")]

    def __str__(self) -> str:
        return f"{self.quantity_mg} mg of lot {self.lot_id} at location {self.location_id}"
