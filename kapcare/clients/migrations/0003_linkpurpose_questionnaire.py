from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("clients", "0002_clientlink_inquiry_intake")]

    operations = [
        migrations.AlterField(
            model_name="clientlink",
            name="purpose",
            field=models.CharField(
                choices=[
                    ("intake", "Fill in the intake form"),
                    ("consent", "Read and sign the consent"),
                    ("questionnaire", "Fill in a questionnaire"),
                ],
                max_length=20,
            ),
        ),
    ]
