"""Restore drill: back up the test database of the current vendor (so CI runs this on SQLite and
on PostgreSQL), restore into a new database, and prove it: rows, chains, uploaded files."""

import sqlite3
import uuid
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from kapcare.accounts.models import Clinic
from kapcare.clients.models import Client
from kapcare.home.demo import load_demo
from kapcare.ledger.models import LedgerEntry

# Committed data: pg_dump reads through its own connection, and SQLite's backup API waits for
# the source connection's open transaction to end.
pytestmark = pytest.mark.django_db(transaction=True)

KEY = "correct horse battery staple, backup edition"
SCAN = b"%PDF-1.7 a signed consent form, scanned\n" * 100


@pytest.fixture
def media(settings, tmp_path):
    root = tmp_path / "media"
    (root / "documents" / "2026").mkdir(parents=True)
    (root / "documents" / "2026" / "consent-scan.pdf").write_bytes(SCAN)
    (root / "readme.txt").write_text("uploaded")
    settings.MEDIA_ROOT = root
    return root


@pytest.fixture
def target(tmp_path):
    """A database URL that names a database that does not exist yet (dropped afterwards)."""
    settings_dict = connection.settings_dict
    if connection.vendor == "sqlite":
        yield f"sqlite:///{tmp_path / 'restored.sqlite3'}"
        return
    import psycopg
    from psycopg import sql

    name = f"kc_restore_drill_{uuid.uuid4().hex[:10]}"
    auth = settings_dict["USER"] + (
        f":{settings_dict['PASSWORD']}" if settings_dict["PASSWORD"] else ""
    )
    host = f"{settings_dict['HOST'] or '127.0.0.1'}:{settings_dict['PORT'] or 5432}"
    yield f"postgres://{auth}@{host}/{name}"
    with psycopg.connect(
        host=settings_dict["HOST"] or "127.0.0.1",
        port=settings_dict["PORT"] or 5432,
        user=settings_dict["USER"],
        password=settings_dict["PASSWORD"] or None,
        dbname="postgres",
        autocommit=True,
    ) as maintenance:
        maintenance.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )


def _raw_count(url: str, table: str) -> int:
    """Count rows in the restored database without Django, so the test does not trust the
    command's own verification."""
    if url.startswith("sqlite:///"):
        db = sqlite3.connect(url.removeprefix("sqlite:///"))
        try:
            return db.execute(f'SELECT COUNT(*) FROM "{table}"').fetchone()[0]
        finally:
            db.close()
    import psycopg

    with psycopg.connect(url.replace("postgres://", "postgresql://")) as db:
        return db.execute(f'SELECT COUNT(*) FROM "{table}"').fetchone()[0]


@pytest.fixture
def backup(monkeypatch, media, tmp_path):
    """A backup of the migrated schema and the uploads: enough for tests that need a valid file."""
    return _backup_to(tmp_path / "kapcare.backup", monkeypatch)


@pytest.fixture
def demo_backup(monkeypatch, media, tmp_path):
    """A backup of the demo clinic: clients, courses, doses, ledger entries, audit events."""
    load_demo()
    return _backup_to(tmp_path / "demo.backup", monkeypatch)


def _backup_to(path: Path, monkeypatch) -> Path:
    monkeypatch.setenv("KAPCARE_BACKUP_KEY", KEY)
    call_command("backup", output=str(path), stdout=_sink())
    return path


def _sink():
    import io

    return io.StringIO()


def test_restore_drill_reproduces_rows_chains_and_uploads(demo_backup, target, tmp_path):
    # Given a backup of a clinic with clients, ledger entries and audit events
    clients = Client.objects.count()
    entries = LedgerEntry.objects.count()
    assert clients and entries
    assert SCAN not in demo_backup.read_bytes()  # encrypted: the upload is not readable in it

    # When it is restored into a new database and media directory
    out = _sink()
    restored_media = tmp_path / "restored-media"
    call_command(
        "restore",
        input=str(demo_backup),
        database_url=target,
        media_root=str(restored_media),
        stdout=out,
        stderr=out,
    )

    # Then the command verified it, and the rows and files are there
    summary = out.getvalue()
    assert "Restored into" in summary and "verified" in summary
    assert f"{entries} entries verified" in summary
    assert _raw_count(target, Client._meta.db_table) == clients
    assert _raw_count(target, LedgerEntry._meta.db_table) == entries
    assert _raw_count(target, Clinic._meta.db_table) == Clinic.objects.count()
    assert (restored_media / "documents" / "2026" / "consent-scan.pdf").read_bytes() == SCAN
    assert (restored_media / "readme.txt").read_text() == "uploaded"

    # And restoring again over the now non-empty database is refused without --force
    with pytest.raises(CommandError, match="refuses to overwrite"):
        call_command(
            "restore", input=str(demo_backup), database_url=target, media_root=str(tmp_path / "m2")
        )
    # With --force it replaces it and verifies again
    call_command(
        "restore",
        input=str(demo_backup),
        database_url=target,
        media_root=str(restored_media),
        force=True,
        stdout=_sink(),
    )
    assert _raw_count(target, LedgerEntry._meta.db_table) == entries


def test_restore_with_a_wrong_key_fails_and_restores_nothing(backup, target, tmp_path, monkeypatch):
    monkeypatch.setenv("KAPCARE_BACKUP_KEY", "not the key")
    with pytest.raises(CommandError, match="Wrong backup key"):
        call_command(
            "restore", input=str(backup), database_url=target, media_root=str(tmp_path / "m")
        )
    _assert_nothing_restored(target, tmp_path / "m")


def test_restore_of_a_tampered_file_fails_and_restores_nothing(backup, target, tmp_path):
    data = bytearray(backup.read_bytes())
    data[len(data) // 2] ^= 0x01
    backup.write_bytes(bytes(data))
    with pytest.raises(CommandError, match="tampered"):
        call_command(
            "restore", input=str(backup), database_url=target, media_root=str(tmp_path / "m")
        )
    _assert_nothing_restored(target, tmp_path / "m")


def test_restore_of_a_truncated_file_fails(backup, target, tmp_path):
    data = backup.read_bytes()
    backup.write_bytes(data[: len(data) - 100])
    with pytest.raises(CommandError, match="truncated"):
        call_command(
            "restore", input=str(backup), database_url=target, media_root=str(tmp_path / "m")
        )
    _assert_nothing_restored(target, tmp_path / "m")


def _assert_nothing_restored(url: str, media_root: Path) -> None:
    if url.startswith("sqlite:///"):
        assert not Path(url.removeprefix("sqlite:///")).exists()
    else:
        import psycopg

        with pytest.raises(psycopg.OperationalError):
            psycopg.connect(url.replace("postgres://", "postgresql://")).close()
    assert not media_root.exists() or not any(media_root.iterdir())


def test_backup_and_restore_refuse_to_run_without_a_key(monkeypatch, media, tmp_path):
    monkeypatch.delenv("KAPCARE_BACKUP_KEY", raising=False)
    with pytest.raises(CommandError, match="Set KAPCARE_BACKUP_KEY"):
        call_command("backup", output=str(tmp_path / "b"))
    assert not (tmp_path / "b").exists()
    with pytest.raises(CommandError, match="Set KAPCARE_BACKUP_KEY"):
        call_command("restore", input=str(tmp_path / "b"))
