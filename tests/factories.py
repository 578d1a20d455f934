"""Factories for the test suite. Staff users come with a confirmed authenticator."""

import datetime as dt

import factory
from django_otp.plugins.otp_totp.models import TOTPDevice

from kapcare.accounts.models import Clinic, Membership, User
from kapcare.clients.models import CareTeamMember, Client, ClientStatus

TEST_PASSWORD = "correct horse battery staple"


class ClinicFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Clinic

    name = factory.Sequence(lambda n: f"Clinic {n}")
    time_zone = "America/Los_Angeles"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"staff{n}@clinic.test")
    full_name = factory.Sequence(lambda n: f"Staff Member {n}")
    password = factory.PostGenerationMethodCall("set_password", TEST_PASSWORD)

    @factory.post_generation
    def save_password(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class TOTPDeviceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TOTPDevice

    user = factory.SubFactory(UserFactory)
    name = "authenticator"
    confirmed = True


class ClientFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Client

    clinic = factory.SubFactory(ClinicFactory)
    first_name = factory.Sequence(lambda n: f"Firstname{n}")
    last_name = factory.Sequence(lambda n: f"Lastname{n}")
    date_of_birth = dt.date(1985, 4, 12)
    status = ClientStatus.ACTIVE


def make_staff(clinic: Clinic, *roles: str, mfa: bool = True, **fields) -> User:
    user = UserFactory(**fields)
    for role in roles:
        Membership.objects.create(clinic=clinic, user=user, role=role)
    if mfa:
        TOTPDeviceFactory(user=user)
    return user


def put_on_team(client: Client, user: User, role: str) -> CareTeamMember:
    return CareTeamMember.objects.create(clinic=client.clinic, client=client, user=user, role=role)
