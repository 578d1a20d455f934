"""Issuing tokens in tests the way the clinic does: through the service, as the system actor."""

from __future__ import annotations

from django.test import Client as DjangoClient

from kapcare.accounts.actor import Actor
from kapcare.accounts.api_tokens import issue_token


def token_for(user, clinic, scopes: str = "user/*.cruds", **options) -> str:
    _token, raw = issue_token(actor=Actor.system(clinic), user=user, scopes=scopes, **options)
    return raw


class Bearer(DjangoClient):
    """A test client that sends `Authorization: Bearer <token>` on every request."""

    def __init__(self, raw: str, **defaults):
        super().__init__(HTTP_AUTHORIZATION=f"Bearer {raw}", **defaults)


def bearer(user, clinic, scopes: str = "user/*.cruds", **options) -> Bearer:
    return Bearer(token_for(user, clinic, scopes, **options))
