"""What the clinic stocks (products), where it is kept (locations) and which lots it holds."""

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class DosageForm(models.TextChoices):
    INJECTABLE = "injectable_solution", _("Injectable solution")
    NASAL_SPRAY = "nasal_spray", _("Nasal spray")
    LOZENGE = "sublingual_lozenge", _("Sublingual lozenge / troche")


class UnitLabel(models.TextChoices):
    VIAL = "vial", _("vial")
    DEVICE = "device", _("device")
    LOZENGE = "lozenge", _("lozenge")


class Route(models.TextChoices):
    IV = "iv", _("Intravenous")
    IM = "im", _("Intramuscular")
    SUBLINGUAL = "sublingual", _("Sublingual")
    INTRANASAL = "intranasal", _("Intranasal")


class Product(models.Model):
    """A controlled-substance product in one strength and form (FACTS.md §5.3: an inventory line
    names the substance, dosage form, strength and units per container)."""

    clinic = models.ForeignKey("accounts.Clinic", on_delete=models.PROTECT, related_name="+")
    name = models.CharField(_("name"), max_length=120, help_text=_("e.g. Ketamine HCl 50 mg/mL"))
    is_esketamine = models.BooleanField(_("esketamine"), default=False)
    dosage_form = models.CharField(_("dosage form"), max_length=24, choices=DosageForm.choices)
    concentration_mg_per_ml = models.DecimalField(
        _("concentration (mg/mL)"),
        max_digits=8,
        decimal_places=3,
        null=True,
        blank=True,
        help_text=_("Liquids only."),
    )
    volume_ml_per_unit = models.DecimalField(
        _("volume per vial (mL)"), max_digits=8, decimal_places=3, null=True, blank=True
    )
    mg_per_unit = models.DecimalField(
        _("mg per unit"),
        max_digits=10,
        decimal_places=3,
        help_text=_("Per vial, device or lozenge."),
    )
    unit_label = models.CharField(_("unit"), max_length=10, choices=UnitLabel.choices)
    units_per_container = models.PositiveIntegerField(
        _("units per commercial container"),
        default=1,
        help_text=_("1 for a vial or device; e.g. 30 for a bottle of lozenges."),
    )
    routes = models.JSONField(_("routes"), default=list, help_text=_("Allowed route codes."))
    schedule = models.CharField(_("DEA schedule"), max_length=4, default="CIII")
    drug_code = models.CharField(_("DEA drug code"), max_length=4, default="7285")
    active = models.BooleanField(_("in use"), default=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["clinic", "name"], name="ledger_product_name_unique"),
            models.CheckConstraint(
                condition=models.Q(mg_per_unit__gt=0), name="ledger_product_mg_per_unit_positive"
            ),
            models.CheckConstraint(
                condition=models.Q(concentration_mg_per_ml__isnull=True)
                | models.Q(concentration_mg_per_ml__gt=0),
                name="ledger_product_concentration_positive",
            ),
            models.CheckConstraint(
                condition=models.Q(dosage_form__in=DosageForm.values),
                name="ledger_product_form_valid",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_liquid(self) -> bool:
        return self.concentration_mg_per_ml is not None

    def clean(self) -> None:
        unknown = sorted(set(self.routes or []) - set(Route.values))
        if unknown:
            raise ValidationError({"routes": _("Unknown routes: %s") % ", ".join(unknown)})
        if self.concentration_mg_per_ml and self.volume_ml_per_unit and self.mg_per_unit:
            expected = self.concentration_mg_per_ml * self.volume_ml_per_unit
            if expected.quantize(Decimal("0.001")) != self.mg_per_unit.quantize(Decimal("0.001")):
                raise ValidationError(
                    {
                        "mg_per_unit": _(
                            "Concentration × volume is %(mg)s mg; the mg per vial must match."
                        )
                        % {"mg": expected.normalize()}
                    }
                )


class LocationKind(models.TextChoices):
    SAFE = "safe", _("Safe / locked cabinet")
    CART = "cart", _("Medication cart")
    QUARANTINE = "quarantine", _("Quarantine (expired or returned stock)")
    OTHER = "other", _("Other")


class Location(models.Model):
    """Where stock is kept at the registered location (FACTS.md §5.8: a locked cabinet)."""

    clinic = models.ForeignKey("accounts.Clinic", on_delete=models.PROTECT, related_name="+")
    name = models.CharField(_("name"), max_length=80)
    kind = models.CharField(_("kind"), max_length=12, choices=LocationKind.choices)
    active = models.BooleanField(_("in use"), default=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["clinic", "name"], name="ledger_location_name_unique"),
        ]

    def __str__(self) -> str:
        return self.name


class Lot(models.Model):
    """One manufacturer's lot of a product, as received (FACTS.md §5.4, §5.5: NDC, lot, expiry)."""

    clinic = models.ForeignKey("accounts.Clinic", on_delete=models.PROTECT, related_name="+")
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="lots")
    ndc = models.CharField(_("NDC"), max_length=20)
    lot_number = models.CharField(_("lot number"), max_length=40)
    expires_on = models.DateField(_("expiry date"))
    supplier_name = models.CharField(_("supplier"), max_length=200)
    supplier_address = models.CharField(_("supplier address"), max_length=300, blank=True)
    supplier_dea_number = models.CharField(_("supplier DEA number"), max_length=9, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["expires_on", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["clinic", "product", "lot_number"], name="ledger_lot_unique"
            ),
        ]
        indexes = [models.Index(fields=["clinic", "expires_on"], name="ledger_lot_expiry")]

    def __str__(self) -> str:
        return f"{self.product.name} · lot {self.lot_number}"

    def is_expired(self, on) -> bool:
        """Usable through the last day of its expiry date."""
        return self.expires_on < on
