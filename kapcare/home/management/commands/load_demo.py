from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from kapcare.home.demo import DEMO_PASSWORD, STAFF, demo_email, load_demo


class Command(BaseCommand):
    help = "Load the fictional demo clinic (idempotent). Refused unless DEBUG is on."

    def handle(self, *args, **options):
        if not settings.DEBUG:
            raise CommandError(
                "Demo data is only for development: set DEBUG=1 (make run does). "
                "It is never loaded into a production database."
            )
        clinic, _ = load_demo()
        out = self.stdout
        out.write(self.style.SUCCESS(f"Demo clinic ready: {clinic.name}"))
        out.write("")
        out.write(f"Demo logins (password for all: {DEMO_PASSWORD})")
        for key, name, _credentials, roles in STAFF:
            role_names = ", ".join(str(r.label) for r in roles)
            out.write(f"  {demo_email(key):34} {name:20} {role_names}")
        out.write("")
        out.write("Second step: print the current 6-digit code with")
        out.write("  .venv/bin/python manage.py demo_totp therapist@demo.kapcare.test")
        out.write("")
        out.write("API token for another system (README: Connect another system):")
        out.write(
            "  .venv/bin/python manage.py issue_api_token --user therapist@demo.kapcare.test "
            '--scopes "user/*.rs"'
        )
