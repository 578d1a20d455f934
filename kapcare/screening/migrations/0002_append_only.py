from django.db import migrations

TABLES = ["screening_eligibilitydecision"]


def install(apps, schema_editor):
    from kapcare.audit.append_only import install

    install(schema_editor, TABLES)


def uninstall(apps, schema_editor):
    from kapcare.audit.append_only import uninstall

    uninstall(schema_editor, TABLES)


class Migration(migrations.Migration):
    dependencies = [("screening", "0001_initial")]
    operations = [migrations.RunPython(install, uninstall)]
