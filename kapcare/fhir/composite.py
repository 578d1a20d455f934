"""A FHIR resource type served from more than one table.

Some FHIR types gather records kapcare keeps in different tables: an Encounter is a dosing
session, or a preparation or integration session (recorded by its signed note). Each table is
a `Part` with its own visible rows, its own way of applying each search parameter, and its own
field for each sort; a resource's id carries the part's prefix ("dosing-12", "prep-7") so ids
from different tables never collide.

The engine serves a `CompositeType` like any other: `visible` returns `Rows`, which the search
parameters narrow part by part, which counts as the sum of its parts, and which is paged across
the parts by the sort keys. A page costs a fixed number of queries per part, however many rows
match: a count, the sort keys of the first offset + count rows (only the keys, so a deep page
does not load whole rows), and the page's own rows with the part's select_related / prefetch.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar, NamedTuple

from django.db.models import Q, QuerySet
from django.utils import timezone

from kapcare.accounts.api_tokens import ApiAccess
from kapcare.fhir.errors import FhirError
from kapcare.fhir.registry import ResourceType, changed_between
from kapcare.fhir.search import SearchParam


@dataclass(frozen=True)
class Part:
    """One table of a composite type. `params` gives this table's version of every search
    parameter the type declares (except `_id`, made from the prefix); `sorts` maps each of
    the type's sort names to this table's field or annotation."""

    prefix: str
    rows: Callable[[ApiAccess], QuerySet]
    to_fhir: Callable[[Any], dict]
    params: dict[str, SearchParam]
    sorts: dict[str, str]
    client_id: Callable[[Any], int | None] = field(default=lambda row: row.client_id)

    def __post_init__(self):
        assert "-" not in self.prefix, "the prefix ends at the first dash of an id"

    def ident(self, pk: int) -> str:
        return f"{self.prefix}-{pk}"

    def pk_of(self, ident: str) -> int | None:
        """The row id in `ident` when it is one of this part's ids, else None."""
        prefix, _, number = ident.partition("-")
        if prefix != self.prefix or not number.isdigit() or len(number) > 18:
            return None
        return int(number)

    def ids(self) -> SearchParam:
        def one(value: str) -> Q:
            pk = self.pk_of(value)
            return Q(pk=pk) if pk is not None else Q(pk__in=[])

        def match(values: list[str]) -> Q:
            found = Q(pk__in=[])
            for value in values:
                found |= one(value)
            return found

        return SearchParam("_id", "token", "", match)


class Member(NamedTuple):
    """A row of a composite type, with the part it came from."""

    part: Part
    row: Any


@dataclass(frozen=True)
class Spread(SearchParam):
    """A composite type's search parameter: each part applies it its own way."""

    def apply(self, rows: Any, occurrences: list[str]) -> Any:
        return rows.narrowed(self.name, occurrences)


def spread(name: str, type_: str, documentation: str) -> Spread:
    def never(values: list[str]) -> Q:  # Spread.apply hands the values to the parts
        raise AssertionError(name)

    return Spread(name, type_, documentation, never)


def _comparable(value: Any) -> tuple:
    """A sort key that orders None first and a date as the start of its day, so the parts'
    keys compare with each other (a session's time against a note's session date)."""
    if value is None:
        return (0, dt.datetime.min.replace(tzinfo=dt.UTC))
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        value = timezone.make_aware(dt.datetime.combine(value, dt.time.min))
    return (1, value)


