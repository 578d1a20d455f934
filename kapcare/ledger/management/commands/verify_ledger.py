from django.core.management.base import BaseCommand, CommandError

from kapcare.accounts.models import Clinic
from kapcare.ledger.chain import verify_chain


class Command(BaseCommand):
    help = (
        "Recompute every clinic's controlled-substance ledger hash chain (or one clinic's with "
        "--clinic). Exits 0 when intact; otherwise exits 1 naming the first bad entry."
    )

    def add_arguments(self, parser):
        parser.add_argument("--clinic", type=int, help="Only this clinic (its id).")

    def handle(self, *args, clinic: int | None = None, **options):
        clinics = Clinic.objects.order_by("pk")
        if clinic is not None:
            clinics = clinics.filter(pk=clinic)
            if not clinics.exists():
                raise CommandError(f"No clinic has id {clinic}.")
        failures = []
        for each in clinics:
            result = verify_chain(each)
            if result.ok:
                self.stdout.write(
                    f"Clinic {each.pk} ({each.name}): {result.checked} entries verified; "
                    f"head #{result.head_sequence} {result.head_hash}"
                )
            else:
                failures.append(f"Clinic {each.pk} ({each.name}): {result.problem}")
                self.stderr.write(failures[-1])
        if failures:
            # CommandError: manage.py prints it and exits with status 1.
            raise CommandError("Ledger verification FAILED. " + " | ".join(failures))
