"""`manage.py revoke_api_token`: stop a token working at once, by its secret, its prefix (as the
clinic's API tokens page shows it) or its id."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from kapcare.accounts.actor import Actor
from kapcare.accounts.api_tokens import TOKEN_PREFIX, find_token, revoke_token
from kapcare.accounts.models import ApiToken


def token_named(text: str | None, token_id: int | None) -> ApiToken:
    if token_id is not None:
        token = ApiToken.objects.select_related("clinic", "user").filter(pk=token_id).first()
        if token is None:
            raise CommandError(f"No API token with id {token_id}.")
        return token
    text = (text or "").strip().rstrip("…")
    if not text:
        raise CommandError("Give the token, its prefix (e.g. kc_AbC123) or --id N.")
    if text.isdigit():
        return token_named(None, int(text))
    token = find_token(text)
    if token is not None:
        return token
    if not text.startswith(TOKEN_PREFIX) or len(text) <= len(TOKEN_PREFIX):
        raise CommandError(f"{text[:20]} is not an API token, a token's prefix or an id.")
    matches = list(ApiToken.objects.select_related("clinic", "user").filter(prefix=text)[:10])
    if not matches:
        raise CommandError("No API token has that secret or prefix.")
    if len(matches) > 1:
        ids = ", ".join(str(t.pk) for t in matches)
        raise CommandError(f"Several tokens start with {text}; choose one with --id: {ids}.")
    return matches[0]


class Command(BaseCommand):
    help = "Revoke an API token: by the token itself, the prefix the tokens page shows, or --id."

    def add_arguments(self, parser):
        parser.add_argument("token", nargs="?", help="The token, or its prefix, or its id.")
        parser.add_argument("--id", type=int, dest="token_id", default=None)

    def handle(self, *args, token=None, token_id=None, **options):
        found = token_named(token, token_id)
        already = found.revoked_at is not None
        revoked = revoke_token(
            actor=Actor.system(found.clinic, request_id="revoke_api_token"), token=found
        )
        when = f"{revoked.revoked_at:%Y-%m-%d %H:%M} UTC"
        state = f"was already revoked ({when})" if already else "is revoked"
        self.stdout.write(
            f"API token “{revoked.label}” ({revoked.prefix}…, id {revoked.pk}) of "
            f"{revoked.user.email} at {revoked.clinic.name} {state}."
        )
