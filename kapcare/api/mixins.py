"""What every REST view shares: the audit of what a response showed, the query-parameter
filters (parsed by a serializer, so a bad one is a 400 and the schema documents them) and the
clinical-access rule for records that hang off a client."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from django.db.models import QuerySet
from django.utils.translation import gettext as _
from rest_framework import serializers

from kapcare.accounts.actor import Actor
from kapcare.api.auth import api_access
from kapcare.audit.models import AuditAction
from kapcare.audit.shown import audit_shown
from kapcare.clients.models import Client
from kapcare.clients.permissions import (
    ClientAction,
    clients_visible_to,
    get_client_for_actor_or_404,
)


class AuditedReadMixin:
    """Audit a list (with the clients it named) and a read (with its client), as the UI's pages
    do. `audit_type` names the record ("api.response"); `client_field` is where a row's client
    id is in the rendered data."""

    audit_type: str = ""
    audit_label: str = ""
    client_field: str = "client"

    @property
    def actor(self) -> Actor:
        return api_access(self.request).actor

    def list(self, request, *args, **kwargs):
        response = super().list(request, *args, **kwargs)
        rows = response.data.get("results", [])
        ids = sorted({row[self.client_field] for row in rows if row.get(self.client_field)})
        audit_shown(
            request._request,
            actor=self.actor,
            action=AuditAction.LIST,
            object_type=f"{self.audit_type}.list",
            summary=_("API: %(what)s list") % {"what": self.audit_label},
            details={"client_ids": ids},
        )
        return response

    def retrieve(self, request, *args, **kwargs):
        response = super().retrieve(request, *args, **kwargs)
        audit_shown(
            request._request,
            actor=self.actor,
            action=AuditAction.VIEW,
            client_id=response.data.get(self.client_field),
            object_type=self.audit_type,
            object_id=response.data["id"],
            summary=_("API: %(what)s") % {"what": self.audit_label},
        )
        return response


class FilteredMixin:
    """`filter_serializer` parses the list's query parameters; an invalid one is a 400."""

    filter_serializer: type[serializers.Serializer] | None = None

    def filters(self) -> dict[str, Any]:
        if self.filter_serializer is None or getattr(self, "action", None) != "list":
            return {}
        parsed = self.filter_serializer(data=self.request.query_params)
        parsed.is_valid(raise_exception=True)
        return {k: v for k, v in parsed.validated_data.items() if v not in (None, "")}


class ClinicalMixin(AuditedReadMixin, FilteredMixin):
    """Records of clients whose clinical record the token's user may see (care team, or the
    clinic for a system/ token). With ?client=, that one client: 404 if the user may not see
    them at all, 403 if they may see them but not clinically (front desk)."""

    def clinical_clients(self) -> QuerySet[Client]:
        return clients_visible_to(self.actor, ClientAction.VIEW_CLINICAL)

    def one_client(self, client_id: int) -> Client:
        return get_client_for_actor_or_404(self.actor, client_id, ClientAction.VIEW_CLINICAL)

    def for_clients(self, rows: QuerySet, filters: dict[str, Any]) -> QuerySet:
        if "client" in filters:
            return rows.filter(client=self.one_client(filters.pop("client")))
        return rows.filter(client__in=self.clinical_clients())


class ClientFilter(serializers.Serializer):
    client = serializers.IntegerField(
        required=False, min_value=1, max_value=2**63 - 1, help_text="Only this client's records."
    )


def within_days(rows: QuerySet, field: str, clinic, date_from=None, date_to=None) -> QuerySet:
    """`rows` whose `field` (a moment) falls on or between two clinic-local days, as the UI's
    date filters read them."""
    zone = ZoneInfo(clinic.time_zone)
    if date_from:
        rows = rows.filter(**{f"{field}__gte": dt.datetime.combine(date_from, dt.time.min, zone)})
    if date_to:
        end = dt.datetime.combine(date_to + dt.timedelta(days=1), dt.time.min, zone)
        rows = rows.filter(**{f"{field}__lt": end})
    return rows


class DateRangeFilter(serializers.Serializer):
    date_from = serializers.DateField(required=False, help_text="From this day (clinic time).")
    date_to = serializers.DateField(required=False, help_text="Up to and including this day.")

    # Days a clinic's records can fall on; outside, the clinic-local midnight is not a moment
    # Python can hold in UTC.
    EARLIEST, LATEST = dt.date(1900, 1, 1), dt.date(9000, 12, 31)

    def validate(self, attrs):
        start, end = attrs.get("date_from"), attrs.get("date_to")
        for name, day in (("date_from", start), ("date_to", end)):
            if day and not self.EARLIEST <= day <= self.LATEST:
                raise serializers.ValidationError({name: "Give a day between 1900 and 9000."})
        if start and end and start > end:
            raise serializers.ValidationError({"date_to": "Comes before date_from."})
        return attrs
