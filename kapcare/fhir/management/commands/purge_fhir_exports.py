from django.core.management.base import BaseCommand

from kapcare.fhir.exports import purge_expired


class Command(BaseCommand):
    help = (
        "Delete FHIR Bulk Data exports whose time is up (FHIR_EXPORT_HOURS after they finished) "
        "or that were cancelled, with their files. Run hourly (kapcare-purge-exports.timer)."
    )

    def handle(self, *args, **options):
        count = purge_expired()
        self.stdout.write(f"{count} export(s) purged")
