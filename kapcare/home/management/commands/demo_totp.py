import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from kapcare.home.demo import DEMO_DOMAIN


class Command(BaseCommand):
    help = "Print the current authenticator code of a demo user (development only)."

    def add_arguments(self, parser):
        parser.add_argument("email")

    def handle(self, *args, email: str, **options):
        if not settings.DEBUG or not email.lower().endswith("@" + DEMO_DOMAIN):
            raise CommandError(f"Only for demo accounts (@{DEMO_DOMAIN}) with DEBUG=1.")
        device = TOTPDevice.objects.filter(user__email__iexact=email, confirmed=True).first()
        if device is None:
            raise CommandError(f"No demo authenticator for {email}: run `make demo` first.")
        totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
        totp.time = time.time()
        self.stdout.write(f"{totp.token():0{device.digits}d}")
