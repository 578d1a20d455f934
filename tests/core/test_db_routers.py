"""Report reads go to the replica when REPORTS_DATABASE_URL configures one, else the primary."""

import pytest
from django.db import router

from kapcare.clients.models import Client
from kapcare.core.db_routers import ReportsReplicaRouter, reports_replica
from kapcare.outcomes.cohorts import report_database
from kapcare.outcomes.models import OutcomeSettings


@pytest.fixture
def with_replica(monkeypatch):
    # As when REPORTS_DATABASE_URL put a "reports" alias in DATABASES (overriding DATABASES
    # itself in a running test process is unsupported by Django).
    monkeypatch.setattr("kapcare.core.db_routers.replica_configured", lambda: True)


def test_without_a_replica_every_read_goes_to_the_primary():
    assert router.db_for_read(OutcomeSettings) == "default"
    with reports_replica():
        assert router.db_for_read(Client) == "default"


def test_with_a_replica_report_models_are_read_from_it(with_replica):
    routes = ReportsReplicaRouter()
    assert routes.db_for_read(OutcomeSettings) == "reports"
    assert routes.db_for_read(Client) is None  # the primary


def test_with_a_replica_reads_inside_a_report_go_to_it(with_replica):
    routes = ReportsReplicaRouter()
    with reports_replica():
        assert routes.db_for_read(Client) == "reports"
    assert routes.db_for_read(Client) is None


def test_writes_and_migrations_always_go_to_the_primary(with_replica):
    routes = ReportsReplicaRouter()
    with reports_replica():
        assert routes.db_for_write(OutcomeSettings) == "default"
    assert routes.allow_migrate("reports", "outcomes") is False
    assert routes.allow_migrate("default", "outcomes") is True


def test_the_outcomes_dashboard_reads_the_replica_when_there_is_one(with_replica):
    assert report_database() == "reports"


def test_the_outcomes_dashboard_reads_the_primary_without_a_replica():
    assert report_database() == "default"
