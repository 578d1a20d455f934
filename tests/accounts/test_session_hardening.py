"""Session hardening: background polls are not activity, pages with health information are not
cached, the session key turns over at the second factor, and the HTTPS switch has its own name."""

import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client as DjangoClient
from django.urls import reverse
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from kapcare.accounts.middleware import LAST_SEEN_KEY
from kapcare.accounts.models import Role
from kapcare.accounts.services import issue_recovery_codes
from tests.factories import TEST_PASSWORD, ClientFactory, make_staff, put_on_team

PROJECT_ROOT = Path(__file__).resolve().parents[2]
TEMPLATE_ROOTS = [PROJECT_ROOT / "kapcare"]
# What a polling element sends (hx-headers) so that neither the server nor the idle-warning
# script takes its requests for the user's activity.
BACKGROUND_HEADER = "X-Kapcare-Background"


def _last_seen(http: DjangoClient) -> float:
    return http.session[LAST_SEEN_KEY]


def _set_last_seen(http: DjangoClient, seconds_ago: float) -> float:
    session = http.session
    session[LAST_SEEN_KEY] = time.time() - seconds_ago
    session.save()
    return session[LAST_SEEN_KEY]


# --- 11. Background polls do not keep a session alive ---------------------------------------


def test_a_background_poll_does_not_count_as_activity(staff, login):
    # Given a nurse whose last real request was ten minutes ago
    http = login(staff[Role.NURSE])
    before = _set_last_seen(http, 600)

    # When a polling element on her page asks for a fragment, marked as a background request
    response = http.get(
        reverse("home:home"), headers={"HX-Request": "true", BACKGROUND_HEADER: "poll"}
    )

    # Then it is answered, but the idle clock is not restarted
    assert response.status_code == 200
    assert _last_seen(http) == before


def test_a_background_poll_after_the_timeout_signs_the_session_out(staff, login):
    # Given a nurse who left the live page open, idle past the timeout
    http = login(staff[Role.NURSE])
    _set_last_seen(http, settings.KAPCARE_IDLE_TIMEOUT_SECONDS + 5)

    # When the page's poll arrives
    response = http.get(
        reverse("home:home"), headers={"HX-Request": "true", BACKGROUND_HEADER: "poll"}
    )

    # Then the session is over and HTMX is sent to the sign-in page
    assert response["HX-Redirect"] == reverse("accounts:login")
    assert "_auth_user_id" not in http.session


def test_an_htmx_request_the_nurse_makes_still_counts_as_activity(staff, login):
    # Given a nurse whose last request was ten minutes ago
    http = login(staff[Role.NURSE])
    before = _set_last_seen(http, 600)

    # When she does something that sends an ordinary HTMX request
    http.get(reverse("home:home"), headers={"HX-Request": "true"})

    # Then the idle clock starts again
    assert _last_seen(http) > before + 500


def _tags_with(attribute_pattern: str) -> list[tuple[Path, str]]:
    found = []
    for root in TEMPLATE_ROOTS:
        for path in root.rglob("templates/**/*.html"):
            text = path.read_text()
            for tag in re.findall(r"<[a-zA-Z][^>]*>", text, flags=re.S):
                if re.search(attribute_pattern, tag):
                    found.append((path.relative_to(PROJECT_ROOT), tag))
    return found


def test_every_polling_element_marks_its_requests_as_background():
    # Given every element in the templates that HTMX polls with ("every 4s" and the like)
    polling = _tags_with(r"""hx-trigger=["'][^"']*\bevery\b""")
    assert polling, "expected at least the live dosing panel to poll"

    # Then each one sends the background header, so its polls are not taken for activity
    unmarked = [f"{path}: {tag[:120]}" for path, tag in polling if BACKGROUND_HEADER not in tag]
    assert not unmarked, "polls without the background header:\n" + "\n".join(unmarked)


def test_the_polling_elements_header_is_well_formed_json():
    # hx-headers is parsed as JSON by HTMX: a typo would silently drop the header.
    for path, tag in _tags_with(r"""hx-trigger=["'][^"']*\bevery\b"""):
        match = re.search(r"hx-headers='([^']*)'", tag)
        assert match, f"{path}: no hx-headers='…' on a polling element"
        assert json.loads(match.group(1))[BACKGROUND_HEADER]


