"""/healthz (liveness) and /readyz (readiness) for load balancers and orchestrators."""

import json

import pytest
from django.db import DatabaseError
from django.test import Client as DjangoClient

from kapcare.audit.models import AuditEvent
from kapcare.core import health


@pytest.fixture(autouse=True)
def _forget_migration_memo(monkeypatch):
    monkeypatch.setattr(health, "_migrations_applied", False)


def test_healthz_answers_ok_without_database_session_or_audit(db, django_assert_num_queries):
    http = DjangoClient()
    with django_assert_num_queries(0):
        response = http.get("/healthz")
    assert response.status_code == 200
    assert response.content == b"ok"
    assert "sessionid" not in response.cookies
    assert not AuditEvent.objects.exists()


def _database_down(patch) -> None:
    def broken(*args, **kwargs):
        raise DatabaseError("down")

    patch.setattr("django.db.backends.base.base.BaseDatabaseWrapper.cursor", broken)


def test_healthz_answers_even_when_the_database_is_down(db, monkeypatch):
    # (a context: the database must be back before the test's own teardown uses it)
    with monkeypatch.context() as patch:
        _database_down(patch)
        response = DjangoClient().get("/healthz")
    assert response.status_code == 200


def test_probes_answer_over_plain_http_when_https_is_enforced(db, settings):
    settings.SECURE_SSL_REDIRECT = True
    http = DjangoClient()
    assert http.get("/healthz").status_code == 200
    assert http.get("/readyz").status_code == 200
    assert http.get("/accounts/login/").status_code == 301


def test_readyz_is_ready_on_a_migrated_database(db):
    response = DjangoClient().get("/readyz")
    assert response.status_code == 200
    body = json.loads(response.content)
    assert body == {
        "status": "ready",
        "checks": {"database": "ok", "migrations": "ok", "task_queue": "ok"},
    }


def test_readyz_names_an_unreachable_database(db, monkeypatch):
    with monkeypatch.context() as patch:
        _database_down(patch)
        response = DjangoClient().get("/readyz")
    assert response.status_code == 503
    assert json.loads(response.content) == {
        "status": "unavailable",
        "failed": {"database": "database unreachable: DatabaseError"},
    }


def test_readyz_names_unapplied_migrations(db, monkeypatch):
    class Pending:
        app_label, name = "ledger", "0099_future"

    monkeypatch.setattr(
        "django.db.migrations.executor.MigrationExecutor.migration_plan",
        lambda self, targets: [(Pending(), False)],
    )
    response = DjangoClient().get("/readyz")
    assert response.status_code == 503
    failed = json.loads(response.content)["failed"]
    assert failed == {"migrations": "1 migrations not applied (ledger.0099_future)"}


def test_readyz_names_an_unreachable_task_queue(db, monkeypatch):
    from django_tasks_db.models import DBTaskResult

    def broken(*args, **kwargs):
        raise DatabaseError("no such table")

    monkeypatch.setattr(type(DBTaskResult.objects), "order_by", broken)
    response = DjangoClient().get("/readyz")
    assert response.status_code == 503
    assert json.loads(response.content)["failed"] == {
        "task_queue": "task queue table unreachable: DatabaseError"
    }


def test_probes_refuse_post(db):
    assert DjangoClient().post("/healthz").status_code == 405
    assert DjangoClient().post("/readyz").status_code == 405
