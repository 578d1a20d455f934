from django.core.management.base import BaseCommand

from kapcare.accounts.models import Clinic
from kapcare.measures.services.instruments import ensure_shipped_instruments


class Command(BaseCommand):
    help = "Give every clinic the shipped instrument definitions it lacks (idempotent)."

    def handle(self, *args, **options):
        for clinic in Clinic.objects.order_by("pk"):
            created = ensure_shipped_instruments(clinic=clinic)
            self.stdout.write(f"{clinic}: {len(created)} definition(s) added")
