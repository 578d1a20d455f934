"""Writing generated rows in bulk: ids handed out in Python, rows kept as tuples, then COPY on
PostgreSQL (psycopg 3) or bulk_create on other databases.

Ids are allocated here (from the table's largest id) so that rows can point at each other
before any of them is written; the database's id sequences are moved past them afterwards.
Nothing is updated: the append-only tables only ever see INSERTs.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from django.core.management.color import no_style
from django.db import connection, models
from django.db.models import Max


class Table:
    """Rows for one model, in the order of its concrete fields (attnames: `client_id`)."""

    def __init__(self, model: type[models.Model]):
        self.model = model
        fields = list(model._meta.concrete_fields)
        self.fields = fields
        self.names = [f.attname for f in fields]
        self.columns = [f.column for f in fields]
        self.pk_name = model._meta.pk.attname
        # Defaults for the fields a generator leaves out, computed once per table.
        defaults = {f.attname: f.get_default() for f in fields if not f.primary_key}
        self.pairs = [(name, defaults.get(name)) for name in self.names]
        self.json_positions = [
            (i, getattr(f, "encoder", None))
            for i, f in enumerate(fields)
            if f.get_internal_type() == "JSONField"
        ]
        self.next_id = (model.objects.aggregate(top=Max("pk"))["top"] or 0) + 1
        self.rows: list[tuple] = []
        self.written = 0

    def allocate(self) -> int:
        pk = self.next_id
        self.next_id += 1
        return pk

    def add(self, pk: int | None = None, **values: Any) -> int:
        """Queue one row; returns its id (`pk` when already allocated)."""
        if pk is None:
            pk = values.get(self.pk_name) or self.allocate()
        values[self.pk_name] = pk
        get = values.get
        self.rows.append(tuple([get(name, default) for name, default in self.pairs]))
        return values[self.pk_name]


class Sink:
    """Holds one Table per model; `flush()` writes what is queued, in dependency order (the
    order tables were first asked for)."""

    def __init__(self, *, use_copy: bool | None = None, batch_size: int = 2000):
        self.tables: dict[type[models.Model], Table] = {}
        self.use_copy = connection.vendor == "postgresql" if use_copy is None else use_copy
        self.batch_size = batch_size

    def table(self, model: type[models.Model]) -> Table:
        if model not in self.tables:
            self.tables[model] = Table(model)
        return self.tables[model]

    def add(self, model: type[models.Model], **values: Any) -> int:
        return self.table(model).add(**values)

    def flush(self, models_: Iterable[type[models.Model]] | None = None) -> None:
        chosen = list(self.tables) if models_ is None else list(models_)
        for model in chosen:
            table = self.tables.get(model)
            if table is None or not table.rows:
                continue
            if self.use_copy:
                _copy(table)
            else:
                _bulk_create(table, self.batch_size)
            table.written += len(table.rows)
            table.rows = []

    def reset_sequences(self) -> None:
        """Move each id sequence past the ids handed out here (PostgreSQL; SQLite follows
        the largest id by itself)."""
        statements = connection.ops.sequence_reset_sql(no_style(), list(self.tables))
        with connection.cursor() as cursor:
            for sql in statements:
                cursor.execute(sql)

    def counts(self) -> dict[str, int]:
        return {t.model._meta.label: t.written for t in self.tables.values() if t.written}


def _json_ready(table: Table, row: tuple, memo: dict[int, str]) -> tuple:
    """The row with its JSON values as text. Many rows share one value object (the scored
    answers of a cached score): `memo` keeps each object's text by id while the rows, and so
    the objects, are alive."""
    values = list(row)
    for index, encoder in table.json_positions:
        value = values[index]
        if value is not None:
            key = id(value)
            text = memo.get(key)
            if text is None:
                text = memo[key] = json.dumps(value, cls=encoder)
            values[index] = text
    return tuple(values)


def _copy(table: Table) -> None:
    quote = connection.ops.quote_name
    columns = ", ".join(quote(c) for c in table.columns)
    sql = f"COPY {quote(table.model._meta.db_table)} ({columns}) FROM STDIN"
    with connection.cursor() as wrapper:
        raw = wrapper.cursor  # the psycopg cursor under Django's wrapper
        with raw.copy(sql) as copy:
            if table.json_positions:
                memo: dict[int, str] = {}
                for row in table.rows:
                    copy.write_row(_json_ready(table, row, memo))
            else:
                for row in table.rows:
                    copy.write_row(row)


def _bulk_create(table: Table, batch_size: int) -> None:
    model, names = table.model, table.names
    objects = [model(**dict(zip(names, row, strict=True))) for row in table.rows]
    model.objects.bulk_create(objects, batch_size=batch_size)
