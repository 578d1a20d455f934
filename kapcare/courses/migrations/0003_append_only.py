from django.db import migrations

TABLES = [
    "courses_coursestatuschange",
    "courses_noteaddendum",
    "courses_notecosignature",
    "courses_clinicalnote",
]


def install(apps, schema_editor):
    from kapcare.audit.append_only import install

    install(schema_editor, TABLES)


def uninstall(apps, schema_editor):
    from kapcare.audit.append_only import uninstall

    uninstall(schema_editor, TABLES)


class Migration(migrations.Migration):
    dependencies = [("courses", "0002_initial")]
    operations = [migrations.RunPython(install, uninstall)]
