"""`manage.py issue_api_token`: the server operator issues a token (e.g. before any admin has
signed in, or from a deployment script). The token is the last word of the output, so a script
can take it with `| awk '{print $NF}' | tail -1`."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from kapcare.accounts.actor import Actor
from kapcare.accounts.api_tokens import MAX_EXPIRY_DAYS, issue_token
from kapcare.accounts.models import Clinic, User


def service_refusal(error: ValidationError) -> CommandError:
    return CommandError(" ".join(error.messages))


def clinic_of(user: User, clinic_id: int | None) -> Clinic:
    """The clinic the token acts at: the one asked for, or the user's only clinic."""
    clinics = list(Clinic.objects.filter(memberships__user=user).distinct().order_by("pk"))
    listing = ", ".join(f"{c.pk} ({c.name})" for c in clinics)
    if clinic_id is not None:
        chosen = next((c for c in clinics if c.pk == clinic_id), None)
        if chosen is None:
            raise CommandError(
                f"{user.email} holds no role at clinic {clinic_id}; their clinics: "
                f"{listing or 'none'}."
            )
        return chosen
    if not clinics:
        raise CommandError(f"{user.email} holds no role at any clinic.")
    if len(clinics) > 1:
        raise CommandError(
            f"{user.email} works at several clinics; choose one with --clinic: {listing}."
        )
    return clinics[0]


class Command(BaseCommand):
    help = (
        "Issue an API token for a member of staff. The token is printed once, as the last word "
        "of the output; only its hash is kept."
    )

    def add_arguments(self, parser):
        parser.add_argument("--user", required=True, help="The staff member's e-mail address.")
        parser.add_argument(
            "--scopes",
            required=True,
            help='Space-separated SMART scopes, e.g. "user/*.rs" or '
            '"user/Patient.rs user/QuestionnaireResponse.c" or "system/*.rs".',
        )
        parser.add_argument(
            "--expires-days",
            type=int,
            default=None,
            help=f"Days until the token stops working (1 to {MAX_EXPIRY_DAYS}; default 90).",
        )
        parser.add_argument(
            "--clinic", type=int, default=None, help="Clinic id, when the user works at several."
        )
        parser.add_argument("--label", default="", help="What uses the token.")

    def handle(self, *args, **options):
        email = options["user"].strip()
        user = User.objects.filter(email__iexact=email).first()
        if user is None:
            raise CommandError(f"No user with the e-mail address {email}.")
        clinic = clinic_of(user, options["clinic"])
        try:
            token, raw = issue_token(
                actor=Actor.system(clinic, request_id="issue_api_token"),
                user=user,
                scopes=options["scopes"],
                label=options["label"],
                expires_days=options["expires_days"],
            )
        except ValidationError as error:
            raise service_refusal(error) from None
        out = self.stdout
        out.write(f"Issued API token “{token.label}” ({token.prefix}…, id {token.pk})")
        out.write(f"  for {user.email} at {clinic.name} (clinic {clinic.pk})")
        out.write(f"  scopes:  {token.scopes}")
        out.write(f"  expires: {token.expires_at:%Y-%m-%d %H:%M} UTC")
        out.write("It is shown only now; kapcare keeps only its hash. The token:")
        out.write(raw)
