"""Encryption at rest for psychotherapy process notes (DESIGN.md: excluded from exports,
readable only by their author unless shared). The key comes from KAPCARE_NOTE_KEY."""

import base64
import hashlib

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


def _fernet() -> Fernet:
    secret = settings.KAPCARE_NOTE_KEY
    if not secret:
        raise ImproperlyConfigured("Set KAPCARE_NOTE_KEY to write or read process notes.")
    key = base64.urlsafe_b64encode(hashlib.sha256(f"kapcare-notes:{secret}".encode()).digest())
    return Fernet(key)


def encrypt_text(text: str) -> str:
    return _fernet().encrypt(text.encode("utf-8")).decode("ascii")


def decrypt_text(token: str) -> str:
    if not token:
        return ""
    try:
        return _fernet().decrypt(token.encode("ascii")).decode("utf-8")
    except InvalidToken as error:
        raise ImproperlyConfigured(
            "A process note could not be decrypted: KAPCARE_NOTE_KEY differs from the one used."
        ) from error
