"""The integration note's dosing session becomes an opaque id: dosing sits above courses, so
courses keeps no foreign key to it (create_note checks the id against the course's sessions).

The column keeps its name and type (`dosing_session_id`, bigint) and every row keeps its value,
so signed notes' payloads are unchanged. Three steps: drop the database's foreign-key
constraint, swap the field in the migration state only, then add the CHECK (>= 0) a
PositiveBigIntegerField has. On SQLite the table is rebuilt, which drops the signed-note
triggers: 0006 installs them again."""

import django.db.models.deletion
from django.db import migrations, models

HELP = "For integration sessions: the dosing session this one follows."


class Migration(migrations.Migration):
    dependencies = [
        ("dosing", "0001_initial"),
        ("courses", "0004_no_replace"),
    ]

    operations = [
        migrations.AlterField(
            model_name="clinicalnote",
            name="dosing_session",
            field=models.ForeignKey(
                blank=True,
                null=True,
                db_constraint=False,
                help_text=HELP,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="integration_notes",
                to="dosing.dosingsession",
            ),
        ),
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.RemoveConstraint(
                    model_name="clinicalnote", name="integration_note_follows_dosing"
                ),
                migrations.RemoveField(model_name="clinicalnote", name="dosing_session"),
                migrations.AddField(
                    model_name="clinicalnote",
                    name="dosing_session_id",
                    field=models.BigIntegerField(
                        blank=True, null=True, db_index=True, help_text=HELP
                    ),
                ),
                migrations.AddConstraint(
                    model_name="clinicalnote",
                    constraint=models.CheckConstraint(
                        condition=models.Q(
                            models.Q(("kind", "integration"), _negated=True),
                            ("dosing_session_id__isnull", False),
                            _connector="OR",
                        ),
                        name="integration_note_follows_dosing",
                    ),
                ),
            ],
        ),
        migrations.AlterField(
            model_name="clinicalnote",
            name="dosing_session_id",
            field=models.PositiveBigIntegerField(
                blank=True, null=True, db_index=True, help_text=HELP
            ),
        ),
    ]
