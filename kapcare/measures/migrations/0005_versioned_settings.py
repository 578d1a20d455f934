"""Measure settings become versioned like every clinic setting: the row each clinic has keeps
its values as version 1 (updated_at/updated_by become published_at/published_by)."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0001_initial"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
        ("measures", "0004_no_replace"),
    ]

    operations = [
        migrations.RenameField("measuresettings", "updated_at", "published_at"),
        migrations.RenameField("measuresettings", "updated_by", "published_by"),
        migrations.AddField(
            model_name="measuresettings",
            name="version",
            field=models.PositiveIntegerField(default=1),
            preserve_default=False,
        ),
        migrations.AlterField(
            model_name="measuresettings",
            name="clinic",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="accounts.clinic",
            ),
        ),
        migrations.AlterModelOptions(
            name="measuresettings",
            options={"ordering": ["clinic", "-version"], "verbose_name_plural": "measure settings"},
        ),
        migrations.AddConstraint(
            model_name="measuresettings",
            constraint=models.UniqueConstraint(
                fields=("clinic", "version"), name="measure_settings_version_unique"
            ),
        ),
    ]
