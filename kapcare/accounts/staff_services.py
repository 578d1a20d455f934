"""Writes for a clinic's staff: invite, roles, deactivate/reactivate, reset an authenticator.

Every function takes `actor=` (a clinic admin acting at their clinic), runs in one transaction
with its audit row, and sends any e-mail only after the commit. The clinic row is locked first,
so two admins changing staff at once are serialised and the "last admin" rule cannot be raced.
"""

from __future__ import annotations

from importlib import import_module

from django.conf import settings
from django.contrib.auth import password_validation
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from kapcare.accounts.actor import Actor, staff_user
from kapcare.accounts.invitations import (
    InvitationState,
    invitation_tokens,
    invitation_uid,
)
from kapcare.accounts.models import Clinic, Membership, Role, User
from kapcare.audit.models import AuditAction
from kapcare.audit.services import record_event


def _require_admin(actor: Actor) -> None:
    if not actor.has_role(Role.CLINIC_ADMIN) or actor.user is None:
        raise PermissionDenied(_("Only clinic admins manage staff."))


def _lock_clinic(actor: Actor) -> Clinic:
    """Lock the clinic row, then check again that the actor is still an active admin there:
    their request may have been authorised just before another admin changed their roles."""
    clinic = Clinic.objects.select_for_update().get(pk=actor.clinic_id)
    if not Membership.objects.filter(
        clinic=clinic, user=actor.user, role=Role.CLINIC_ADMIN, user__is_active=True
    ).exists():
        raise PermissionDenied(_("Only clinic admins manage staff."))
    return clinic


def _member_here(actor: Actor, user: User) -> User:
    """The user, locked, if they hold a role at the actor's clinic; another clinic's staff are
    not found (callers turn that into a 404)."""
    if not Membership.objects.filter(clinic_id=actor.clinic_id, user_id=user.pk).exists():
        raise User.DoesNotExist
    return User.objects.select_for_update().get(pk=user.pk)


def _clean_roles(roles) -> list[str]:
    chosen = sorted(set(roles))
    if not chosen:
        raise ValidationError({"roles": _("Choose at least one role.")})
    unknown = [r for r in chosen if r not in Role.values]
    if unknown:
        raise ValidationError({"roles": _("That is not a role at the clinic.")})
    return chosen


def _active_admin_ids(clinic_id: int) -> set[int]:
    return set(
        Membership.objects.filter(
            clinic_id=clinic_id, role=Role.CLINIC_ADMIN, user__is_active=True
        ).values_list("user_id", flat=True)
    )


def _invitation_link(site_url: str, user: User) -> str:
    path = reverse(
        "staff:accept_invitation",
        kwargs={"uidb64": invitation_uid(user), "token": invitation_tokens.make_token(user)},
    )
    return f"{site_url.rstrip('/')}{path}"


def _send_invitation(*, clinic: Clinic, user: User, link: str, inviter: User) -> None:
    context = {
        "clinic": clinic,
        "user": user,
        "link": link,
        "inviter": inviter,
        "hours": settings.KAPCARE_INVITATION_HOURS,
    }
    send_mail(
        render_to_string("accounts/staff/email/invitation_subject.txt", context).strip(),
        render_to_string("accounts/staff/email/invitation.txt", context),
        None,
        [user.email],
    )


def _grant_roles(
    actor: Actor, user: User, roles: list[str], action: AuditAction, summary: str, details: dict
) -> None:
    """One Membership row per role at the actor's clinic, and the staff audit event saying so
    (inside the caller's transaction)."""
    Membership.objects.bulk_create(
        Membership(clinic_id=actor.clinic_id, user=user, role=r) for r in roles
    )
    _audit_staff(actor, user, action, summary, details)


def _audit_staff(
    actor: Actor, user: User, action: AuditAction, summary: str, details: dict | None = None
) -> None:
    """The audit event of a change to a staff member (inside the caller's transaction)."""
    record_event(
        actor=actor, action=action, obj=user, object_type="staff", summary=summary, details=details
    )


