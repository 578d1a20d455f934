from django.db import migrations

# A questionnaire response is evidence of what the client said: never edited, never deleted.
TABLES = ["measures_response"]


def install(apps, schema_editor):
    from kapcare.audit.append_only import install

    install(schema_editor, TABLES)


def uninstall(apps, schema_editor):
    from kapcare.audit.append_only import uninstall

    uninstall(schema_editor, TABLES)


class Migration(migrations.Migration):
    dependencies = [("measures", "0001_initial")]
    operations = [migrations.RunPython(install, uninstall)]
