"""Throttles in front of the sign-in and password-reset forms: per address and per target."""

import pytest
from django.core import mail
from django.test import Client as DjangoClient
from django.urls import reverse

from kapcare.accounts.models import Role
from kapcare.audit.models import AuditAction, AuditEvent
from tests.factories import TEST_PASSWORD, make_staff


def _from(ip: str) -> DjangoClient:
    return DjangoClient(REMOTE_ADDR=ip)


def _reset(http: DjangoClient, email: str):
    return http.post(reverse("accounts:password_reset"), {"email": email})


def _login(http: DjangoClient, email: str, password: str):
    return http.post(reverse("accounts:login"), {"username": email, "password": password})


@pytest.fixture
def small_limits(settings):
    settings.KAPCARE_RATE_LIMITS = {
        **getattr(settings, "KAPCARE_RATE_LIMITS", {}),
        "password_reset_per_address": (5, 3600),
        "password_reset_per_email": (3, 3600),
        "login_failures_per_address": (8, 900),
    }


# --- Password reset ---------------------------------------------------------------------------


def test_password_reset_for_one_address_stops_after_the_limit(clinic, small_limits):
    # Given a staff member whose address someone keeps typing into the reset form, from
    # many different connections
    user = make_staff(clinic, Role.NURSE)
    for n in range(3):
        assert _reset(_from(f"198.51.100.{n}"), user.email).status_code == 302

    # When one more reset is asked for the same address (in other capitals, from yet another one)
    response = _reset(_from("198.51.100.99"), user.email.upper())

    # Then no further e-mail goes out, and the form says when to try again
    assert response.status_code == 429
    assert len(mail.outbox) == 3
    text = response.content.decode()
    assert "Try again in" in text
    assert "minutes" in text
    assert response.context["form"].errors


def test_password_reset_from_one_connection_stops_after_the_limit(clinic, small_limits):
    # Given one connection asking for resets for one address after another
    http = _from("198.51.100.7")
    users = [make_staff(clinic, Role.FRONT_DESK) for _ in range(6)]
    for user in users[:5]:
        assert _reset(http, user.email).status_code == 302

    # When it asks for one more
    response = _reset(http, users[5].email)

    # Then it is refused with a clear message, and nothing is sent
    assert response.status_code == 429
    assert len(mail.outbox) == 5
    assert "Try again in" in response.content.decode()
    # Another connection is not affected.
    assert _reset(_from("198.51.100.8"), users[5].email).status_code == 302
    assert len(mail.outbox) == 6


def test_the_reset_limit_treats_unknown_addresses_like_known_ones(clinic, small_limits):
    # Given resets asked for an address with an account and for one without
    user = make_staff(clinic, Role.NURSE)
    known = [_reset(_from(f"198.51.100.{n}"), user.email) for n in range(4)]
    unknown = [_reset(_from(f"198.51.101.{n}"), "nobody@clinic.test") for n in range(4)]

    # Then both are refused at the same point, so the limit reveals nobody's account
    assert [r.status_code for r in known] == [r.status_code for r in unknown] == [302] * 3 + [429]


# --- Sign-in: password spraying ---------------------------------------------------------------


def test_failed_sign_ins_across_accounts_from_one_address_are_throttled(clinic, small_limits):
    # Given a connection trying one password against many accounts (no account reaches its own
    # lockout)
    http = _from("203.0.113.50")
    victims = [make_staff(clinic, Role.NURSE) for _ in range(8)]
    for victim in victims:
        assert _login(http, victim.email, "Summer2026!").status_code == 200

    # When it tries again, even with a right password
    target = make_staff(clinic, Role.THERAPIST)
    response = _login(http, target.email, TEST_PASSWORD)

    # Then it is refused before any password is checked, with a message saying when to try again
    assert response.status_code == 429
    assert "_auth_user_id" not in http.session
    text = response.content.decode()
    assert "Too many failed sign-ins" in text
    assert "Try again in" in text
    assert AuditEvent.objects.filter(
        action=AuditAction.LOGIN_FAILED, ip_address="203.0.113.50", summary__icontains="too many"
    ).exists()


def test_the_sign_in_throttle_spares_other_addresses_and_successful_sign_ins(clinic, small_limits):
    # Given one connection that has used up its failed sign-ins
    http = _from("203.0.113.51")
    for n in range(8):
        _login(http, f"guess{n}@clinic.test", "wrong password")

    # Then a colleague elsewhere signs in as usual
    colleague = make_staff(clinic, Role.NURSE)
    elsewhere = _from("203.0.113.52")
    assert _login(elsewhere, colleague.email, TEST_PASSWORD).status_code == 302

    # And right passwords from one connection never use up its allowance
    office = _from("203.0.113.53")
    for _ in range(12):
        assert (
            _login(
                DjangoClient(REMOTE_ADDR="203.0.113.53"), colleague.email, TEST_PASSWORD
            ).status_code
            == 302
        )
    assert _login(office, colleague.email, TEST_PASSWORD).status_code == 302


def test_the_per_account_lockout_still_applies_below_the_address_limit(clinic):
    # Given the default limits: the per-address allowance is larger than an account's lockout
    user = make_staff(clinic, Role.FRONT_DESK)
    http = _from("203.0.113.60")
    for _ in range(6):
        _login(http, user.email, "guess")

    # Then the account is locked (django-axes) while the address is not throttled
    response = _login(_from("203.0.113.61"), user.email, TEST_PASSWORD)
    assert "This account is locked for now" in response.content.decode()
    other = make_staff(clinic, Role.NURSE)
    assert _login(http, other.email, TEST_PASSWORD).status_code == 302
