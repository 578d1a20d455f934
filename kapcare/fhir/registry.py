"""The FHIR resource types kapcare serves, each one mapping over the clinic's own records.

A `ResourceType` says which rows an access may see (through the same selectors and permission
rules as the UI), how one row becomes a FHIR resource, and which search parameters, sorts and
includes it supports. The CapabilityStatement (`/fhir/metadata`) is made from this registry, so
it states exactly what the server does. Mapping modules live in kapcare.fhir.resources and are
registered by kapcare.fhir.apps.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, ClassVar

from django.core.exceptions import FieldDoesNotExist
from django.db.models import Model, QuerySet
from fhir.resources.R4B import get_fhir_model_class

from kapcare.accounts.api_tokens import ApiAccess
from kapcare.fhir.errors import FhirError
from kapcare.fhir.search import SearchParam, ids
from kapcare.fhir.union import UnionRows


@dataclass(frozen=True)
class Include:
    """`_include=Source:name`: the rows of `target` that the matched rows refer to."""

    name: str
    target: str
    rows: Callable[[list[Any]], Iterable[Any]]


class ResourceType:
    """One FHIR resource type. Subclasses set the class attributes and `visible`/`to_fhir`."""

    name: ClassVar[str]
    profile: ClassVar[str] = ""
    documentation: ClassVar[str] = ""
    params: ClassVar[tuple[SearchParam, ...]] = ()
    # _sort keys → model fields; every sort ends with the primary key so pages are stable.
    sorts: ClassVar[dict[str, str]] = {}
    default_sort: ClassVar[tuple[str, ...]] = ("pk",)
    includes: ClassVar[tuple[Include, ...]] = ()
    # False for a table too large to count on every page (the audit trail): the searchset
    # Bundle leaves out `total` and has a next link whenever one more row exists.
    counts_total: ClassVar[bool] = True
    # The extra interactions beyond read and search-type (e.g. "create").
    writes: ClassVar[tuple[str, ...]] = ()

    # Bulk Data ($export). The field naming the client a row is about ("pk" for Patient), so
    # Patient- and Group-level exports take each patient's rows; None for clinic-level types
    # (Questionnaire, Group), which only a system-level export holds. "" = found from the
    # model: its `client` field if it has one, else None.
    patient_field: ClassVar[str | None] = ""
    # The field `_since` compares: when a row last changed. "" = the model's first of
    # SINCE_FIELDS; a model without an updated time uses when its row was created or recorded
    # (such rows are not edited: a correction is a new row).
    since_field: ClassVar[str] = ""

    def visible(self, access: ApiAccess) -> QuerySet:
        """The rows of this type `access` may see (clinic, care team, role), ready to render
        with a bounded number of queries (select_related / prefetch_related)."""
        raise NotImplementedError

    def search_rows(self, access: ApiAccess) -> QuerySet | UnionRows:
        """The rows a search filters, counts, orders and pages: `visible`, unless the type is
        drawn from several tables (it then returns a kapcare.fhir.union.UnionRows, and
        overrides `read` too)."""
        return self.visible(access)

    def to_fhir(self, row: Any) -> dict:
        """The resource as a plain dict; the engine validates it with fhir.resources."""
        raise NotImplementedError

    def client_id(self, row: Any) -> int | None:
        """The client a row is about, for the audit trail (None for clinic-level resources)."""
        return getattr(row, "client_id", None)

    def create(self, access: ApiAccess, body: dict) -> Model:
        raise FhirError(405, f"{self.name} cannot be created through the API.")

    # --- derived ---------------------------------------------------------------------------

    def all_params(self) -> dict[str, SearchParam]:
        return {p.name: p for p in (ids(), *self.params)}

    def include(self, name: str) -> Include | None:
        return next((i for i in self.includes if i.name == name), None)

    def read(self, access: ApiAccess, ident: str) -> Any:
        row = None
        if ident.isdigit() and len(ident) < 19:
            row = self.visible(access).filter(pk=int(ident)).first()
        if row is None:
            raise FhirError(404, f"{self.name}/{ident} is not known, or not visible to this token.")
        return row

    def patient_path(self, access: ApiAccess) -> str | None:
        if self.patient_field != "":
            return self.patient_field
        model = self.visible(access).model
        return "client" if _has_field(model, "client") else None

    def export_rows(
        self,
        access: ApiAccess,
        *,
        since: dt.datetime | None = None,
        until: dt.datetime | None = None,
        clients: QuerySet | None = None,
    ) -> QuerySet:
        """The rows a Bulk Data export of this type writes: the visible ones changed after
        `since` and by `until` (the export's transactionTime), of `clients` only when given,
        in primary-key order (an index scan, so the export can stream them). A type whose
        rows come from several tables overrides this; without a change time `since` keeps all
        rows (the client gets more, never fewer, than it asked for)."""
        rows = changed_between(self.visible(access), since, until, self.since_field)
        if clients is not None:
            path = self.patient_path(access)
            rows = rows.filter(**{f"{path}__in": clients}) if path else rows.none()
        return rows.order_by("pk")

    def resource(self, row: Any) -> dict:
        """The validated resource: fhir.resources (R4B) parses it, so a mapping that produces
        an invalid resource fails loudly in tests instead of reaching a client."""
        data = self.to_fhir(row)
        model = get_fhir_model_class(data["resourceType"])
        return model.model_validate(data).model_dump(mode="json", exclude_none=True)


# `_since` compares the first of these a model has (ResourceType.since_field overrides).
SINCE_FIELDS = ("updated_at", "created_at", "recorded_at")


def changed_between(
    rows: QuerySet, since: dt.datetime | None, until: dt.datetime | None, field: str = ""
) -> QuerySet:
    """`rows` changed after `since` and by `until`, by `field` or the first of SINCE_FIELDS
    the model has; a model with neither keeps every row (more, never fewer, than asked)."""
    stamp = field or next((f for f in SINCE_FIELDS if _has_field(rows.model, f)), None)
    if stamp and since is not None:
        rows = rows.filter(**{f"{stamp}__gt": since})
    if stamp and until is not None:
        rows = rows.filter(**{f"{stamp}__lte": until})
    return rows


def _has_field(model: type[Model], name: str) -> bool:
    try:
        model._meta.get_field(name)
    except FieldDoesNotExist:
        return False
    return True


_TYPES: dict[str, ResourceType] = {}


def register(resource_type: type[ResourceType]) -> type[ResourceType]:
    """Class decorator: serve this resource type."""
    _TYPES[resource_type.name] = resource_type()
    return resource_type


def get(name: str) -> ResourceType:
    try:
        return _TYPES[name]
    except KeyError:
        raise FhirError(
            404, f"This server has no resource type {name}.", code="not-supported"
        ) from None


def all_types() -> list[ResourceType]:
    return [_TYPES[name] for name in sorted(_TYPES)]


def reference(resource_type: str, pk: int | None) -> dict | None:
    return {"reference": f"{resource_type}/{pk}"} if pk is not None else None