# --- 13. No caching of anything a signed-in user sees -----------------------------------------


def _assert_no_store(response) -> None:
    assert "no-store" in response.get("Cache-Control", ""), response.get("Cache-Control")


@pytest.fixture
def client_on_team(clinic, staff):
    record = ClientFactory(clinic=clinic, first_name="Wren", last_name="Galloway")
    put_on_team(record, staff[Role.THERAPIST], Role.THERAPIST)
    return record


@pytest.mark.parametrize("page", ["clients:list", "clients:detail", "home:home"])
def test_signed_in_pages_are_not_stored_by_the_browser(page, staff, login, client_on_team):
    # Given a therapist signed in
    http = login(staff[Role.THERAPIST])
    url = reverse(page, args=[client_on_team.pk]) if page == "clients:detail" else reverse(page)

    # When a page with client information is served
    response = http.get(url)

    # Then it tells the browser and any proxy not to keep a copy
    assert response.status_code == 200
    _assert_no_store(response)


def test_an_htmx_fragment_is_not_stored_either(staff, login):
    http = login(staff[Role.THERAPIST])

    response = http.get(reverse("clients:list"), headers={"HX-Request": "true"})

    assert response.status_code == 200
    _assert_no_store(response)


def test_a_csv_export_is_not_stored(staff, login):
    # Given a clinic admin
    http = login(staff[Role.CLINIC_ADMIN])

    # When they download the audit trail as CSV
    response = http.get(reverse("audit:export"))

    # Then the file is not kept in the browser's or a proxy's cache
    assert response.status_code == 200
    assert "csv" in response["Content-Type"]
    _assert_no_store(response)


def test_mfa_setup_and_recovery_codes_are_not_stored(clinic):
    # Given a new staff member enrolling an authenticator
    user = make_staff(clinic, Role.NURSE, mfa=False)
    http = DjangoClient()
    http.post(reverse("accounts:login"), {"username": user.email, "password": TEST_PASSWORD})

    # When the enrolment page (with its secret) is shown, and then the recovery codes
    setup = http.get(reverse("accounts:mfa_setup"))
    device = TOTPDevice.objects.get(user=user)
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    confirmed = http.post(reverse("accounts:mfa_setup"), {"token": f"{totp.token():06d}"})
    codes = http.get(confirmed["Location"])

    # Then neither may be kept by the browser
    assert setup.status_code == 200
    _assert_no_store(setup)
    assert codes.status_code == 200
    assert "recovery" in codes.content.decode().lower()
    _assert_no_store(codes)


@pytest.mark.parametrize(
    "url",
    [
        ("public:intake_link", "not-a-real-token"),
        ("consent_public:sign", "not-a-real-token"),
        ("measures_public:fill", "not-a-real-token"),
        ("public:intake_thanks",),
        ("consent_public:signed",),
    ],
    ids=lambda url: url[0],
)
def test_one_time_link_pages_are_not_stored(url, db):
    # Given a visitor following a single-use link (here an unusable one), or the page after it
    response = DjangoClient().get(reverse(url[0], args=url[1:]))

    # Then what it shows is not kept either
    assert response.status_code in (200, 404)
    _assert_no_store(response)


def test_static_files_stay_cacheable(staff, login):
    # Given a signed-in user
    http = login(staff[Role.THERAPIST])

    # When the stylesheet is fetched
    response = http.get(settings.STATIC_URL + "kapcare/css/kapcare.css")

    # Then it may be cached as usual
    assert response.status_code == 200
    assert "no-store" not in response.get("Cache-Control", "")


# --- 14. The session key changes at the second factor -----------------------------------------


def _after_password(user) -> DjangoClient:
    http = DjangoClient()
    response = http.post(
        reverse("accounts:login"), {"username": user.email, "password": TEST_PASSWORD}
    )
    assert response.status_code == 302
    return http