class Rows:
    """The matching rows of every part, ordered by the type's sort names (see module doc)."""

    def __init__(self, parts: list[tuple[Part, QuerySet]], order: tuple[str, ...] = ()):
        self.parts = parts
        self.order = order

    def narrowed(self, name: str, occurrences: list[str]) -> Rows:
        narrowed = []
        for part, rows in self.parts:
            param = part.ids() if name == "_id" else part.params[name]
            narrowed.append((part, param.apply(rows, occurrences)))
        return Rows(narrowed, self.order)

    def count(self) -> int:
        return sum(rows.count() for _part, rows in self.parts)

    def order_by(self, *names: str) -> Rows:
        return Rows(self.parts, names)

    def _fields(self, part: Part) -> list[str]:
        fields = []
        for name in self.order:
            key = name.lstrip("-")
            fields.append("pk" if key == "pk" else part.sorts[key])
        return fields

    def __getitem__(self, window: slice) -> list[Member]:
        start, stop = window.start or 0, window.stop
        assert stop is not None and window.step is None, "pages only"
        if stop <= start:
            return []
        keyed = []
        for index, (part, rows) in enumerate(self.parts):
            fields = self._fields(part)
            ordering = [
                f"-{f}" if name.startswith("-") else f
                for f, name in zip(fields, self.order, strict=True)
            ]
            for values in rows.order_by(*ordering).values_list(*fields, "pk")[:stop]:
                keyed.append((index, values))
        # Stable sorts from the last key to the first give the order of all keys together;
        # rows equal on every key keep the parts' order.
        for position in reversed(range(len(self.order))):
            keyed.sort(
                key=lambda item, p=position: _comparable(item[1][p]),
                reverse=self.order[position].startswith("-"),
            )
        page = keyed[start:stop]
        found: dict[tuple[int, int], Any] = {}
        for index, (_part, rows) in enumerate(self.parts):
            pks = [values[-1] for i, values in page if i == index]
            if pks:
                found.update({(index, row.pk): row for row in rows.filter(pk__in=pks)})
        return [Member(self.parts[i][0], found[(i, values[-1])]) for i, values in page]


@dataclass(frozen=True)
class ExportRows:
    """Every part's rows for a Bulk Data export, one part after the other in primary-key
    order, each streamed from the database (the export needs no cross-table order)."""

    parts: list[tuple[Part, QuerySet]]

    def iterator(self, chunk_size: int = 500):
        for part, rows in self.parts:
            for row in rows.order_by("pk").iterator(chunk_size=chunk_size):
                yield Member(part, row)


class CompositeType(ResourceType):
    """A resource type over several parts. Subclasses set `parts`, `params` (made with
    `spread`, one per name every part's `params` has) and `sorts` (name → the same name)."""

    parts: ClassVar[tuple[Part, ...]] = ()

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        names = {p.name for p in cls.params}
        for part in cls.parts:
            assert set(part.params) == names, f"{cls.name} part {part.prefix}: {names}"
            assert set(part.sorts) == set(cls.sorts), f"{cls.name} part {part.prefix} sorts"

    def all_params(self) -> dict[str, SearchParam]:
        ids = spread("_id", "token", "The resource's logical id (e.g. " + self._example() + ").")
        return {p.name: p for p in (ids, *self.params)}

    def _example(self) -> str:
        return ", ".join(part.ident(1) for part in self.parts)

    def visible(self, access: ApiAccess) -> Any:
        return Rows([(part, part.rows(access)) for part in self.parts])

    def read(self, access: ApiAccess, ident: str) -> Member:
        for part in self.parts:
            pk = part.pk_of(ident)
            if pk is not None:
                row = part.rows(access).filter(pk=pk).first()
                if row is not None:
                    return Member(part, row)
        raise FhirError(404, f"{self.name}/{ident} is not known, or not visible to this token.")

    def patient_path(self, access: ApiAccess) -> str | None:
        return "client"  # every part is about one client

    def export_rows(self, access: ApiAccess, *, since=None, until=None, clients=None) -> Any:
        parts = []
        for part in self.parts:
            rows = changed_between(part.rows(access), since, until)
            if clients is not None:
                rows = rows.filter(client__in=clients)
            parts.append((part, rows))
        return ExportRows(parts)

    def to_fhir(self, member: Member) -> dict:
        body = member.part.to_fhir(member.row)
        return {"resourceType": self.name, "id": member.part.ident(member.row.pk), **body}

    def client_id(self, member: Member) -> int | None:
        return member.part.client_id(member.row)
