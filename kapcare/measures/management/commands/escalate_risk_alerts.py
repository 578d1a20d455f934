from django.core.management.base import BaseCommand
from django.utils import timezone

from kapcare.measures.services.alerts import escalate_due_alerts


class Command(BaseCommand):
    help = (
        "Escalate unacknowledged risk alerts whose delay has passed (run every few minutes from "
        "cron; safe alongside the deferred escalation tasks)."
    )

    def handle(self, *args, **options):
        count = escalate_due_alerts(now=timezone.now())
        self.stdout.write(f"{count} alert(s) escalated")
