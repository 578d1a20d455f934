"""The controlled-substance ledger over REST, read only, for the roles the ledger's own pages
admit (kapcare.ledger.permissions, LedgerAction.VIEW): it is a clinic-wide record, not a care
team's, and every page of it names the clients who received doses, so it is audited."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, serializers, viewsets

from kapcare.api import scopes
from kapcare.api.clinical_serializers import LedgerEntrySerializer
from kapcare.api.mixins import AuditedReadMixin, DateRangeFilter, FilteredMixin
from kapcare.api.pagination import ApiCursorPagination
from kapcare.ledger import selectors
from kapcare.ledger.models import EntryKind
from kapcare.ledger.permissions import LedgerAction, can

ID = {"min_value": 1, "max_value": 2**63 - 1, "required": False}


class LedgerFilter(DateRangeFilter):
    kind = serializers.ChoiceField(choices=EntryKind.choices, required=False)
    product = serializers.IntegerField(**ID, help_text="Entries for lots of this product.")
    location = serializers.IntegerField(**ID, help_text="Entries at this storage location.")
    lot = serializers.IntegerField(**ID)


class LedgerPagination(ApiCursorPagination):
    # The ledger's own order: its sequence, newest first (unique within the clinic).
    ordering = "-sequence"


@extend_schema(tags=["ledger"])
@extend_schema_view(list=extend_schema(parameters=[LedgerFilter]))
class LedgerEntryViewSet(
    AuditedReadMixin,
    FilteredMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """Ledger entries, newest first, with the ledger page's filters and a product filter."""

    scope_resource = scopes.LEDGER_ENTRY
    serializer_class = LedgerEntrySerializer
    filter_serializer = LedgerFilter
    pagination_class = LedgerPagination
    audit_type = "api.ledger_entry"
    audit_label = "ledger entry"

    def get_queryset(self):
        if not can(self.actor, LedgerAction.VIEW):
            raise PermissionDenied(_("The ledger is for nurses, prescribers and clinic admins."))
        filters = self.filters()
        entries = selectors.ledger_entries(
            clinic=self.actor.clinic,
            kind=filters.get("kind", ""),
            location_id=filters.get("location"),
            lot_id=filters.get("lot"),
            date_from=filters.get("date_from"),
            date_to=filters.get("date_to"),
        )
        if "product" in filters:
            entries = entries.filter(lot__product_id=filters["product"])
        return entries
