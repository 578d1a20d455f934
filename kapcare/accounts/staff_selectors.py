"""Reads for the staff pages: a clinic's staff with their roles, status and second factor."""

from __future__ import annotations

from django.conf import settings
from django.db.models import Exists, OuterRef, Prefetch, QuerySet
from django.http import Http404
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from kapcare.accounts.actor import Actor
from kapcare.accounts.models import Membership, User


def _with_staff_facts(users: QuerySet[User], clinic_id: int) -> QuerySet[User]:
    """Each user with `clinic_roles` (their Membership rows here) and `mfa_enrolled`, in a
    fixed number of queries however many users there are."""
    return users.annotate(
        mfa_enrolled=Exists(TOTPDevice.objects.filter(user=OuterRef("pk"), confirmed=True))
    ).prefetch_related(
        Prefetch(
            "memberships",
            queryset=Membership.objects.filter(clinic_id=clinic_id).order_by("role"),
            to_attr="clinic_roles",
        )
    )


def staff_of_clinic(clinic_id: int) -> QuerySet[User]:
    """Everyone holding a role at the clinic, active or not, by name."""
    users = User.objects.filter(
        pk__in=Membership.objects.filter(clinic_id=clinic_id).values("user_id")
    ).order_by("full_name", "pk")
    return _with_staff_facts(users, clinic_id)


def get_staff_member_or_404(actor: Actor, user_id: int) -> User:
    """A staff member of the actor's clinic; another clinic's staff are not found."""
    user = staff_of_clinic(actor.clinic_id).filter(pk=user_id).first()
    if user is None:
        raise Http404("No such staff member.")
    return user


def staff_status(user: User) -> str:
    if not user.is_active:
        return "deactivated"
    if not user.has_usable_password():
        return "invited"
    return "active"


def is_locked_out(user: User) -> bool:
    """Whether django-axes is refusing this account's sign-ins after too many wrong passwords."""
    from axes.helpers import get_cool_off  # axes reads settings on import
    from axes.models import AccessAttempt

    attempts = AccessAttempt.objects.filter(
        username=user.email.lower(), failures_since_start__gte=settings.AXES_FAILURE_LIMIT
    )
    cool_off = get_cool_off()
    if cool_off is not None:
        attempts = attempts.filter(attempt_time__gte=timezone.now() - cool_off)
    return attempts.exists()
