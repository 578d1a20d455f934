"""Staff management services: invite, roles, deactivate/reactivate, reset an authenticator."""

import time

import pytest
from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.models import Session
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client as DjangoClient
from django.urls import reverse
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from kapcare.accounts import staff_services
from kapcare.accounts.invitations import InvitationState, invitation_tokens
from kapcare.accounts.models import Membership, Role, User
from kapcare.accounts.services import issue_recovery_codes
from kapcare.accounts.witness import verify_witness
from kapcare.audit.models import AuditAction, AuditEvent
from tests.conftest import signed_in
from tests.factories import TEST_PASSWORD, make_staff

SITE = "https://clinic.example"


def _code(user) -> str:
    device = TOTPDevice.objects.get(user=user, confirmed=True)
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time()
    return f"{totp.token():0{device.digits}d}"


@pytest.fixture
def admin(clinic):
    return make_staff(clinic, Role.CLINIC_ADMIN, full_name="Ada Admin")


@pytest.fixture
def admin_actor(admin, clinic, actor_for):
    return actor_for(admin, clinic)


def _invite(actor, email="nell@clinic.test", roles=(Role.THERAPIST,), **kw):
    return staff_services.invite_staff_member(
        actor=actor, email=email, full_name="Nell Newcomer", roles=list(roles), site_url=SITE, **kw
    )


# --- invitation ---


