"""A prescriber's signed dose order for a course's dosing sessions."""

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Product(models.TextChoices):
    RACEMIC = "racemic", _("Racemic ketamine")
    ESKETAMINE = "esketamine", _("Esketamine nasal spray")


class Route(models.TextChoices):
    # Codes match the ledger's Product.routes.
    IV = "iv", _("IV infusion")
    IM = "im", _("Intramuscular")
    SUBLINGUAL = "sublingual", _("Sublingual / oral lozenge")
    INTRANASAL = "intranasal", _("Intranasal")


# Which routes each product is ordered by (FACTS.md §4.1: esketamine is a nasal spray; racemic
# ketamine is given IV, IM or as a lozenge in KAP clinics).
PRODUCT_ROUTES: dict[str, frozenset[str]] = {
    Product.RACEMIC: frozenset({Route.IV, Route.IM, Route.SUBLINGUAL}),
    Product.ESKETAMINE: frozenset({Route.INTRANASAL}),
}


class DoseOrder(models.Model):
    """Signed when created: a typed-name signature by a prescriber. Never edited; a change is a
    new order, and an order can be cancelled (with a reason)."""

    clinic = models.ForeignKey("accounts.Clinic", on_delete=models.PROTECT, related_name="+")
    client = models.ForeignKey("clients.Client", on_delete=models.PROTECT, related_name="+")
    course = models.ForeignKey(
        "courses.TreatmentCourse", on_delete=models.PROTECT, related_name="dose_orders"
    )
    product = models.CharField(_("product"), max_length=12, choices=Product.choices)
    route = models.CharField(_("route"), max_length=12, choices=Route.choices)
    dose_mg = models.DecimalField(
        _("dose (mg)"), max_digits=7, decimal_places=2, null=True, blank=True
    )
    # Wide enough for any value the order form ever accepted (7 digits, 3 places), so every
    # stored order reads back; the route's hard ceiling keeps real orders far below it.
    dose_mg_per_kg = models.DecimalField(
        _("dose (mg/kg)"), max_digits=7, decimal_places=3, null=True, blank=True
    )
    infusion_minutes = models.PositiveSmallIntegerField(
        _("infusion duration (minutes)"), null=True, blank=True
    )
    sessions_authorised = models.PositiveSmallIntegerField(_("number of sessions"))
    valid_until = models.DateField(_("expires after"))
    instructions = models.TextField(_("instructions"), blank=True)
    protocol = models.ForeignKey(
        "dosing.DosingProtocol", on_delete=models.PROTECT, related_name="+"
    )
    # What the limits check found at signing (each limit crossed, in words); an order outside
    # the protocol's limits exists only with the prescriber's override reason.
    limit_findings = models.JSONField(default=list, blank=True)
    outside_limits = models.BooleanField(default=False)
    override_reason = models.TextField(_("override reason"), blank=True)
    signed_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    signature_name = models.CharField(max_length=200)
    signed_at = models.DateTimeField(default=timezone.now)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancelled_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    cancel_reason = models.TextField(blank=True)

    class Meta:
        ordering = ["-signed_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(dose_mg__isnull=True) ^ models.Q(dose_mg_per_kg__isnull=True),
                name="dose_order_mg_xor_mg_per_kg",
            ),
            models.CheckConstraint(
                condition=(models.Q(dose_mg__isnull=True) | models.Q(dose_mg__gt=0))
                & (models.Q(dose_mg_per_kg__isnull=True) | models.Q(dose_mg_per_kg__gt=0)),
                name="dose_order_positive",
            ),
            models.CheckConstraint(
                condition=~models.Q(route="iv") | models.Q(infusion_minutes__gt=0),
                name="dose_order_iv_has_duration",
            ),
            models.CheckConstraint(
                condition=models.Q(sessions_authorised__gte=1), name="dose_order_sessions_positive"
            ),
            models.CheckConstraint(
                condition=models.Q(outside_limits=False) | ~models.Q(override_reason=""),
                name="dose_order_outside_limits_has_override",
            ),
            models.CheckConstraint(
                condition=models.Q(cancelled_at__isnull=True) | ~models.Q(cancel_reason=""),
                name="dose_order_cancel_has_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_product_display()} {self.dose_label} {self.get_route_display()}"

    @property
    def dose_label(self) -> str:
        if self.dose_mg is not None:
            return f"{self.dose_mg.normalize():f} mg"
        return f"{self.dose_mg_per_kg.normalize():f} mg/kg"
