from django.db import migrations

# 0004 rebuilt ledger_ledgerentry on SQLite, which drops its triggers: install the append-only
# guard again (kapcare.audit.append_only; idempotent on both databases). Keep this last.
TABLES = ["ledger_ledgerentry"]


def install(apps, schema_editor):
    from kapcare.audit.append_only import install

    install(schema_editor, TABLES)


class Migration(migrations.Migration):
    dependencies = [("ledger", "0004_dosing_session_opaque_id")]
    operations = [migrations.RunPython(install, migrations.RunPython.noop)]
