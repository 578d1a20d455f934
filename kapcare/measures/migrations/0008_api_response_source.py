"""Responses gain the source "api" (sent by another system through the FHIR API with a staff
member's token), and such a response, like a staff entry, names who entered it. Changing the
check constraints rebuilds measures_response on SQLite, which drops its append-only triggers,
so the last operation installs them again (kapcare.audit.append_only; idempotent on both
databases). Keep that operation last."""

from django.db import migrations, models

TABLES = ["measures_response"]


def install(apps, schema_editor):
    from kapcare.audit.append_only import install

    install(schema_editor, TABLES)


class Migration(migrations.Migration):
    dependencies = [("measures", "0007_response_course_code_time")]

    operations = [
        migrations.RemoveConstraint(model_name="response", name="response_source_valid"),
        migrations.RemoveConstraint(model_name="response", name="staff_response_has_author"),
        migrations.AlterField(
            model_name="response",
            name="source",
            field=models.CharField(
                choices=[
                    ("staff", "Entered by staff"),
                    ("link", "Filled in through a link"),
                    ("portal", "Filled in on the portal"),
                    ("api", "Sent by another system"),
                ],
                max_length=10,
            ),
        ),
        migrations.AddConstraint(
            model_name="response",
            constraint=models.CheckConstraint(
                condition=models.Q(("source__in", ["staff", "link", "portal", "api"])),
                name="response_source_valid",
            ),
        ),
        migrations.AddConstraint(
            model_name="response",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(("source__in", ("staff", "api")), _negated=True),
                    ("entered_by__isnull", False),
                    _connector="OR",
                ),
                name="staff_response_has_author",
            ),
        ),
        migrations.RunPython(install, migrations.RunPython.noop),
    ]
