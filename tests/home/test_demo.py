"""Demo data for development: idempotent, one user per role with MFA, refused in production."""

import io
import re

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from kapcare.accounts.models import Clinic, Membership, Role, User
from kapcare.clients.models import CareTeamMember, Client
from kapcare.home.demo import load_demo

pytestmark = pytest.mark.django_db

COUNTED = [Clinic, User, Membership, Client, CareTeamMember, TOTPDevice, StaticDevice, StaticToken]


def _counts() -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in COUNTED}


def test_load_demo_twice_leaves_the_same_data_as_once():
    # Given the demo loaded once
    load_demo()
    once = _counts()
    tokens_once = set(StaticToken.objects.values_list("token", flat=True))
    totp_keys_once = dict(TOTPDevice.objects.values_list("user__email", "key"))

    # When it is loaded again
    load_demo()

    # Then nothing is duplicated, and authenticators and recovery codes are unchanged
    assert _counts() == once
    assert set(StaticToken.objects.values_list("token", flat=True)) == tokens_once
    assert dict(TOTPDevice.objects.values_list("user__email", "key")) == totp_keys_once


def test_demo_clinic_has_about_thirty_clients_split_between_both_therapists():
    # When the demo is loaded
    clinic, staff = load_demo()

    # Then there are about 30 clients, each with exactly one of the two therapists
    clients = Client.objects.filter(clinic=clinic)
    assert 25 <= clients.count() <= 35
    therapists = [staff["therapist"], staff["therapist2"]]
    per_therapist = [
        CareTeamMember.objects.filter(user=t, role=Role.THERAPIST).count() for t in therapists
    ]
    assert all(n > 0 for n in per_therapist)
    assert abs(per_therapist[0] - per_therapist[1]) <= 1
    assert sum(per_therapist) == clients.count()
    for client in clients:
        assert client.care_team.filter(role=Role.THERAPIST).count() == 1


def test_demo_has_one_user_per_role_each_with_a_confirmed_authenticator():
    # When the demo is loaded
    clinic, _ = load_demo()

    # Then every role is held at the demo clinic, and every demo user can pass MFA
    for role in Role.values:
        holders = User.objects.filter(memberships__clinic=clinic, memberships__role=role)
        assert holders.exists(), role
    for user in User.objects.filter(memberships__clinic=clinic).distinct():
        assert TOTPDevice.objects.filter(user=user, confirmed=True).count() == 1
        assert StaticToken.objects.filter(device__user=user).count() == 10


def test_load_demo_command_refuses_when_debug_is_off(settings):
    # Given production settings
    settings.DEBUG = False

    # When someone runs the demo loader
    with pytest.raises(CommandError, match="DEBUG"):
        call_command("load_demo", stdout=io.StringIO())

    # Then nothing was loaded
    assert not Client.objects.exists()
    assert not User.objects.exists()


def test_load_demo_command_loads_in_development(settings):
    settings.DEBUG = True
    out = io.StringIO()
    call_command("load_demo", stdout=out)
    assert Client.objects.count() == 30
    assert "therapist@demo.kapcare.test" in out.getvalue()


def test_demo_totp_prints_a_code_the_authenticator_accepts(settings):
    # Given the demo loaded in development
    settings.DEBUG = True
    load_demo()
    email = "therapist@demo.kapcare.test"

    # When the current code is asked for
    out = io.StringIO()
    call_command("demo_totp", email, stdout=out)

    # Then it is six digits, and the demo user's authenticator accepts it
    code = out.getvalue().strip()
    assert re.fullmatch(r"\d{6}", code)
    assert TOTPDevice.objects.get(user__email=email, confirmed=True).verify_token(code)


def test_demo_totp_refuses_when_debug_is_off(settings):
    settings.DEBUG = False
    load_demo()
    with pytest.raises(CommandError):
        call_command("demo_totp", "therapist@demo.kapcare.test", stdout=io.StringIO())


def test_demo_totp_refuses_real_accounts(settings):
    # Given a real staff account, in development
    settings.DEBUG = True
    load_demo()
    real = User.objects.create_user(email="someone@clinic.test", full_name="Real Person")
    TOTPDevice.objects.create(user=real, name="authenticator", confirmed=True)

    # When its code is asked for, the command refuses
    with pytest.raises(CommandError, match="demo"):
        call_command("demo_totp", real.email, stdout=io.StringIO())
