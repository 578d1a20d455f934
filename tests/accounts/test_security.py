"""Sign-in security: MFA before any client data, lockout, idle expiry, hashing, headers, deploy."""

import importlib
import os
import re
import secrets
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.core import mail
from django.test import Client as DjangoClient
from django.urls import reverse
from django.utils.module_loading import import_string
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from kapcare.accounts.middleware import LAST_SEEN_KEY
from kapcare.accounts.models import Role
from kapcare.accounts.services import issue_recovery_codes
from kapcare.audit.models import AuditAction, AuditEvent
from tests.factories import TEST_PASSWORD, ClientFactory, make_staff, put_on_team

PROJECT_ROOT = Path(__file__).resolve().parents[2]


def _password_login(user, password: str = TEST_PASSWORD) -> tuple[DjangoClient, object]:
    http = DjangoClient()
    response = http.post(reverse("accounts:login"), {"username": user.email, "password": password})
    return http, response


def _totp_codes(device: TOTPDevice, offsets=(0,)) -> list[str]:
    codes = []
    for offset in offsets:
        totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
        totp.time = time.time() + offset * device.step
        codes.append(f"{totp.token():0{device.digits}d}")
    return codes


def _current_code(device: TOTPDevice) -> str:
    return _totp_codes(device)[0]


def _code_that_is_wrong(device: TOTPDevice) -> str:
    accepted = set(_totp_codes(device, offsets=range(-3, 4)))
    return next(f"{n:06d}" for n in range(1_000_000) if f"{n:06d}" not in accepted)


def _is_signed_in(http: DjangoClient) -> bool:
    return "_auth_user_id" in http.session


@pytest.fixture
def user_without_mfa(clinic):
    user = make_staff(clinic, Role.THERAPIST, mfa=False)
    client = ClientFactory(clinic=clinic, first_name="Wren", last_name="Galloway")
    put_on_team(client, user, Role.THERAPIST)
    return user, client


# --- MFA is required before any client data ---------------------------------------------------


def test_password_alone_leads_to_mfa_setup_not_the_home_page(user_without_mfa):
    # Given a therapist who has never set up an authenticator
    user, _ = user_without_mfa

    # When they sign in with the right password and follow where it sends them
    http, response = _password_login(user)
    landing = http.get(response["Location"])

    # Then the password was accepted but the next stop is MFA enrolment
    assert response.status_code == 302
    assert landing.status_code == 302
    assert landing["Location"].startswith(reverse("accounts:mfa_setup"))


@pytest.mark.parametrize("url_name", ["clients:list", "clients:detail", "clients:edit"])
def test_client_pages_redirect_to_mfa_setup_before_the_second_factor(user_without_mfa, url_name):
    # Given a therapist signed in with a password only, on their own client's care team
    user, client = user_without_mfa
    http, _ = _password_login(user)
    url = reverse(url_name) if url_name == "clients:list" else reverse(url_name, args=[client.pk])

    # When they open a client page
    response = http.get(url)

    # Then they are sent to MFA setup, with no client data on the way
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:mfa_setup"))
    assert "Galloway" not in response.content.decode()


def test_htmx_request_before_the_second_factor_gets_hx_redirect(user_without_mfa):
    # Given a therapist signed in with a password only
    user, _ = user_without_mfa
    http, _ = _password_login(user)

    # When an HTMX fragment asks for client data
    response = http.get(reverse("clients:list"), headers={"HX-Request": "true"})

    # Then the fragment is empty and HTMX is told to go to MFA setup
    assert response.status_code == 204
    assert response["HX-Redirect"] == reverse("accounts:mfa_setup")
    assert "Galloway" not in response.content.decode()


def test_enrolled_user_is_asked_for_a_code_after_the_password(clinic):
    # Given a staff member with a confirmed authenticator
    user = make_staff(clinic, Role.NURSE)

    # When they sign in with their password and ask for the client list
    http, _ = _password_login(user)
    response = http.get(reverse("clients:list"))

    # Then they must pass the second step first
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:mfa_verify"))


# --- Lockout after the sixth wrong password -----------------------------------------------------


def test_five_wrong_passwords_then_the_right_one_still_signs_in(clinic):
    # Given a staff member who mistypes their password five times
    user = make_staff(clinic, Role.FRONT_DESK)
    http = DjangoClient()
    for _ in range(5):
        wrong = http.post(
            reverse("accounts:login"), {"username": user.email, "password": "not my password"}
        )
        assert wrong.status_code == 200

    # When they then type the right one
    response = http.post(
        reverse("accounts:login"), {"username": user.email, "password": TEST_PASSWORD}
    )

    # Then they are signed in
    assert response.status_code == 302
    assert _is_signed_in(http)


