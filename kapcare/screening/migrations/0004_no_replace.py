from django.db import migrations

# SQLite's INSERT OR REPLACE deletes a row without firing its DELETE trigger: add the BEFORE
# INSERT guard that refuses an id already taken (kapcare.audit.append_only).
TABLES = ["screening_eligibilitydecision"]


def install(apps, schema_editor):
    from kapcare.audit.append_only import install

    install(schema_editor, TABLES)


class Migration(migrations.Migration):
    dependencies = [("screening", "0003_unmeasured_and_automatic")]
    operations = [migrations.RunPython(install, migrations.RunPython.noop)]
