from django.core.management.base import BaseCommand, CommandError

from kapcare.accounts.models import Clinic
from kapcare.audit.chain import verify_audit_chain


class Command(BaseCommand):
    help = (
        "Recompute the audit trail's hash chains: every clinic's and the chain of events "
        "without a clinic (failed sign-ins…), or one clinic's with --clinic. Exits 0 when "
        "intact; otherwise exits 1 naming the first bad event."
    )

    def add_arguments(self, parser):
        parser.add_argument("--clinic", type=int, help="Only this clinic (its id).")

    def handle(self, *args, clinic: int | None = None, **options):
        clinics = Clinic.objects.order_by("pk")
        if clinic is not None:
            clinics = clinics.filter(pk=clinic)
            if not clinics.exists():
                raise CommandError(f"No clinic has id {clinic}.")
        chains = [(each.pk, f"Clinic {each.pk} ({each.name})") for each in clinics]
        if clinic is None:
            chains.append((None, "Events without a clinic"))
        failures = []
        for clinic_id, label in chains:
            result = verify_audit_chain(clinic_id)
            if result.ok:
                self.stdout.write(f"{label}: {result.checked} audit events verified")
            else:
                failures.append(f"{label}: {result.problem}")
                self.stderr.write(failures[-1])
        if failures:
            # CommandError: manage.py prints it and exits with status 1.
            raise CommandError("Audit verification FAILED. " + " | ".join(failures))
