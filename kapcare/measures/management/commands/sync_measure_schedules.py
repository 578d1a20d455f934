from django.core.management.base import BaseCommand

from kapcare.accounts.models import Clinic
from kapcare.measures.services.schedules import courses_needing_sync, sync_schedules


class Command(BaseCommand):
    help = "Bring every course's measure schedule up to date (run daily; idempotent)."

    def handle(self, *args, **options):
        for clinic in Clinic.objects.order_by("pk"):
            changed = sync_schedules(clinic=clinic, courses=list(courses_needing_sync(clinic)))
            self.stdout.write(f"{clinic}: {changed} assignment(s) added or changed")