def test_sixth_wrong_password_locks_the_account_even_for_the_right_password(clinic):
    # Given a staff member whose password is guessed wrongly six times
    user = make_staff(clinic, Role.FRONT_DESK)
    http = DjangoClient()
    for _ in range(6):
        http.post(reverse("accounts:login"), {"username": user.email, "password": "guess"})

    # When the right password is then given, even from a fresh browser
    fresh = DjangoClient()
    response = fresh.post(
        reverse("accounts:login"), {"username": user.email, "password": TEST_PASSWORD}
    )

    # Then the account stays locked, says so, and the lockout is in the audit trail
    assert response.status_code in (403, 429)
    assert "This account is locked for now" in response.content.decode()
    assert not _is_signed_in(fresh)
    assert AuditEvent.objects.filter(action=AuditAction.LOCKED_OUT, actor_label=user.email).exists()


def test_wrong_passwords_count_against_the_account_whatever_the_letter_case(clinic):
    # Given six wrong passwords for one account, typed with varying capitals and spaces
    user = make_staff(clinic, Role.FRONT_DESK)
    spellings = [user.email, user.email.upper(), f" {user.email.title()} "]
    for attempt in range(6):
        DjangoClient().post(
            reverse("accounts:login"),
            {"username": spellings[attempt % 3], "password": "guess"},
        )

    # When the right password is given
    http, response = _password_login(user)

    # Then the account is locked all the same
    assert "This account is locked for now" in response.content.decode()
    assert not _is_signed_in(http)


# --- Idle expiry ---------------------------------------------------------------------------------


def _set_last_seen(http: DjangoClient, seconds_ago: float) -> None:
    session = http.session
    session[LAST_SEEN_KEY] = time.time() - seconds_ago
    session.save()


def test_idle_session_expires_and_the_next_request_goes_to_login(staff, login):
    # Given a signed-in therapist whose last request was longer ago than the idle timeout
    http = login(staff["therapist"])
    _set_last_seen(http, settings.KAPCARE_IDLE_TIMEOUT_SECONDS + 5)

    # When they make another request
    response = http.get(reverse("clients:list"))

    # Then they are signed out and sent to the login page, which says why
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))
    assert not _is_signed_in(http)
    assert http.get(response["Location"]).context["idle_logout"] is True


def test_idle_htmx_request_is_told_to_go_to_login(staff, login):
    # Given a signed-in therapist, idle past the timeout
    http = login(staff["therapist"])
    _set_last_seen(http, settings.KAPCARE_IDLE_TIMEOUT_SECONDS + 5)

    # When an HTMX fragment request arrives
    response = http.get(reverse("clients:list"), headers={"HX-Request": "true"})

    # Then HTMX is redirected to the login page instead of swapping it into the screen
    assert response["HX-Redirect"] == reverse("accounts:login")
    assert not _is_signed_in(http)


def test_recently_active_session_stays_signed_in(staff, login):
    # Given a signed-in therapist whose last request was a minute ago
    http = login(staff["therapist"])
    _set_last_seen(http, 60)

    # When they make another request
    response = http.get(reverse("clients:list"))

    # Then they are still signed in
    assert response.status_code == 200
    assert _is_signed_in(http)


# --- The second factor ------------------------------------------------------------------------


def test_mfa_form_accepts_the_current_authenticator_code(clinic):
    # Given a staff member who has passed the password step
    user = make_staff(clinic, Role.THERAPIST)
    http, _ = _password_login(user)
    device = TOTPDevice.objects.get(user=user, confirmed=True)

    # When they enter the code their authenticator shows now
    response = http.post(reverse("accounts:mfa_verify"), {"token": _current_code(device)})

    # Then they are through and can open the client list
    assert response.status_code == 302
    assert http.get(reverse("clients:list")).status_code == 200


def test_mfa_form_rejects_a_wrong_code_with_a_field_error(clinic):
    # Given a staff member who has passed the password step
    user = make_staff(clinic, Role.THERAPIST)
    http, _ = _password_login(user)
    device = TOTPDevice.objects.get(user=user, confirmed=True)

    # When they enter a code the authenticator would not show
    response = http.post(reverse("accounts:mfa_verify"), {"token": _code_that_is_wrong(device)})

    # Then the form says so on the code field, and client pages stay closed
    assert response.status_code == 200
    assert "token" in response.context["form"].errors
    assert http.get(reverse("clients:list")).status_code == 302


