"""Trigram indexes for the client search, on PostgreSQL only.

The search is `icontains` on five columns, which Django writes as `UPPER(col::text) LIKE
UPPER('%term%')`: a leading wildcard no B-tree serves, so each is a GIN index over the same
`UPPER(col)` expression with `gin_trgm_ops`, which the planner matches (and ORs for the five).
SQLite has neither GIN nor pg_trgm; its tables stay as they are (both steps no-op there)."""

from django.contrib.postgres.operations import TrigramExtension
from django.db import migrations

SEARCHED = ["first_name", "last_name", "preferred_name", "email", "phone"]


def _index(column: str) -> str:
    return f"client_{column}_trgm"


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for column in SEARCHED:
        schema_editor.execute(
            f'CREATE INDEX IF NOT EXISTS "{_index(column)}" ON "clients_client" '
            f'USING gin (UPPER("{column}") gin_trgm_ops)'
        )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for column in SEARCHED:
        schema_editor.execute(f'DROP INDEX IF EXISTS "{_index(column)}"')


class Migration(migrations.Migration):
    dependencies = [("clients", "0005_client_list_order_index")]
    # TrigramExtension (CREATE EXTENSION pg_trgm) already does nothing on other databases.
    operations = [TrigramExtension(), migrations.RunPython(create, drop)]
