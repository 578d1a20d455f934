from django.db import migrations

# SQLite's INSERT OR REPLACE deletes a row without firing its DELETE trigger: add the BEFORE
# INSERT guard that refuses an id already taken (kapcare.audit.append_only).
TABLES = [
    "courses_coursestatuschange",
    "courses_noteaddendum",
    "courses_notecosignature",
    "courses_clinicalnote",
]


def install(apps, schema_editor):
    from kapcare.audit.append_only import install

    install(schema_editor, TABLES)


class Migration(migrations.Migration):
    dependencies = [("courses", "0003_append_only")]
    operations = [migrations.RunPython(install, migrations.RunPython.noop)]
