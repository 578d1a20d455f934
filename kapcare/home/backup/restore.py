"""Restoring a backup into a target database, then proving the restore: row counts against the
manifest, the ledger and audit hash chains, the uploaded files."""

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import environ
from django.db import connections
from django.db.utils import load_backend

from kapcare.accounts.models import Clinic
from kapcare.audit.chain import verify_audit_chain
from kapcare.home.backup import archive, databases
from kapcare.home.backup.crypto import BackupError
from kapcare.ledger.chain import verify_chain

_CONNECTION_KEYS = ("ENGINE", "NAME", "USER", "PASSWORD", "HOST", "PORT")


def target_settings(database_url: str | None) -> dict:
    """The target's connection settings: the default database's, or those of `database_url`
    (restore somewhere other than DATABASE_URL, e.g. a drill into a scratch database)."""
    current = dict(connections["default"].settings_dict)
    if not database_url:
        return current
    parsed = environ.Env.db_url_config(database_url)
    target = dict(current)
    target.update({key: parsed.get(key, "") for key in _CONNECTION_KEYS})
    if parsed["ENGINE"] != current["ENGINE"]:
        target["OPTIONS"] = parsed.get("OPTIONS", {})
    return target


def vendor_of(settings_dict: dict) -> str:
    return "sqlite" if settings_dict["ENGINE"].endswith("sqlite3") else "postgresql"


@contextmanager
def default_connection_to(settings_dict: dict) -> Iterator[None]:
    """Point the ORM's default connection at the target while verifying, so the same chain
    verification code as `verify_ledger` / `verify_audit` runs against the restored data."""
    original = connections["default"]
    if dict(original.settings_dict) == settings_dict:
        yield
        return
    backend = load_backend(settings_dict["ENGINE"])
    replacement = backend.DatabaseWrapper(settings_dict, "default")
    connections["default"] = replacement
    try:
        yield
    finally:
        replacement.close()
        connections["default"] = original


def target_state(settings_dict: dict) -> str:
    """'missing', 'empty' or 'in use'."""
    if vendor_of(settings_dict) == "sqlite":
        path = Path(settings_dict["NAME"])
        if not path.exists():
            return "missing"
        return "empty" if databases.sqlite_is_empty(path) else "in use"
    return databases.postgres_state(settings_dict)


@dataclass
class RestoreReport:
    manifest: dict
    lines: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def _verify_rows(manifest: dict, vendor: str, report: RestoreReport) -> None:
    with connections["default"].cursor() as cursor:
        restored = databases.count_rows(cursor, vendor)
    expected = manifest["tables"]
    for table in sorted(set(expected) | set(restored)):
        if expected.get(table) != restored.get(table):
            report.problems.append(
                f"table {table}: {restored.get(table, 'missing')} rows restored, "
                f"{expected.get(table, 'none')} in the backup"
            )
    report.lines.append(f"{len(restored)} tables, {sum(restored.values())} rows restored")


def _verify_chains(report: RestoreReport) -> None:
    entries = events = 0
    for clinic in Clinic.objects.order_by("pk"):
        ledger = verify_chain(clinic)
        if ledger.ok:
            entries += ledger.checked
        else:
            report.problems.append(f"ledger of clinic {clinic.pk}: {ledger.problem}")
    for clinic_id in [*Clinic.objects.order_by("pk").values_list("pk", flat=True), None]:
        audit = verify_audit_chain(clinic_id)
        if audit.ok:
            events += audit.checked
        else:
            report.problems.append(f"audit chain of clinic {clinic_id}: {audit.problem}")
    report.lines.append(f"ledger: {entries} entries verified; audit: {events} events verified")


def restore(
    *, source: Path, key: str, settings_dict: dict, media_root: Path, force: bool
) -> RestoreReport:
    """Restore `source` into the database of `settings_dict` and the files into `media_root`,
    then verify. Raises BackupError, having changed nothing, when the target is in use
    without `force`, the key is wrong or the file does not authenticate. Verification
    problems are returned in the report (the restore has happened by then)."""
    vendor = vendor_of(settings_dict)
    state = target_state(settings_dict)
    if state == "in use" and not force:
        raise BackupError(
            f"The database {settings_dict['NAME']} already holds tables: restore refuses to "
            "overwrite it. Restore into a new database, or pass --force to replace it."
        )
    if not force and any(archive.media_files(media_root)):
        raise BackupError(
            f"{media_root} already holds files: restore refuses to mix them with the "
            "backup's. Point MEDIA_ROOT at an empty directory, or pass --force."
        )
    with tempfile.TemporaryDirectory(prefix="kapcare-restore-") as scratch:
        unpacked = archive.unpack(source, key, Path(scratch))
        manifest = unpacked.manifest
        if manifest["vendor"] != vendor:
            raise BackupError(
                f"This is a {manifest['vendor']} backup; the target database is {vendor}."
            )
        connections["default"].close()
        if vendor == "sqlite":
            databases.load_sqlite(unpacked.dump, Path(settings_dict["NAME"]))
        else:
            databases.load_postgres(unpacked.dump, settings_dict, state=state)
        archive.install_media(unpacked, media_root)
    report = RestoreReport(manifest=manifest)
    report.lines.append(
        f"backup of {manifest['created_at']} (kapcare {manifest['kapcare_version']}, "
        f"commit {manifest.get('git_commit') or 'unknown'}, {vendor})"
    )
    with default_connection_to(settings_dict):
        _verify_rows(manifest, vendor, report)
        _verify_chains(report)
    media = archive.media_problems(manifest, media_root)
    report.problems.extend(media)
    report.lines.append(f"media: {len(manifest.get('media', {})) - len(media)} files verified")
    return report
