from django.db import migrations

# Evidence of what happened at the chair: status steps, vital signs and dissociation ratings are
# never changed or deleted (kapcare.audit.append_only).
TABLES = ["dosing_sessionstatuschange", "dosing_vitalsign", "dosing_dissociationrating"]


def install(apps, schema_editor):
    from kapcare.audit.append_only import install

    install(schema_editor, TABLES)


def uninstall(apps, schema_editor):
    from kapcare.audit.append_only import uninstall

    uninstall(schema_editor, TABLES)


class Migration(migrations.Migration):
    dependencies = [("dosing", "0002_dosing_at_the_chair")]
    operations = [migrations.RunPython(install, uninstall)]
