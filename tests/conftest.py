import os
import time

import pytest
from django.test import Client as DjangoClient
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from kapcare.accounts.actor import Actor
from kapcare.accounts.middleware import LAST_SEEN_KEY
from kapcare.accounts.models import Role
from kapcare.audit.append_only import APPEND_ONLY_TABLES, create_statements, drop_statements
from tests.factories import ClientFactory, ClinicFactory, make_staff, put_on_team

# Playwright's sync API runs an event loop in the test thread; the ORM calls the tests make
# alongside it are ordinary synchronous ones.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


def _flush_around_append_only_tables(original):
    """Tests that use a live server empty the database between tests. The append-only triggers
    (rightly) refuse that, so the flush lifts them for its own statements and restores them."""

    def sql_flush(self, style, tables, *, reset_sequences=False, allow_cascade=False):
        statements = original(
            self, style, tables, reset_sequences=reset_sequences, allow_cascade=allow_cascade
        )
        guarded = [t for t in APPEND_ONLY_TABLES if t in tables]
        if not statements or not guarded:
            return statements
        vendor = self.connection.vendor
        lift = [s for t in guarded for s in drop_statements(vendor, t)]
        restore = [s for t in guarded for s in create_statements(vendor, t, APPEND_ONLY_TABLES[t])]
        return lift + statements + restore

    return sql_flush


@pytest.fixture(scope="session", autouse=True)
def _append_only_tables_survive_flush():
    from django.db import connections

    for connection in connections.all():
        ops = type(connection.ops)
        if not getattr(ops.sql_flush, "lifts_append_only_triggers", False):
            ops.sql_flush = _flush_around_append_only_tables(ops.sql_flush)
            ops.sql_flush.lifts_append_only_triggers = True


@pytest.fixture
def clinic(db):
    return ClinicFactory(name="Harbor Light")


@pytest.fixture
def other_clinic(db):
    return ClinicFactory(name="Elsewhere Clinic")


@pytest.fixture
def staff(clinic):
    """One user per role at `clinic`, keyed by role."""
    return {role: make_staff(clinic, role, full_name=f"{role} user") for role in Role.values}


@pytest.fixture
def client_record(clinic, staff):
    """A client whose care team is the clinic's therapist, prescriber and nurse."""
    record = ClientFactory(clinic=clinic, first_name="Rowan", last_name="Ashby")
    for role in (Role.THERAPIST, Role.PRESCRIBER, Role.NURSE):
        put_on_team(record, staff[role], role)
    return record


def signed_in(user) -> DjangoClient:
    """A test client signed in with password and second factor, as after the real login flow."""
    http = DjangoClient()
    http.force_login(user)
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    session = http.session
    if device is not None:
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    # The real flow's second step is a request, so the idle clock has started by now.
    session[LAST_SEEN_KEY] = time.time()
    session.save()
    return http


@pytest.fixture
def login():
    return signed_in


@pytest.fixture
def actor_for():
    def make(user, clinic):
        return Actor.for_user(user, clinic)

    return make