def test_recovery_code_works_once_only(clinic):
    # Given a staff member with recovery codes
    user = make_staff(clinic, Role.PRESCRIBER)
    code = issue_recovery_codes(user=user)[0]

    # When they use one recovery code instead of the authenticator
    first, _ = _password_login(user)
    accepted = first.post(reverse("accounts:mfa_verify"), {"token": code})

    # Then it lets them in the first time
    assert accepted.status_code == 302
    assert first.get(reverse("clients:list")).status_code == 200

    # And when they try the same code on a later sign-in, it is refused
    second, _ = _password_login(user)
    refused = second.post(reverse("accounts:mfa_verify"), {"token": code})
    assert refused.status_code == 200
    assert "token" in refused.context["form"].errors
    assert second.get(reverse("clients:list")).status_code == 302
    assert StaticToken.objects.filter(device__user=user).count() == 9


def test_recovery_code_is_accepted_in_capitals_and_with_spaces(clinic):
    # Given a staff member reading a recovery code off paper
    user = make_staff(clinic, Role.PRESCRIBER)
    code = issue_recovery_codes(user=user)[0]
    http, _ = _password_login(user)

    # When they type it in capitals, in two groups
    response = http.post(
        reverse("accounts:mfa_verify"), {"token": f"{code[:4].upper()} {code[4:].upper()}"}
    )

    # Then it is accepted
    assert response.status_code == 302
    assert http.get(reverse("clients:list")).status_code == 200


def test_recovery_code_made_only_of_digits_still_works(clinic):
    # Given a recovery code that happens to contain only digits (base32 has 2-7), which is
    # rare but possible for randomly drawn codes
    user = make_staff(clinic, Role.PRESCRIBER)
    issue_recovery_codes(user=user)
    StaticToken.objects.filter(device__user=user).update(token="23456723")
    http, _ = _password_login(user)

    # When the user types it
    response = http.post(reverse("accounts:mfa_verify"), {"token": "23456723"})

    # Then it is taken as the recovery code it is, not as a wrong authenticator code
    assert response.status_code == 302
    assert http.get(reverse("clients:list")).status_code == 200


def test_mfa_verify_does_not_redirect_off_site(clinic):
    # Given a staff member following a link that carries an off-site `next`
    user = make_staff(clinic, Role.THERAPIST)
    http, _ = _password_login(user)
    device = TOTPDevice.objects.get(user=user, confirmed=True)

    # When they pass the second step
    response = http.post(
        reverse("accounts:mfa_verify") + "?next=https://evil.example/phish",
        {"token": _current_code(device), "next": "https://evil.example/phish"},
    )

    # Then they land on kapcare's home page, not the other site
    assert response.status_code == 302
    assert response["Location"] == reverse("home:home")


def test_switching_to_a_clinic_one_does_not_work_at_is_refused(staff, other_clinic, login):
    # Given a therapist who works only at the home clinic
    http = login(staff["therapist"])
    foreign_client = ClientFactory(clinic=other_clinic, last_name="Outlander")

    # When they ask to switch to another clinic
    http.post(reverse("accounts:switch_clinic"), {"clinic": other_clinic.pk})

    # Then they stay at their own clinic and still cannot see the other clinic's clients
    assert http.get(reverse("home:home")).context["clinic"] != other_clinic
    response = http.get(reverse("clients:detail", args=[foreign_client.pk]))
    assert response.status_code == 404


def test_enrolment_shows_qr_then_confirms_and_shows_ten_recovery_codes_once(clinic):
    # Given a staff member without an authenticator who has passed the password step
    user = make_staff(clinic, Role.NURSE, mfa=False)
    http, _ = _password_login(user)

    # When they open the enrolment page
    page = http.get(reverse("accounts:mfa_setup"))

    # Then they see a QR code for a new, unconfirmed authenticator
    assert page.status_code == 200
    assert "<svg" in page.content.decode()
    device = TOTPDevice.objects.get(user=user)
    assert not device.confirmed

    # When they enter the code the app shows
    confirmed = http.post(reverse("accounts:mfa_setup"), {"token": _current_code(device)})

    # Then the authenticator is confirmed and ten recovery codes are shown, once
    assert confirmed.status_code == 302
    assert confirmed["Location"].startswith(reverse("accounts:recovery_codes"))
    device.refresh_from_db()
    assert device.confirmed
    codes_page = http.get(confirmed["Location"])
    codes = codes_page.context["codes"]
    assert len(codes) == 10
    assert len(set(codes)) == 10
    body = codes_page.content.decode()
    assert all(code in body for code in codes)
    assert StaticToken.objects.filter(device__user=user).count() == 10
    again = http.get(reverse("accounts:recovery_codes"))
    assert again.status_code == 302
    assert not any(code in again.content.decode() for code in codes)


