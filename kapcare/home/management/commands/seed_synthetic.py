import datetime as dt
import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from kapcare.accounts.models import Clinic
from kapcare.home.demo import DEMO_PASSWORD
from kapcare.home.synthetic.run import Plan, generate

# A fixed "today" so that one seed gives the same data whenever it is run.
DEFAULT_TODAY = dt.date(2026, 11, 30)


class Command(BaseCommand):
    help = (
        "Generate realistic synthetic clinics and clients across every domain (deterministic "
        "for a seed). Refused into a database that already has clinics unless --append, and "
        "with DEBUG off unless --force."
    )

    def add_arguments(self, parser):
        parser.add_argument("--clinics", type=int, default=3)
        parser.add_argument("--clients", type=int, default=1000, help="in total, over all clinics")
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument(
            "--today",
            type=dt.date.fromisoformat,
            default=DEFAULT_TODAY,
            help=f"the day the data is as of (YYYY-MM-DD; default {DEFAULT_TODAY})",
        )
        parser.add_argument(
            "--append", action="store_true", help="add clinics to a database that has some"
        )
        parser.add_argument(
            "--force",
            action="store_true",
            help="also run with DEBUG off (never on a production database) and with clinics",
        )

    def handle(self, *args, clinics, clients, seed, today, append, force, verbosity, **options):
        if clinics < 1 or clients < clinics:
            raise CommandError("Give at least one clinic and at least one client per clinic.")
        if not settings.DEBUG and not force:
            raise CommandError(
                "Synthetic data is for development and load testing: set DEBUG=1, or pass "
                "--force if you are sure this is not a production database."
            )
        existing = Clinic.objects.count()
        if existing and not (append or force):
            raise CommandError(
                f"This database already has {existing} clinic(s). Seed into an empty database, "
                "or pass --append to add synthetic clinics beside them."
            )
        started = time.monotonic()
        plan = Plan(clinics=clinics, clients=clients, seed=seed, today=today)
        if verbosity > 0:
            with Progress(
                TextColumn("{task.description:10}"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                transient=False,
            ) as bar:
                tasks = {"clients": bar.add_task("clients", total=clients)}

                def tick(stage: str, n: int) -> None:
                    if stage not in tasks:
                        tasks[stage] = bar.add_task(stage, total=None)
                    bar.advance(tasks[stage], n)

                setups, counts = generate(plan, progress=tick)
        else:
            setups, counts = generate(plan)
        elapsed = time.monotonic() - started
        if verbosity == 0:
            return
        out = self.stdout
        out.write("")
        out.write("Rows written:")
        for label, count in sorted(counts.items()):
            out.write(f"  {label:34} {count:>10,}")
        out.write(f"  {'total':34} {sum(counts.values()):>10,}")
        out.write(
            self.style.SUCCESS(
                f"Seeded {clinics} clinic(s), {clients:,} clients in "
                f"{elapsed:.1f} s (seed {seed}, as of {today})."
            )
        )
        out.write("")
        out.write(f"Staff logins (password for all: {DEMO_PASSWORD}):")
        for setup in setups:
            out.write(f"  {setup.clinic.name:28} {setup.staff['admin'].email}")
            out.write(f"  {'':28} {setup.staff['therapist'].email}")
        out.write("Second step: print the current 6-digit code with")
        out.write(f"  manage.py demo_totp {setups[0].staff['therapist'].email}")
