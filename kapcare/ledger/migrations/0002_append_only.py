from django.db import migrations

# Ledger entries and count headers can never change; a discrepancy case can until it is closed.
TABLES = ["ledger_ledgerentry", "ledger_count", "ledger_discrepancycase"]


def install(apps, schema_editor):
    from kapcare.audit.append_only import install

    install(schema_editor, TABLES)


def uninstall(apps, schema_editor):
    from kapcare.audit.append_only import uninstall

    uninstall(schema_editor, TABLES)


class Migration(migrations.Migration):
    dependencies = [("ledger", "0001_initial")]
    operations = [migrations.RunPython(install, uninstall)]
