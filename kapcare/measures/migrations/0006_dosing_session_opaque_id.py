"""A measure assignment's dosing session becomes an opaque id: dosing sits above measures, so
measures keeps no foreign key to it (the ids come from kapcare.measures.dose_plans).

The column keeps its name and type (`dosing_session_id`, bigint) and every row keeps its value.
Three steps: drop the database's foreign-key constraint, swap the field in the migration state
only, then add the CHECK (>= 0) a PositiveBigIntegerField has. measures_measureassignment is not
append-only, so there are no triggers to install again."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("dosing", "0001_initial"),
        ("measures", "0005_versioned_settings"),
    ]

    operations = [
        migrations.AlterField(
            model_name="measureassignment",
            name="dosing_session",
            field=models.ForeignKey(
                blank=True,
                null=True,
                db_constraint=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="measure_assignments",
                to="dosing.dosingsession",
            ),
        ),
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.RemoveField(model_name="measureassignment", name="dosing_session"),
                migrations.AddField(
                    model_name="measureassignment",
                    name="dosing_session_id",
                    field=models.BigIntegerField(blank=True, null=True, db_index=True),
                ),
            ],
        ),
        migrations.AlterField(
            model_name="measureassignment",
            name="dosing_session_id",
            field=models.PositiveBigIntegerField(blank=True, null=True, db_index=True),
        ),
    ]
