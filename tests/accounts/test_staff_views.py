"""Staff management pages: only a clinic's admins, another clinic's staff are 404, bounded
queries, invitation links that explain themselves, deactivation and witnessed resets."""

import re
import time

import pytest
from django.contrib.auth import SESSION_KEY
from django.core import mail
from django.test import Client as DjangoClient
from django.urls import reverse
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from kapcare.accounts.invitations import invitation_tokens, invitation_uid
from kapcare.accounts.models import Membership, Role, User
from kapcare.audit.models import AuditEvent
from kapcare.clients.models import CareTeamMember
from tests.conftest import signed_in
from tests.factories import TEST_PASSWORD, ClientFactory, make_staff

NEW_PASSWORD = "tidal amber lantern 42"


def _code(user) -> str:
    device = TOTPDevice.objects.get(user=user, confirmed=True)
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time()
    return f"{totp.token():0{device.digits}d}"


@pytest.fixture
def admin(staff):
    return staff[Role.CLINIC_ADMIN]


@pytest.fixture
def as_admin(admin):
    return signed_in(admin)


def _pages(user_id: int) -> list[tuple[str, str]]:
    return [
        ("get", reverse("staff:list")),
        ("get", reverse("staff:invite")),
        ("get", reverse("staff:detail", args=[user_id])),
        ("post", reverse("staff:roles", args=[user_id])),
        ("post", reverse("staff:deactivate", args=[user_id])),
        ("post", reverse("staff:reactivate", args=[user_id])),
        ("post", reverse("staff:reset_authenticator", args=[user_id])),
        ("post", reverse("staff:resend_invitation", args=[user_id])),
        ("post", reverse("staff:unlock", args=[user_id])),
        ("post", reverse("staff_care_team:add", args=[user_id])),
    ]


