"""Invitation links for new staff: signed, expiring, and good for one use.

The token is Django's password-reset token with its own salt and lifetime. It is built from the
user's password hash, so it stops working the moment the invitee sets a password (one use) or the
admin re-sends the invitation (which gives the account a fresh unusable password).
"""

from __future__ import annotations

import enum

from django.conf import settings
from django.contrib.auth.tokens import PasswordResetTokenGenerator
from django.utils.crypto import constant_time_compare
from django.utils.encoding import force_bytes, force_str
from django.utils.http import base36_to_int, urlsafe_base64_decode, urlsafe_base64_encode

from kapcare.accounts.models import User


class InvitationState(enum.Enum):
    VALID = "valid"
    EXPIRED = "expired"
    USED = "used"
    INVALID = "invalid"


class InvitationTokenGenerator(PasswordResetTokenGenerator):
    key_salt = "kapcare.accounts.invitations.InvitationTokenGenerator"

    @property
    def timeout_seconds(self) -> int:
        return int(settings.KAPCARE_INVITATION_HOURS * 3600)

    def state(self, user: User | None, token: str) -> InvitationState:
        """Why a link does or does not work, so the page can say so plainly."""
        if user is None or not token or not user.is_active:
            return InvitationState.INVALID
        if user.has_usable_password():
            return InvitationState.USED
        try:
            ts_b36, _hash = token.split("-")
            ts = base36_to_int(ts_b36)
        except ValueError:
            return InvitationState.INVALID
        secrets = [self.secret, *self.secret_fallbacks]
        if not any(
            constant_time_compare(self._make_token_with_timestamp(user, ts, secret), token)
            for secret in secrets
        ):
            return InvitationState.INVALID
        if (self._num_seconds(self._now()) - ts) > self.timeout_seconds:
            return InvitationState.EXPIRED
        return InvitationState.VALID

    def check_token(self, user, token) -> bool:
        return self.state(user, token) is InvitationState.VALID


invitation_tokens = InvitationTokenGenerator()


def invitation_uid(user: User) -> str:
    return urlsafe_base64_encode(force_bytes(user.pk))


def user_from_uid(uidb64: str) -> User | None:
    try:
        pk = int(force_str(urlsafe_base64_decode(uidb64)))
    except (TypeError, ValueError, OverflowError):
        return None
    return User.objects.filter(pk=pk).first()