def test_the_session_key_changes_when_the_authenticator_code_is_accepted(clinic):
    # Given a staff member past the password step, with a session key an attacker may know
    user = make_staff(clinic, Role.THERAPIST)
    http = _after_password(user)
    key_after_password = http.cookies[settings.SESSION_COOKIE_NAME].value
    device = TOTPDevice.objects.get(user=user, confirmed=True)
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)

    # When they pass the second factor
    response = http.post(reverse("accounts:mfa_verify"), {"token": f"{totp.token():06d}"})

    # Then they are in under a new session key, and the old key opens nothing
    assert response.status_code == 302
    new_key = http.cookies[settings.SESSION_COOKIE_NAME].value
    assert new_key != key_after_password
    assert http.get(reverse("clients:list")).status_code == 200
    stale = DjangoClient()
    stale.cookies[settings.SESSION_COOKIE_NAME] = key_after_password
    assert stale.get(reverse("clients:list")).status_code == 302


def test_the_session_key_changes_when_a_recovery_code_is_used(clinic):
    # Given a staff member past the password step, using a recovery code
    user = make_staff(clinic, Role.PRESCRIBER)
    code = issue_recovery_codes(user=user)[0]
    http = _after_password(user)
    key_after_password = http.cookies[settings.SESSION_COOKIE_NAME].value

    # When the code is accepted
    response = http.post(reverse("accounts:mfa_verify"), {"token": code})

    # Then the session key is a new one
    assert response.status_code == 302
    assert http.cookies[settings.SESSION_COOKIE_NAME].value != key_after_password
    assert http.get(reverse("clients:list")).status_code == 200


def test_the_session_key_changes_when_an_authenticator_is_enrolled(clinic):
    user = make_staff(clinic, Role.NURSE, mfa=False)
    http = _after_password(user)
    http.get(reverse("accounts:mfa_setup"))
    key_after_password = http.cookies[settings.SESSION_COOKIE_NAME].value
    device = TOTPDevice.objects.get(user=user)
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)

    response = http.post(reverse("accounts:mfa_setup"), {"token": f"{totp.token():06d}"})

    assert response.status_code == 302
    assert http.cookies[settings.SESSION_COOKIE_NAME].value != key_after_password
    # The freshly issued recovery codes survive the new key.
    assert http.get(response["Location"]).status_code == 200


# --- 14. KAPCARE_HTTPS, not the CGI variable HTTPS --------------------------------------------


def _production_settings(**environment: str) -> tuple[str, str]:
    env = {key: os.environ[key] for key in ("PATH", "HOME", "LANG") if key in os.environ}
    env.update(DEBUG="0", SECRET_KEY="x" * 50, **environment)
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "import warnings; warnings.simplefilter('always');"
            "import kapcare.settings as s;"
            "print(s.SECURE_SSL_REDIRECT, s.SESSION_COOKIE_SECURE, s.SECURE_HSTS_SECONDS > 0)",
        ],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return result.stdout.strip(), result.stderr


def test_kapcare_https_switches_transport_security():
    assert _production_settings(KAPCARE_HTTPS="0")[0] == "False False False"
    assert _production_settings(KAPCARE_HTTPS="1")[0] == "True True True"


def test_kapcare_https_wins_over_the_cgi_variable_without_a_warning():
    # Given a process environment where HTTPS is the CGI variable wsgiref reads
    out, err = _production_settings(KAPCARE_HTTPS="0", HTTPS="1")

    # Then kapcare follows its own setting and says nothing about the other
    assert out == "False False False"
    assert "HTTPS" not in err


def test_the_old_https_name_still_works_with_a_deprecation_warning():
    out, err = _production_settings(HTTPS="0")

    assert out == "False False False"
    assert "DeprecationWarning" in err
    assert "KAPCARE_HTTPS" in err


def test_the_default_is_secure_without_any_setting():
    out, err = _production_settings()

    assert out == "True True True"
    assert "DeprecationWarning" not in err


def test_manage_py_check_tells_the_operator_to_rename_https():
    env = {key: os.environ[key] for key in ("PATH", "HOME", "LANG") if key in os.environ}
    env.update(DEBUG="1", SECRET_KEY="x" * 50, HTTPS="0", DJANGO_SETTINGS_MODULE="kapcare.settings")

    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert "kapcare.W001" in result.stdout + result.stderr
    assert "KAPCARE_HTTPS" in result.stdout + result.stderr
