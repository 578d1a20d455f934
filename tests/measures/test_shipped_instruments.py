"""A clinic always holds the shipped instruments, and checking that on every page visit is one
plain SELECT: no lock, no transaction, no write (bench: the instruments page at 100,000 clients)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from kapcare.audit.models import AuditEvent
from kapcare.measures.definitions import shipped_definitions, shipped_versions
from kapcare.measures.models import InstrumentDefinition
from kapcare.measures.services import instruments as instrument_services
from kapcare.measures.services.instruments import ensure_shipped_instruments, measure_settings
from tests.factories import ClinicFactory, make_staff

WRITES = ("INSERT", "UPDATE", "DELETE", "SAVEPOINT", "RELEASE")


def writes_in(queries) -> list[str]:
    return [
        q["sql"]
        for q in queries
        if q["sql"].lstrip().upper().startswith(WRITES) or "FOR UPDATE" in q["sql"].upper()
    ]


def held(clinic) -> set[tuple[str, str]]:
    return set(InstrumentDefinition.objects.filter(clinic=clinic).values_list("code", "version"))


def test_a_clinic_that_holds_them_is_checked_in_one_query_without_writes(clinic):
    ensure_shipped_instruments(clinic=clinic)
    with CaptureQueriesContext(connection) as queries:
        assert ensure_shipped_instruments(clinic=clinic) == []
    assert len(queries) == 1 and not writes_in(queries.captured_queries)


def test_instruments_page_does_no_writes(login, staff, clinic, instruments):
    measure_settings(clinic)  # the settings' version 1 is published once, on first need
    admin = login(staff["clinic_admin"])
    admin.get(reverse("measures_admin:instruments"))  # the session's first-request bookkeeping
    events = AuditEvent.objects.count()
    with CaptureQueriesContext(connection) as queries:
        assert admin.get(reverse("measures_admin:instruments")).status_code == 200
    assert writes_in(queries.captured_queries) == []
    assert AuditEvent.objects.count() == events


def test_instruments_page_queries_bounded(login, staff, clinic, instruments):
    measure_settings(clinic)
    admin = login(staff["clinic_admin"])
    admin.get(reverse("measures_admin:instruments"))
    with CaptureQueriesContext(connection) as queries:
        assert admin.get(reverse("measures_admin:instruments")).status_code == 200
    # The signed-in floor (4), the check, the definitions and the settings.
    assert len(queries) <= 7, [q["sql"] for q in queries.captured_queries]


@pytest.mark.parametrize("page", ["instruments", "settings", "due"])
def test_a_new_clinic_gets_its_instruments_on_its_first_visit(login, db, page):
    clinic = ClinicFactory()
    assert held(clinic) == set()
    role = "therapist" if page == "due" else "clinic_admin"
    http = login(make_staff(clinic, role))
    assert http.get(reverse(f"measures_admin:{page}")).status_code == 200
    assert held(clinic) == shipped_versions()
    assert InstrumentDefinition.objects.filter(clinic=clinic, is_active=True).count() == len(
        shipped_versions()
    )
    loaded = AuditEvent.objects.filter(clinic=clinic, object_type="instrumentdefinition")
    assert loaded.count() == 1
    assert http.get(reverse(f"measures_admin:{page}")).status_code == 200
    assert loaded.count() == 1 and held(clinic) == shipped_versions()


def test_each_clinic_gets_its_own_copy(clinic, other_clinic):
    assert len(ensure_shipped_instruments(clinic=clinic)) == len(shipped_versions())
    assert held(other_clinic) == set()
    assert len(ensure_shipped_instruments(clinic=other_clinic)) == len(shipped_versions())
    assert held(clinic) == held(other_clinic) == shipped_versions()


def test_a_newly_shipped_version_is_installed_on_the_next_check(clinic, instruments, monkeypatch):
    """An upgrade that ships a new version is not hidden by the quick check."""
    upgraded = [d | {"version": "99"} if d["code"] == "phq9" else d for d in shipped_definitions()]
    monkeypatch.setattr(instrument_services, "shipped_definitions", lambda: upgraded)
    monkeypatch.setattr(
        instrument_services,
        "shipped_versions",
        lambda: frozenset((d["code"], d["version"]) for d in upgraded),
    )
    created = ensure_shipped_instruments(clinic=clinic)
    assert [(d.code, d.version) for d in created] == [("phq9", "99")]
    active = InstrumentDefinition.objects.get(clinic=clinic, code="phq9", is_active=True)
    assert active.version == "99"
    assert ensure_shipped_instruments(clinic=clinic) == []
