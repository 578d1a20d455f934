from django.db import migrations

# 0005 rebuilt courses_clinicalnote on SQLite, which drops its triggers: install the signed-note
# guard again (kapcare.audit.append_only; idempotent on both databases). Keep this last.
TABLES = ["courses_clinicalnote"]


def install(apps, schema_editor):
    from kapcare.audit.append_only import install

    install(schema_editor, TABLES)


class Migration(migrations.Migration):
    dependencies = [("courses", "0005_dosing_session_opaque_id")]
    operations = [migrations.RunPython(install, migrations.RunPython.noop)]