@transaction.atomic
def invite_staff_member(
    *,
    actor: Actor,
    email: str,
    full_name: str,
    roles: list[str],
    credentials: str = "",
    site_url: str,
) -> User:
    """Give a person `roles` at the actor's clinic and e-mail them a link to set a password.

    A new account has no usable password until the link is used; its second factor is enrolled
    at first sign-in (the ordinary enrolment flow). Someone who already has a kapcare account
    (they work at another clinic) gets the roles and a notice instead of a link.
    """
    _require_admin(actor)
    clinic = _lock_clinic(actor)
    chosen = _clean_roles(roles)
    email = User.objects.normalize_email(email.strip()).lower()
    existing = User.objects.filter(email__iexact=email).first()
    if existing is not None and Membership.objects.filter(clinic=clinic, user=existing).exists():
        raise ValidationError({"email": _("This person is already on the staff here.")})
    created = existing is None
    if existing is None:
        user = User(email=email, full_name=full_name.strip(), credentials=credentials.strip())
        user.set_unusable_password()
        user.full_clean()
        user.save()
    else:
        user = existing
    _grant_roles(
        actor,
        user,
        chosen,
        AuditAction.CREATE,
        _("Invited %(email)s as staff") % {"email": user.email},
        {"roles": chosen, "new_account": created},
    )
    if created or not user.has_usable_password():
        link = _invitation_link(site_url, user)
        inviter = staff_user(actor)
        transaction.on_commit(
            lambda: _send_invitation(clinic=clinic, user=user, link=link, inviter=inviter)
        )
    else:
        transaction.on_commit(
            lambda: send_mail(
                _("You now work at %(clinic)s on kapcare") % {"clinic": clinic.name},
                _(
                    "%(admin)s added you to the staff of %(clinic)s. Sign in with your usual "
                    "e-mail and password; you can switch clinics at the top of each page."
                )
                % {"admin": staff_user(actor).full_name, "clinic": clinic.name},
                None,
                [user.email],
            )
        )
    return user


@transaction.atomic
def resend_invitation(*, actor: Actor, user: User, site_url: str) -> None:
    """A fresh link for someone who has not set a password yet; earlier links stop working."""
    _require_admin(actor)
    clinic = _lock_clinic(actor)
    user = _member_here(actor, user)
    if user.has_usable_password():
        raise ValidationError(_("%(name)s has already accepted.") % {"name": user.full_name})
    if not user.is_active:
        raise ValidationError(_("Reactivate the account first."))
    user.set_unusable_password()  # a new random marker: the old links' hash no longer matches
    user.save(update_fields=["password"])
    _audit_staff(
        actor,
        user,
        AuditAction.UPDATE,
        _("Re-sent the invitation to %(email)s") % {"email": user.email},
    )
    link = _invitation_link(site_url, user)
    inviter = staff_user(actor)
    transaction.on_commit(
        lambda: _send_invitation(clinic=clinic, user=user, link=link, inviter=inviter)
    )


@transaction.atomic
def accept_invitation(
    *, user: User, token: str, password: str, ip_address: str | None = None, user_agent: str = ""
) -> User:
    """Set the invitee's first password (Django's password validators apply); the link is then
    used up. Raises ValidationError when the link no longer works or the password is weak.

    The invitee acts for themselves here, before they have a session, so the audit rows (one
    per clinic they were invited to) name them as the actor.
    """
    user = User.objects.select_for_update().get(pk=user.pk)
    if invitation_tokens.state(user, token) is not InvitationState.VALID:
        raise ValidationError(_("This invitation link no longer works."))
    password_validation.validate_password(password, user)
    user.set_password(password)
    user.save(update_fields=["password"])
    for clinic in Clinic.objects.filter(memberships__user=user).distinct():
        record_event(
            actor=Actor(user=user, clinic=clinic, ip_address=ip_address, user_agent=user_agent),
            action=AuditAction.UPDATE,
            obj=user,
            object_type="staff",
            summary=_("Accepted the invitation and set a password"),
        )
    return user


@transaction.atomic
def set_staff_roles(*, actor: Actor, user: User, roles: list[str]) -> list[str]:
    """Replace the roles `user` holds at the actor's clinic (one Membership row per role).

    Refused when it would take away the clinic's last active admin, or the acting admin's own
    admin role (another admin must do that, so nobody locks themselves out by a slip).
    """
    _require_admin(actor)
    _lock_clinic(actor)
    user = _member_here(actor, user)
    chosen = _clean_roles(roles)
    current = set(
        Membership.objects.filter(clinic_id=actor.clinic_id, user=user).values_list(
            "role", flat=True
        )
    )
    if Role.CLINIC_ADMIN in current and Role.CLINIC_ADMIN not in chosen:
        if user.pk == staff_user(actor).pk:
            raise ValidationError(
                {"roles": _("You cannot remove your own admin role. Ask another admin.")}
            )
        if _active_admin_ids(actor.clinic_id) <= {user.pk}:
            raise ValidationError(
                {"roles": _("The clinic needs at least one admin. Make someone else admin first.")}
            )
    added, removed = sorted(set(chosen) - current), sorted(current - set(chosen))
    if not added and not removed:
        return []
    Membership.objects.filter(clinic_id=actor.clinic_id, user=user, role__in=removed).delete()
    _grant_roles(
        actor,
        user,
        added,
        AuditAction.UPDATE,
        _("Changed the roles of %(email)s") % {"email": user.email},
        {"added": added, "removed": removed},
    )
    return added + removed


