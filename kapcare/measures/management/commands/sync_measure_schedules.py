from django.core.management.base import BaseCommand

from kapcare.accounts.models import Clinic
from kapcare.measures.services.schedules import sync_clinic


class Command(BaseCommand):
    help = (
        "Bring every course's measure schedule up to date (run daily; idempotent). Schedules "
        "follow the services that change them; this catches up changes made any other way."
    )

    def handle(self, *args, **options):
        for clinic in Clinic.objects.order_by("pk"):
            changed = sync_clinic(clinic=clinic)
            self.stdout.write(f"{clinic}: {changed} assignment(s) added or changed")
