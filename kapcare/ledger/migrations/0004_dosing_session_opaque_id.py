"""The ledger entry's dosing session becomes an opaque id: dosing sits above the ledger, so the
ledger keeps no foreign key to it (referential integrity comes from dosing's services).

The column keeps its name and type (`dosing_session_id`, bigint) and every row keeps its value,
so the hash chain, which covers `dosing_session_id`, still verifies. Three steps: drop the
database's foreign-key constraint, swap the field in the migration state only, then add the
CHECK (>= 0) a PositiveBigIntegerField has. On SQLite the table is rebuilt, which drops the
append-only triggers: 0005 installs them again."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("dosing", "0001_initial"),
        ("ledger", "0003_no_replace"),
    ]

    operations = [
        migrations.AlterField(
            model_name="ledgerentry",
            name="dosing_session",
            field=models.ForeignKey(
                blank=True,
                null=True,
                db_constraint=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="ledger_entries",
                to="dosing.dosingsession",
            ),
        ),
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.RemoveConstraint(
                    model_name="ledgerentry", name="ledger_entry_administration_linked"
                ),
                migrations.RemoveField(model_name="ledgerentry", name="dosing_session"),
                migrations.AddField(
                    model_name="ledgerentry",
                    name="dosing_session_id",
                    field=models.BigIntegerField(blank=True, null=True, db_index=True),
                ),
                migrations.AddConstraint(
                    model_name="ledgerentry",
                    constraint=models.CheckConstraint(
                        condition=models.Q(
                            models.Q(("kind", "administration"), _negated=True),
                            models.Q(("client__isnull", False), ("dosing_session_id__isnull", False)),
                            _connector="OR",
                        ),
                        name="ledger_entry_administration_linked",
                    ),
                ),
            ],
        ),
        migrations.AlterField(
            model_name="ledgerentry",
            name="dosing_session_id",
            field=models.PositiveBigIntegerField(blank=True, null=True, db_index=True),
        ),
    ]
