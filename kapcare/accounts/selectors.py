from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from kapcare.accounts.models import Membership, User


def has_confirmed_totp(user: User) -> bool:
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def remaining_recovery_codes(user: User) -> int:
    device = StaticDevice.objects.filter(user=user, name="recovery").first()
    return device.token_set.count() if device else 0


def clinic_staff(clinic_id: int, role: str | None = None):
    """Active users holding `role` (any role when None) at a clinic, each once."""
    memberships = Membership.objects.filter(clinic_id=clinic_id)
    if role:
        memberships = memberships.filter(role=role)
    return User.objects.filter(is_active=True, pk__in=memberships.values("user_id")).order_by(
        "full_name"
    )