def test_enrolment_refuses_a_wrong_code(clinic):
    # Given a staff member on the enrolment page
    user = make_staff(clinic, Role.NURSE, mfa=False)
    http, _ = _password_login(user)
    http.get(reverse("accounts:mfa_setup"))
    device = TOTPDevice.objects.get(user=user)

    # When they enter a code their app would not show
    response = http.post(reverse("accounts:mfa_setup"), {"token": _code_that_is_wrong(device)})

    # Then the authenticator stays unconfirmed and no recovery codes exist
    assert response.status_code == 200
    assert "token" in response.context["form"].errors
    device.refresh_from_db()
    assert not device.confirmed
    assert not StaticToken.objects.filter(device__user=user).exists()


# --- Configuration --------------------------------------------------------------------------------


def test_argon2_is_the_first_password_hasher_in_production_settings():
    # The test settings swap in a fast hasher; the production module must lead with Argon2.
    production = importlib.import_module("kapcare.settings")
    assert production.PASSWORD_HASHERS[0] == "django.contrib.auth.hashers.Argon2PasswordHasher"
    hasher = import_string(production.PASSWORD_HASHERS[0])()
    encoded = hasher.encode("a long clinic password", hasher.salt())
    assert encoded.startswith("argon2$")
    assert hasher.verify("a long clinic password", encoded)


@pytest.mark.parametrize("signed_in", [False, True], ids=["login-page", "signed-in-page"])
def test_csp_header_forbids_inline_script_and_style(signed_in, staff, login):
    # Given a page, public or signed in
    http = login(staff["therapist"]) if signed_in else DjangoClient()
    url = reverse("clients:list") if signed_in else reverse("accounts:login")

    # When it is served
    response = http.get(url)

    # Then its Content-Security-Policy allows scripts and styles only from the site itself
    assert response.status_code == 200
    policy = response["Content-Security-Policy"]
    assert "'unsafe-inline'" not in policy
    assert "'unsafe-eval'" not in policy
    directives = dict(part.strip().split(" ", 1) for part in policy.split(";") if part.strip())
    assert directives["script-src"] == "'self'"
    assert directives["style-src"] == "'self'"


def test_deploy_check_is_clean_under_production_settings():
    # Given the production settings, configured only by the environment as a deployment would be
    # (a clean environment: nothing the test run itself sets, such as HTTPS=0, leaks in)
    env = {key: os.environ[key] for key in ("PATH", "HOME", "LANG") if key in os.environ}
    env.update(
        DEBUG="0",
        SECRET_KEY=secrets.token_urlsafe(45)[:60],
        ALLOWED_HOSTS="kap.example.org",
        SITE_URL="https://kap.example.org",
        DJANGO_SETTINGS_MODULE="kapcare.settings",
    )

    # When Django's deployment checklist runs
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy"],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    # Then it finds nothing to warn about
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "WARNING" not in output, output
    assert "ERROR" not in output, output


# --- Password reset -------------------------------------------------------------------------------


def test_password_reset_sends_a_link_to_a_known_address(clinic):
    # Given a staff member who forgot their password
    user = make_staff(clinic, Role.FRONT_DESK)

    # When they ask for a reset link
    response = DjangoClient().post(
        reverse("accounts:password_reset"), {"email": user.email}, follow=True
    )

    # Then one e-mail with a reset link goes to their address
    assert response.status_code == 200
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [user.email]
    assert re.search(r"/accounts/password-reset/[^/\s]+/[^/\s]+/", message.body)


def test_password_reset_for_an_unknown_address_shows_the_same_page_and_sends_nothing(clinic):
    # Given one known staff address and one nobody has
    user = make_staff(clinic, Role.FRONT_DESK)

    # When a reset is asked for each
    known = DjangoClient().post(
        reverse("accounts:password_reset"), {"email": user.email}, follow=True
    )
    mail.outbox.clear()
    unknown = DjangoClient().post(
        reverse("accounts:password_reset"), {"email": "nobody@clinic.test"}, follow=True
    )

    # Then both land on the same page, so the form does not reveal who has an account
    assert unknown.status_code == known.status_code == 200
    assert unknown.redirect_chain == known.redirect_chain
    assert [t.name for t in unknown.templates] == [t.name for t in known.templates]
    assert _without_tokens(unknown.content) == _without_tokens(known.content)
    assert mail.outbox == []


def _without_tokens(content: bytes) -> str:
    """The page with its per-request CSRF tokens blanked out."""
    return re.sub(r'(csrfmiddlewaretoken" value="|"X-CSRFToken": ")[^"]+', r"\1", content.decode())