def test_invite_creates_an_account_without_password_with_the_roles_and_emails_a_link(
    admin_actor, clinic, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        user = _invite(admin_actor, email="Nell@Clinic.test", roles=[Role.THERAPIST, Role.NURSE])

    assert user.email == "nell@clinic.test"
    assert not user.has_usable_password()
    assert set(user.memberships.filter(clinic=clinic).values_list("role", flat=True)) == {
        Role.THERAPIST,
        Role.NURSE,
    }
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["nell@clinic.test"]
    assert f"{SITE}/staff/invitation/" in mail.outbox[0].body
    event = AuditEvent.objects.get(object_type="staff", action=AuditAction.CREATE)
    assert event.clinic == clinic and event.object_id == str(user.pk)


def test_invitation_email_is_sent_only_after_commit(
    admin_actor, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        _invite(admin_actor)
    assert mail.outbox == [] and len(callbacks) == 1


def test_invite_refuses_someone_already_on_staff(admin_actor, staff):
    with pytest.raises(ValidationError) as error:
        _invite(admin_actor, email=staff[Role.NURSE].email)
    assert "email" in error.value.error_dict


def test_only_a_clinic_admin_invites(staff, clinic, actor_for):
    with pytest.raises(PermissionDenied):
        _invite(actor_for(staff[Role.PRESCRIBER], clinic))
    assert not User.objects.filter(email="nell@clinic.test").exists()


def test_accepting_sets_a_validated_password_and_uses_the_link_up(admin_actor):
    user = _invite(admin_actor)
    token = invitation_tokens.make_token(user)

    with pytest.raises(ValidationError):
        staff_services.accept_invitation(user=user, token=token, password="password")
    user.refresh_from_db()
    assert not user.has_usable_password()

    staff_services.accept_invitation(user=user, token=token, password=TEST_PASSWORD)
    user.refresh_from_db()
    assert user.check_password(TEST_PASSWORD)
    assert invitation_tokens.state(user, token) is InvitationState.USED
    with pytest.raises(ValidationError):
        staff_services.accept_invitation(user=user, token=token, password="another good pass 9")


def test_resending_an_invitation_voids_the_earlier_link(admin_actor):
    user = _invite(admin_actor)
    old = invitation_tokens.make_token(user)

    staff_services.resend_invitation(actor=admin_actor, user=user, site_url=SITE)

    user.refresh_from_db()
    assert invitation_tokens.state(user, old) is InvitationState.INVALID
    assert invitation_tokens.state(user, invitation_tokens.make_token(user)) is (
        InvitationState.VALID
    )


def test_an_invitation_link_expires(admin_actor, settings):
    settings.KAPCARE_INVITATION_HOURS = 72
    user = _invite(admin_actor)
    now = invitation_tokens._num_seconds(invitation_tokens._now())
    made_73_hours_ago = invitation_tokens._make_token_with_timestamp(
        user, now - 73 * 3600, invitation_tokens.secret
    )
    made_71_hours_ago = invitation_tokens._make_token_with_timestamp(
        user, now - 71 * 3600, invitation_tokens.secret
    )
    assert invitation_tokens.state(user, made_73_hours_ago) is InvitationState.EXPIRED
    assert invitation_tokens.state(user, made_71_hours_ago) is InvitationState.VALID


# --- roles ---


def test_roles_are_replaced_one_membership_row_per_role(admin_actor, staff, clinic):
    nurse = staff[Role.NURSE]
    staff_services.set_staff_roles(
        actor=admin_actor, user=nurse, roles=[Role.NURSE, Role.PRESCRIBER]
    )
    assert set(
        Membership.objects.filter(user=nurse, clinic=clinic).values_list("role", flat=True)
    ) == {
        Role.NURSE,
        Role.PRESCRIBER,
    }
    event = AuditEvent.objects.filter(object_type="staff", action=AuditAction.UPDATE).latest("id")
    assert event.details == {"added": [Role.PRESCRIBER], "removed": []}


def test_an_admin_cannot_remove_their_own_admin_role(admin_actor, admin, clinic, staff):
    with pytest.raises(ValidationError, match="own admin role"):
        staff_services.set_staff_roles(actor=admin_actor, user=admin, roles=[Role.THERAPIST])
    assert Membership.objects.filter(user=admin, clinic=clinic, role=Role.CLINIC_ADMIN).exists()


def test_the_last_active_admin_cannot_lose_the_admin_role_even_in_a_race(clinic, actor_for):
    # Given two admins who each opened the other's page, and a deactivated admin
    first = make_staff(clinic, Role.CLINIC_ADMIN, full_name="First Admin")
    second = make_staff(clinic, Role.CLINIC_ADMIN, full_name="Second Admin")
    make_staff(clinic, Role.CLINIC_ADMIN, full_name="Gone Admin", is_active=False)
    first_actor, second_actor = actor_for(first, clinic), actor_for(second, clinic)
    # When the second removes the first's admin role
    staff_services.set_staff_roles(actor=second_actor, user=first, roles=[Role.THERAPIST])
    # Then the first (whose page still showed them as admin) cannot remove the last admin,
    # and the last admin cannot remove themselves
    with pytest.raises(PermissionDenied):
        staff_services.set_staff_roles(actor=first_actor, user=second, roles=[Role.NURSE])
    with pytest.raises(PermissionDenied):
        staff_services.deactivate_staff_member(actor=first_actor, user=second)
    with pytest.raises(ValidationError):
        staff_services.set_staff_roles(actor=second_actor, user=second, roles=[Role.NURSE])
    with pytest.raises(ValidationError):
        staff_services.deactivate_staff_member(actor=second_actor, user=second)
    assert Membership.objects.filter(user=second, role=Role.CLINIC_ADMIN).exists()


def test_no_roles_at_all_is_refused(admin_actor, staff):
    with pytest.raises(ValidationError):
        staff_services.set_staff_roles(actor=admin_actor, user=staff[Role.NURSE], roles=[])


def test_another_clinics_staff_cannot_be_changed(admin_actor, other_clinic):
    outsider = make_staff(other_clinic, Role.NURSE)
    with pytest.raises(User.DoesNotExist):
        staff_services.set_staff_roles(actor=admin_actor, user=outsider, roles=[Role.THERAPIST])
    with pytest.raises(User.DoesNotExist):
        staff_services.deactivate_staff_member(actor=admin_actor, user=outsider)


# --- deactivation ---


def test_deactivation_ends_every_session_of_that_user_at_once(admin_actor, staff, clinic):
    nurse = staff[Role.NURSE]
    browser = signed_in(nurse)
    assert browser.get(reverse("home:home")).status_code == 200
    bystander = signed_in(staff[Role.THERAPIST])

    staff_services.deactivate_staff_member(actor=admin_actor, user=nurse, reason="left")

    nurse.refresh_from_db()
    assert not nurse.is_active
    owners = [s.get_decoded().get(SESSION_KEY) for s in Session.objects.all()]
    assert str(nurse.pk) not in owners
    response = browser.get(reverse("home:home"))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert bystander.get(reverse("home:home")).status_code == 200
    event = AuditEvent.objects.filter(object_type="staff").latest("id")
    assert event.details["sessions_ended"] == 1 and event.details["is_active"] is False


def test_a_deactivated_user_cannot_sign_in(admin_actor, staff):
    nurse = staff[Role.NURSE]
    staff_services.deactivate_staff_member(actor=admin_actor, user=nurse)
    http = DjangoClient()
    http.post(reverse("accounts:login"), {"username": nurse.email, "password": TEST_PASSWORD})
    assert SESSION_KEY not in http.session


def test_a_deactivated_user_cannot_witness(admin_actor, staff, clinic, actor_for):
    nurse, prescriber = staff[Role.NURSE], staff[Role.PRESCRIBER]
    staff_services.deactivate_staff_member(actor=admin_actor, user=nurse)
    with pytest.raises(ValidationError) as error:
        verify_witness(
            actor=actor_for(prescriber, clinic),
            email=nurse.email,
            password=TEST_PASSWORD,
            token=_code(nurse),
        )
    assert "witness_email" in error.value.error_dict


def test_history_is_kept_and_reactivation_gives_the_account_back(admin_actor, staff):
    nurse = staff[Role.NURSE]
    staff_services.deactivate_staff_member(actor=admin_actor, user=nurse)
    assert nurse.memberships.exists()

    staff_services.reactivate_staff_member(actor=admin_actor, user=nurse)

    nurse.refresh_from_db()
    assert nurse.is_active
    http = DjangoClient()
    http.post(reverse("accounts:login"), {"username": nurse.email, "password": TEST_PASSWORD})
    assert SESSION_KEY in http.session


def test_an_admin_cannot_deactivate_themselves(admin_actor, admin):
    with pytest.raises(ValidationError):
        staff_services.deactivate_staff_member(actor=admin_actor, user=admin)


def test_someone_working_at_another_clinic_too_is_not_switched_off_from_here(
    admin_actor, staff, other_clinic
):
    nurse = staff[Role.NURSE]
    Membership.objects.create(clinic=other_clinic, user=nurse, role=Role.NURSE)
    with pytest.raises(ValidationError, match="another clinic"):
        staff_services.deactivate_staff_member(actor=admin_actor, user=nurse)
    nurse.refresh_from_db()
    assert nurse.is_active


# --- reset a lost authenticator ---


def test_reset_authenticator_with_a_second_admin_removes_devices_ends_sessions_and_audits(
    admin_actor, staff, clinic, django_capture_on_commit_callbacks
):
    second = make_staff(clinic, Role.CLINIC_ADMIN, full_name="Second Admin")
    nurse = staff[Role.NURSE]
    issue_recovery_codes(user=nurse)
    browser = signed_in(nurse)

    with django_capture_on_commit_callbacks(execute=True):
        staff_services.reset_authenticator(actor=admin_actor, user=nurse, witness=second)

    assert not TOTPDevice.objects.filter(user=nurse).exists()
    assert not StaticDevice.objects.filter(user=nurse).exists()
    assert browser.get(reverse("home:home")).status_code == 302
    event = AuditEvent.objects.filter(object_type="staff").latest("id")
    assert event.details["witness_id"] == second.pk
    assert second.email in event.summary
    assert mail.outbox[0].to == [nurse.email]

    # At the next sign-in the ordinary enrolment flow asks for a new authenticator.
    http = DjangoClient()
    http.post(reverse("accounts:login"), {"username": nurse.email, "password": TEST_PASSWORD})
    response = http.get(reverse("home:home"))
    assert response.status_code == 302 and reverse("accounts:mfa_setup") in response["Location"]


def test_reset_authenticator_refuses_a_witness_who_is_not_another_admin(
    admin_actor, admin, staff, clinic
):
    nurse = staff[Role.NURSE]
    for witness in (staff[Role.PRESCRIBER], admin, nurse):
        with pytest.raises(ValidationError):
            staff_services.reset_authenticator(actor=admin_actor, user=nurse, witness=witness)
    assert TOTPDevice.objects.filter(user=nurse).exists()


def test_reactivation_lifts_a_lockout_built_up_while_deactivated(admin_actor, staff, settings):
    # Given a deactivated nurse whose account got locked by attempts while switched off
    nurse = staff[Role.NURSE]
    staff_services.deactivate_staff_member(actor=admin_actor, user=nurse)
    for _ in range(settings.AXES_FAILURE_LIMIT):
        DjangoClient().post(
            reverse("accounts:login"), {"username": nurse.email, "password": TEST_PASSWORD}
        )
    # When an admin reactivates them
    staff_services.reactivate_staff_member(actor=admin_actor, user=nurse)
    # Then the right password signs them in straight away
    http = DjangoClient()
    http.post(reverse("accounts:login"), {"username": nurse.email, "password": TEST_PASSWORD})
    assert SESSION_KEY in http.session


def test_someone_with_an_account_elsewhere_gets_the_roles_and_a_notice_not_a_link(
    admin_actor, other_clinic, clinic, django_capture_on_commit_callbacks
):
    elsewhere = make_staff(other_clinic, Role.NURSE, full_name="Moe Elsewhere")
    with django_capture_on_commit_callbacks(execute=True):
        user = _invite(admin_actor, email=elsewhere.email, roles=[Role.NURSE])
    assert user.pk == elsewhere.pk and user.check_password(TEST_PASSWORD)
    assert Membership.objects.filter(user=user, clinic=clinic, role=Role.NURSE).exists()
    assert "/staff/invitation/" not in mail.outbox[0].body
