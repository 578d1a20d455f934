"""Writes for accounts: MFA enrolment and recovery codes, clinic staff."""

from __future__ import annotations

import math

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from kapcare.accounts.models import Clinic, Membership, User

RECOVERY_DEVICE_NAME = "recovery"
TOTP_DEVICE_NAME = "authenticator"


def start_totp_enrolment(*, user: User) -> TOTPDevice:
    """The unconfirmed authenticator the user is about to scan; the same one on every reload."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("-id").first()
    return device or TOTPDevice.objects.create(user=user, name=TOTP_DEVICE_NAME, confirmed=False)


@transaction.atomic
def confirm_totp_enrolment(*, user: User, device: TOTPDevice, token: str) -> list[str] | None:
    """Confirm `device` if `token` is its current code. Replaces any earlier authenticator and
    issues fresh recovery codes, returned once in plain text. None when the code is wrong."""
    if device.user_id != user.pk or device.confirmed or not device.verify_token(token):
        return None
    TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    return issue_recovery_codes(user=user)


@transaction.atomic
def issue_recovery_codes(*, user: User) -> list[str]:
    """Replace the user's one-time recovery codes; the old ones stop working at once."""
    device, _ = StaticDevice.objects.get_or_create(
        user=user, name=RECOVERY_DEVICE_NAME, defaults={"confirmed": True}
    )
    device.token_set.all().delete()
    codes = [StaticToken.random_token() for _ in range(settings.KAPCARE_RECOVERY_CODE_COUNT)]
    StaticToken.objects.bulk_create(StaticToken(device=device, token=code) for code in codes)
    return codes


def verify_second_factor(*, user: User, token: str) -> TOTPDevice | StaticDevice | None:
    """The device that accepts `token` (a 6-digit authenticator code or a recovery code).

    Both device kinds throttle repeated failures themselves; a used recovery code is consumed.
    """
    token = "".join(token.split()).lower()
    # Only a code of the authenticator's length is an authenticator code: recovery codes are
    # 8 base32 characters and, now and then, all digits.
    authenticators = [
        device
        for device in TOTPDevice.objects.filter(user=user, confirmed=True)
        if token.isdigit() and len(token) == device.digits
    ]
    if authenticators:
        return next((device for device in authenticators if device.verify_token(token)), None)
    for device in StaticDevice.objects.filter(user=user, confirmed=True):
        if device.verify_token(token):
            return device
    return None


def second_factor_wait_seconds(*, user: User) -> int:
    """How long the user must wait before another authenticator code is even checked
    (django-otp doubles the wait after each wrong code); 0 when they may try now."""
    wait = 0
    for device in TOTPDevice.objects.filter(user=user, confirmed=True):
        allowed, detail = device.verify_is_allowed()
        if not allowed and detail and detail.get("locked_until"):
            remaining = (detail["locked_until"] - timezone.now()).total_seconds()
            wait = max(wait, math.ceil(remaining))
    return wait


@transaction.atomic
def add_staff_member(
    *,
    clinic: Clinic,
    email: str,
    full_name: str,
    roles: list[str],
    password: str | None = None,
    credentials: str = "",
) -> User:
    """Create (or find) a user and give them `roles` at `clinic`."""
    user = User.objects.filter(email__iexact=email).first()
    if user is None:
        user = User.objects.create_user(
            email=email, password=password, full_name=full_name, credentials=credentials
        )
    for role in roles:
        Membership.objects.get_or_create(clinic=clinic, user=user, role=role)
    return user
