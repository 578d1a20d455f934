"""The index on a course's scores per instrument gains their time, newest first (ties by id):
the outcomes dashboard numbers each course's scores in that order with one window function,
and reads it from this index instead of sorting every response. It replaces the (course,
instrument_code) index, a prefix of it. Neither operation rebuilds the table on SQLite, so the
append-only triggers of 0002/0004 stay in place."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("measures", "0006_dosing_session_opaque_id")]

    operations = [
        migrations.RemoveIndex(model_name="response", name="response_course_code"),
        migrations.AddIndex(
            model_name="response",
            index=models.Index(
                fields=["course", "instrument_code", "-completed_at", "-id"],
                name="response_course_code_time",
            ),
        ),
    ]