def end_sessions(user: User) -> int:
    """Delete every stored session signed in as `user`; returns how many.

    Sessions are not indexed by user, so this reads the unexpired ones (a clinic's few hundred
    at most: they expire after SESSION_COOKIE_AGE). Stores that cannot be listed (cache,
    signed cookies) are still covered: Django refuses a session of an inactive user.
    """
    engine = import_module(settings.SESSION_ENGINE)
    store_class = engine.SessionStore
    if not hasattr(store_class, "get_model_class"):
        return 0
    model = store_class.get_model_class()
    ended = 0
    decoder = store_class()
    for session in model.objects.filter(expire_date__gt=timezone.now()).iterator():
        data = decoder.decode(session.session_data)
        if str(data.get("_auth_user_id")) == str(user.pk):
            store_class(session_key=session.session_key).delete()
            ended += 1
    return ended


@transaction.atomic
def deactivate_staff_member(*, actor: Actor, user: User, reason: str = "") -> None:
    """Switch the account off: they cannot sign in or witness, and every session they have
    ends now. Nothing they recorded is touched; reactivation gives the account back."""
    _require_admin(actor)
    _lock_clinic(actor)
    user = _member_here(actor, user)
    if user.pk == staff_user(actor).pk:
        raise ValidationError(_("You cannot deactivate your own account."))
    if not user.is_active:
        return
    if Membership.objects.filter(user=user).exclude(clinic_id=actor.clinic_id).exists():
        raise ValidationError(
            _(
                "This person also works at another clinic, so their account cannot be switched "
                "off from here. Remove their roles here instead."
            )
        )
    if _active_admin_ids(actor.clinic_id) <= {user.pk}:
        raise ValidationError(_("The clinic needs at least one active admin."))
    user.is_active = False
    user.save(update_fields=["is_active"])
    ended = end_sessions(user)
    _audit_staff(
        actor,
        user,
        AuditAction.UPDATE,
        _("Deactivated %(email)s") % {"email": user.email},
        {"is_active": False, "sessions_ended": ended, "reason": reason[:200]},
    )


@transaction.atomic
def reactivate_staff_member(*, actor: Actor, user: User) -> None:
    """Give a deactivated account back; any old sign-in lockout is cleared too."""
    _require_admin(actor)
    _lock_clinic(actor)
    user = _member_here(actor, user)
    if user.is_active:
        return
    user.is_active = True
    user.save(update_fields=["is_active"])
    from axes.utils import reset as reset_lockout  # axes reads settings on import

    reset_lockout(username=user.email.lower())
    _audit_staff(
        actor,
        user,
        AuditAction.UPDATE,
        _("Reactivated %(email)s") % {"email": user.email},
        {"is_active": True},
    )


@transaction.atomic
def lift_lockout(*, actor: Actor, user: User) -> int:
    """Clear the failed sign-ins that locked an account (the person asked in person, so the
    admin need not wait out the lock); returns how many records were cleared."""
    _require_admin(actor)
    _lock_clinic(actor)
    user = _member_here(actor, user)
    from axes.utils import reset as reset_lockout  # axes reads settings on import

    cleared = reset_lockout(username=user.email.lower())
    _audit_staff(
        actor,
        user,
        AuditAction.UPDATE,
        _("Lifted the sign-in lockout of %(email)s") % {"email": user.email},
        {"attempts_cleared": cleared},
    )
    return cleared


@transaction.atomic
def reset_authenticator(*, actor: Actor, user: User, witness: User) -> None:
    """Remove a staff member's authenticator and recovery codes after they lost their phone.

    `witness` is a second clinic admin who re-authenticated on the spot
    (kapcare.accounts.witness.verify_witness). The user's sessions end, and at their next
    sign-in they enrol a new authenticator through the ordinary enrolment flow.
    """
    _require_admin(actor)
    _lock_clinic(actor)
    user = _member_here(actor, user)
    if witness.pk in (staff_user(actor).pk, user.pk):
        raise ValidationError(_("The witness must be a second admin, not you or this person."))
    if (
        not witness.is_active
        or not Membership.objects.filter(
            clinic_id=actor.clinic_id, user=witness, role=Role.CLINIC_ADMIN
        ).exists()
    ):
        raise ValidationError(_("The witness must be another active clinic admin."))
    totp = TOTPDevice.objects.filter(user=user).delete()[0]
    static = StaticDevice.objects.filter(user=user).delete()[0]
    ended = end_sessions(user)
    _audit_staff(
        actor,
        user,
        AuditAction.UPDATE,
        _("Reset the authenticator of %(email)s, witnessed by %(witness)s")
        % {"email": user.email, "witness": witness.email},
        {
            "witness_id": witness.pk,
            "devices_removed": totp + static,
            "sessions_ended": ended,
        },
    )
    clinic_name = actor.clinic.name
    transaction.on_commit(
        lambda: send_mail(
            _("Your kapcare two-step sign-in was reset"),
            _(
                "An admin at %(clinic)s reset your two-step sign-in. The next time you sign in "
                "you will set up your authenticator app again. If you did not ask for this, "
                "tell your clinic admin now."
            )
            % {"clinic": clinic_name},
            None,
            [user.email],
        )
    )
