"""PostgreSQL refuses overlapping active holds of one holder in the database itself, whatever
the application does: two front-desk users booking the last recliner at once cannot both win.
(SQLite has no exclusion constraints; there every write transaction is IMMEDIATE, so bookings
are serialised and the service's overlap check decides.)

A hold has exactly one of user, resource and client; the other two are 0 in the constraint, so
holds conflict only with holds of the same holder."""

from django.contrib.postgres.operations import BtreeGistExtension
from django.db import migrations

CREATE = """
ALTER TABLE scheduling_hold ADD CONSTRAINT hold_no_overlap EXCLUDE USING gist (
    (coalesce(user_id, 0)) WITH =,
    (coalesce(resource_id, 0)) WITH =,
    (coalesce(client_id, 0)) WITH =,
    tstzrange(starts_at, ends_at, '[)') WITH &&
) WHERE (active)
"""
DROP = "ALTER TABLE scheduling_hold DROP CONSTRAINT IF EXISTS hold_no_overlap"


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("scheduling", "0001_initial")]

    operations = [
        # CREATE EXTENSION btree_gist (trusted since PostgreSQL 13); does nothing on SQLite.
        BtreeGistExtension(),
        migrations.RunPython(create, drop),
    ]
