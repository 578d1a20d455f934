"""One FHIR resource type over several tables (Observation: instrument totals and vital signs).

The engine filters, counts, orders and pages a type's rows as it would a QuerySet. `UnionRows`
does the same over several querysets ("parts"), each annotated with the same named columns, so
a search parameter is one Q over those names whatever the table. Counting and paging are one
UNION query each; the page's rows are then read back per table (one query per table, with the
table's select_related), so a page costs the same number of queries at 2 rows or 100.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from django.db.models import CharField, Expression, F, Q, QuerySet, Value

KIND = "union_kind"
KEY = "union_pk"


@dataclass(frozen=True)
class Part:
    """Rows of one kind: `rows` (the table's visible rows, rendering without extra queries),
    `where` (which of them are of this kind), `columns` (the shared column names → expressions
    over this table; every part of a UnionRows names the same columns in the same order) and
    `table` (parts of one table share `rows` and are read back in one query: a vital-signs
    row is several Observations, one part per kind)."""

    kind: str
    table: str
    rows: QuerySet
    columns: dict[str, Expression | F]
    where: Q = field(default_factory=Q)


@dataclass(frozen=True)
class UnionRows:
    """The QuerySet methods the engine uses (filter, count, order_by, slicing), over parts.
    `make(kind, row)` turns a row read back into what the resource type renders."""

    parts: tuple[Part, ...]
    make: Callable[[str, Any], Any]
    filters: tuple[Q, ...] = ()
    order: tuple[str, ...] = field(default=())

    def _selected(self, part: Part) -> QuerySet:
        rows = part.rows.filter(part.where).annotate(
            **{KIND: Value(part.kind, output_field=CharField()), KEY: F("pk")}, **part.columns
        )
        for condition in self.filters:
            rows = rows.filter(condition)
        return rows

    def _keys(self, *columns: str) -> QuerySet:
        # order_by(): a part's default ordering is not allowed inside a UNION.
        first, *rest = [
            self._selected(part).values(KIND, KEY, *columns).order_by() for part in self.parts
        ]
        return first.union(*rest, all=True) if rest else first

    def filter(self, condition: Q) -> UnionRows:
        return UnionRows(self.parts, self.make, (*self.filters, condition), self.order)

    def order_by(self, *fields: str) -> UnionRows:
        return UnionRows(self.parts, self.make, self.filters, fields)

    def count(self) -> int:
        return self._keys().count()

    def _sort(self) -> tuple[list[str], list[str]]:
        """The ORDER BY of the union (the engine's "pk" tie-break becomes kind then key, as
        keys repeat across tables) and the shared columns it needs selected."""
        order: list[str] = []
        columns: list[str] = []
        for name in self.order:
            descending, bare = name.startswith("-"), name.lstrip("-")
            names = [KIND, KEY] if bare == "pk" else [bare]
            order += [f"-{n}" if descending else n for n in names]
            columns += [n for n in names if n not in (KIND, KEY) and n not in columns]
        return order or [KIND, KEY], columns

    def __getitem__(self, window: slice) -> list[Any]:
        order, columns = self._sort()
        keys = list(self._keys(*columns).order_by(*order)[window])
        return self._load([(key[KIND], key[KEY]) for key in keys])

    def _load(self, keys: list[tuple[str, int]]) -> list[Any]:
        tables = {part.kind: part.table for part in self.parts}
        wanted: dict[str, set[int]] = {}
        for kind, pk in keys:
            wanted.setdefault(tables[kind], set()).add(pk)
        found: dict[tuple[str, int], Any] = {}
        for table, pks in wanted.items():
            part = next(p for p in self.parts if p.table == table)
            for row in part.rows.filter(pk__in=pks):
                found[table, row.pk] = row
        return [self.make(kind, found[tables[kind], pk]) for kind, pk in keys]

    def iterator(self, chunk_size: int = 500) -> Iterator[Any]:
        """Every row, a page at a time, in the current order (e.g. for a bulk export)."""
        rows = self if self.order else self.order_by("pk")
        start = 0
        while page := rows[start : start + chunk_size]:
            yield from page
            start += chunk_size