def test_anonymous_visitors_are_sent_to_sign_in(staff):
    for method, url in _pages(staff[Role.NURSE].pk):
        response = getattr(DjangoClient(), method)(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(reverse("accounts:login")), url


@pytest.mark.parametrize("role", [Role.FRONT_DESK, Role.THERAPIST, Role.PRESCRIBER, Role.NURSE])
def test_staff_who_are_not_admins_are_refused(staff, role):
    http = signed_in(staff[role])
    for method, url in _pages(staff[Role.NURSE].pk):
        assert getattr(http, method)(url).status_code == 403, url
    assert staff[Role.NURSE].is_active


def test_another_clinics_staff_member_is_not_found(as_admin, other_clinic):
    outsider = make_staff(other_clinic, Role.NURSE)
    for method, url in _pages(outsider.pk)[2:]:
        assert getattr(as_admin, method)(url).status_code == 404, url
    outsider.refresh_from_db()
    assert outsider.is_active


def test_staff_list_shows_roles_status_last_sign_in_and_mfa(as_admin, staff, clinic, other_clinic):
    make_staff(clinic, Role.NURSE, mfa=False, full_name="Zed Unenrolled", is_active=False)
    make_staff(other_clinic, Role.NURSE, full_name="Elsewhere Person")

    response = as_admin.get(reverse("staff:list"))

    html = response.content.decode()
    assert response.status_code == 200
    assert "Zed Unenrolled" in html and "Deactivated" in html and "Not yet" in html
    assert "Elsewhere Person" not in html
    assert "Clinic admin" in html and "Enrolled" in html


def test_staff_list_queries_do_not_grow_with_staff(as_admin, clinic, django_assert_max_num_queries):
    for n in range(60):
        make_staff(clinic, Role.NURSE, Role.THERAPIST, mfa=n % 2 == 0)
    # 10 today (session, user, device, memberships, count, page, roles); a little
    # headroom for middleware, none for a query per row.
    with django_assert_max_num_queries(13):
        response = as_admin.get(reverse("staff:list"))
    assert response.status_code == 200
    assert "Page 1 of 2" in response.content.decode()


def test_staff_page_queries_are_bounded(as_admin, staff, clinic, django_assert_max_num_queries):
    therapist = staff[Role.THERAPIST]
    for _ in range(20):
        client = ClientFactory(clinic=clinic)
        CareTeamMember.objects.create(
            clinic=clinic, client=client, user=therapist, role=Role.THERAPIST
        )
    # 19 today, whatever the number of clients: the clinic's first audit row also creates its
    # hash-chain head (savepoint, insert, release, lock) before locking and moving it.
    with django_assert_max_num_queries(20):
        response = as_admin.get(reverse("staff:detail", args=[therapist.pk]))
    assert response.status_code == 200


def test_admin_nav_links_to_staff(as_admin):
    html = as_admin.get(reverse("home:home")).content.decode()
    assert f'href="{reverse("staff:list")}"' in html


# --- invitation, end to end through the views ---


def _invite(as_admin, email="nell@clinic.test"):
    return as_admin.post(
        reverse("staff:invite"),
        {"full_name": "Nell Newcomer", "email": email, "roles": [Role.THERAPIST]},
    )


def _link_from_mail() -> str:
    return re.search(r"https?://\S+/staff/invitation/\S+/", mail.outbox[-1].body).group(0)


def test_invite_accept_set_password_then_enrol_mfa(
    as_admin, clinic, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = _invite(as_admin)
    user = User.objects.get(email="nell@clinic.test")
    assert response.status_code == 302
    assert response["Location"] == reverse("staff:detail", args=[user.pk])
    link = _link_from_mail()

    invitee = DjangoClient()
    response = invitee.get(link, follow=True)
    assert response.status_code == 200
    assert "Choose your password" in response.content.decode()
    # The token left the address bar.
    assert invitation_tokens.make_token(user) not in response.redirect_chain[-1][0]

    weak = invitee.post(
        response.redirect_chain[-1][0], {"new_password1": "abc", "new_password2": "abc"}
    )
    assert weak.status_code == 200 and "too short" in weak.content.decode()

    done = invitee.post(
        response.redirect_chain[-1][0],
        {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert done.status_code == 302 and done["Location"].startswith(reverse("accounts:mfa_setup"))
    assert invitee.session[SESSION_KEY] == str(user.pk)
    assert invitee.get(reverse("home:home"))["Location"].startswith(reverse("accounts:mfa_setup"))

    # The same link does not work twice.
    again = DjangoClient().get(link)
    assert again.status_code == 200
    assert "already used" in again.content.decode()


def test_an_invalid_invitation_link_shows_a_clear_page(
    as_admin, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        _invite(as_admin)
    user = User.objects.get(email="nell@clinic.test")
    for url in (
        reverse("staff:accept_invitation", args=[invitation_uid(user), "1-abc"]),
        reverse("staff:accept_invitation", args=["garbage", "x-y"]),
        reverse("staff:accept_invitation", args=[invitation_uid(user), "set-password"]),
    ):
        response = DjangoClient().get(url)
        assert response.status_code == 200, url
        assert "This invitation link does not work" in response.content.decode()


def test_an_expired_invitation_link_says_so(as_admin, settings, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        _invite(as_admin)
    link = _link_from_mail()
    settings.KAPCARE_INVITATION_HOURS = -1
    response = DjangoClient().get(link)
    assert response.status_code == 200
    assert "expired" in response.content.decode()


def test_a_resent_invitation_replaces_the_old_link(as_admin, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        _invite(as_admin)
    old = _link_from_mail()
    user = User.objects.get(email="nell@clinic.test")
    with django_capture_on_commit_callbacks(execute=True):
        as_admin.post(reverse("staff:resend_invitation", args=[user.pk]))
    assert "does not work" in DjangoClient().get(old).content.decode()
    assert DjangoClient().get(_link_from_mail()).status_code == 302


def test_inviting_with_bad_input_shows_errors_at_the_fields(as_admin, staff):
    response = as_admin.post(
        reverse("staff:invite"), {"full_name": "", "email": "not-an-email", "roles": ["pilot"]}
    )
    assert response.status_code == 200
    form = response.context["form"]
    assert {"full_name", "email", "roles"} <= set(form.errors)
    taken = _invite(as_admin, email=staff[Role.NURSE].email)
    assert "already on the staff" in taken.content.decode()


# --- roles, deactivation, reset ---


def test_admin_changes_roles(as_admin, staff, clinic):
    nurse = staff[Role.NURSE]
    response = as_admin.post(
        reverse("staff:roles", args=[nurse.pk]), {"roles": [Role.NURSE, Role.THERAPIST]}
    )
    assert response.status_code == 302
    assert set(
        Membership.objects.filter(user=nurse, clinic=clinic).values_list("role", flat=True)
    ) == {
        Role.NURSE,
        Role.THERAPIST,
    }


def test_admin_cannot_remove_own_admin_role_from_the_page(as_admin, admin, clinic):
    response = as_admin.post(reverse("staff:roles", args=[admin.pk]), {"roles": [Role.NURSE]})
    assert response.status_code == 200
    assert "own admin role" in response.content.decode()
    assert Membership.objects.filter(user=admin, role=Role.CLINIC_ADMIN).exists()


def test_a_reload_after_a_failed_post_shows_the_staff_page(as_admin, staff):
    nurse = staff[Role.NURSE]
    for name in ("roles", "deactivate", "reset_authenticator"):
        response = as_admin.get(reverse(f"staff:{name}", args=[nurse.pk]))
        assert response.status_code == 302
        assert response["Location"] == reverse("staff:detail", args=[nurse.pk])


def test_a_deactivated_users_old_session_cookie_no_longer_works(as_admin, staff):
    nurse = staff[Role.NURSE]
    nurse_browser = signed_in(nurse)
    cookie = nurse_browser.cookies["sessionid"].value
    assert nurse_browser.get(reverse("clients:list")).status_code == 200

    response = as_admin.post(reverse("staff:deactivate", args=[nurse.pk]), {"reason": "left"})
    assert response.status_code == 302

    replay = DjangoClient()
    replay.cookies["sessionid"] = cookie
    response = replay.get(reverse("clients:list"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))
    # Cannot sign in again either.
    again = DjangoClient()
    again.post(reverse("accounts:login"), {"username": nurse.email, "password": TEST_PASSWORD})
    assert SESSION_KEY not in again.session

    as_admin.post(reverse("staff:reactivate", args=[nurse.pk]))
    nurse.refresh_from_db()
    assert nurse.is_active


def test_reset_authenticator_needs_a_valid_second_admin(as_admin, admin, staff, clinic):
    nurse = staff[Role.NURSE]
    prescriber = staff[Role.PRESCRIBER]
    url = reverse("staff:reset_authenticator", args=[nurse.pk])

    # Not an admin as witness
    response = as_admin.post(
        url,
        {
            "witness_email": prescriber.email,
            "witness_password": TEST_PASSWORD,
            "witness_token": _code(prescriber),
        },
    )
    assert response.status_code == 200
    assert "another active clinic admin" in response.content.decode()
    # A second admin with the wrong password
    second = make_staff(clinic, Role.CLINIC_ADMIN, full_name="Second Admin")
    response = as_admin.post(
        url,
        {"witness_email": second.email, "witness_password": "nope", "witness_token": "123456"},
    )
    assert response.status_code == 200
    assert TOTPDevice.objects.filter(user=nurse).exists()

    response = as_admin.post(
        url,
        {
            "witness_email": second.email,
            "witness_password": TEST_PASSWORD,
            "witness_token": _code(second),
        },
    )
    assert response.status_code == 302
    assert not TOTPDevice.objects.filter(user=nurse).exists()
    assert AuditEvent.objects.filter(object_type="staff", details__witness_id=second.pk).exists()


def test_admin_assigns_and_removes_care_teams_from_the_staff_page(as_admin, staff, clinic):
    therapist = staff[Role.THERAPIST]
    client = ClientFactory(clinic=clinic, first_name="Rowan", last_name="Ashby")

    response = as_admin.post(
        reverse("staff_care_team:add", args=[therapist.pk]),
        {"client": client.pk, "role": Role.THERAPIST},
    )
    assert response.status_code == 302
    member = CareTeamMember.objects.get(client=client, user=therapist)
    page = as_admin.get(reverse("staff:detail", args=[therapist.pk])).content.decode()
    assert "Rowan Ashby" in page

    # A role they do not hold is refused
    as_admin.post(
        reverse("staff_care_team:add", args=[therapist.pk]),
        {"client": client.pk, "role": Role.NURSE},
    )
    assert CareTeamMember.objects.filter(user=therapist).count() == 1

    response = as_admin.post(reverse("staff_care_team:remove", args=[therapist.pk, member.pk]))
    assert response.status_code == 302
    assert not CareTeamMember.objects.filter(user=therapist).exists()


def test_care_team_add_refuses_another_clinics_client(as_admin, staff, other_clinic):
    therapist = staff[Role.THERAPIST]
    foreign = ClientFactory(clinic=other_clinic)
    as_admin.post(
        reverse("staff_care_team:add", args=[therapist.pk]),
        {"client": foreign.pk, "role": Role.THERAPIST},
    )
    assert not CareTeamMember.objects.filter(user=therapist).exists()


def test_a_deactivated_member_is_not_added_to_care_teams(as_admin, staff, clinic):
    therapist = staff[Role.THERAPIST]
    client = ClientFactory(clinic=clinic)
    as_admin.post(reverse("staff:deactivate", args=[therapist.pk]))
    response = as_admin.post(
        reverse("staff_care_team:add", args=[therapist.pk]),
        {"client": client.pk, "role": Role.THERAPIST},
        follow=True,
    )
    assert "is deactivated" in response.content.decode()
    assert not CareTeamMember.objects.filter(user=therapist).exists()


def test_admin_lifts_a_sign_in_lockout_from_the_page(as_admin, staff, settings):
    nurse = staff[Role.NURSE]
    for _ in range(settings.AXES_FAILURE_LIMIT):
        DjangoClient().post(
            reverse("accounts:login"), {"username": nurse.email, "password": "wrong"}
        )
    page = as_admin.get(reverse("staff:detail", args=[nurse.pk])).content.decode()
    assert "Sign-in is locked" in page

    assert as_admin.post(reverse("staff:unlock", args=[nurse.pk])).status_code == 302

    http = DjangoClient()
    http.post(reverse("accounts:login"), {"username": nurse.email, "password": TEST_PASSWORD})
    assert SESSION_KEY in http.session
    page = as_admin.get(reverse("staff:detail", args=[nurse.pk])).content.decode()
    assert "Sign-in is locked" not in page
