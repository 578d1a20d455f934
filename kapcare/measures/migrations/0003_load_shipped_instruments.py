from django.db import migrations


def load(apps, schema_editor):
    """Existing clinics get the shipped definitions; later clinics get them on first use
    (kapcare.measures.services.instruments.ensure_shipped_instruments)."""
    from kapcare.measures.definitions import shipped_definitions

    Clinic = apps.get_model("accounts", "Clinic")
    InstrumentDefinition = apps.get_model("measures", "InstrumentDefinition")
    for clinic in Clinic.objects.all():
        for data in shipped_definitions():
            InstrumentDefinition.objects.get_or_create(
                clinic=clinic,
                code=data["code"],
                version=data["version"],
                defaults={
                    "title": data["title"],
                    "definition": data,
                    "origin": "shipped",
                    "is_active": not InstrumentDefinition.objects.filter(
                        clinic=clinic, code=data["code"], is_active=True
                    ).exists(),
                },
            )


class Migration(migrations.Migration):
    dependencies = [("measures", "0002_append_only")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
