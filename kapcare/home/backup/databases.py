"""Dumping and loading the database, per vendor: SQLite's online backup API, PostgreSQL's
pg_dump / pg_restore (custom format). Each side counts rows on the same snapshot it dumps, so
the manifest's counts are exactly what the dump holds."""

import os
import shutil
import sqlite3
import subprocess
from pathlib import Path

from kapcare.home.backup.crypto import BackupError

_SQLITE_TABLES = (
    "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' "
    "ESCAPE '\\' ORDER BY name"
)
_POSTGRES_TABLES = (
    "SELECT tablename FROM pg_tables WHERE schemaname = current_schema() ORDER BY tablename"
)


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def count_rows(cursor, vendor: str) -> dict[str, int]:
    """Rows in every table of the database `cursor` is on (any DB-API cursor)."""
    cursor.execute(_SQLITE_TABLES if vendor == "sqlite" else _POSTGRES_TABLES)
    tables = [row[0] for row in cursor.fetchall()]
    counts = {}
    for table in tables:
        cursor.execute(f"SELECT COUNT(*) FROM {_quoted(table)}")  # noqa: S608 — quoted name
        counts[table] = cursor.fetchone()[0]
    return counts


# --- SQLite --------------------------------------------------------------------------------


def dump_sqlite(connection, dest: Path) -> dict[str, int]:
    """Copy the live database page by page (sqlite3's online backup: a consistent copy while
    other connections write) and count the copy's rows."""
    connection.ensure_connection()
    target = sqlite3.connect(dest)
    try:
        connection.connection.backup(target)
        return count_rows(target.cursor(), "sqlite")
    finally:
        target.close()


def sqlite_is_empty(path: Path) -> bool:
    if not path.exists() or path.stat().st_size == 0:
        return True
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return not db.execute(_SQLITE_TABLES).fetchall()
    finally:
        db.close()


def load_sqlite(dump: Path, target: Path) -> None:
    """Write the dump into `target` with the backup API, which replaces its whole content in
    one transaction (a reader never sees half a restore)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    source = sqlite3.connect(f"file:{dump}?mode=ro", uri=True)
    dest = sqlite3.connect(target)
    try:
        source.backup(dest)
    finally:
        dest.close()
        source.close()


# --- PostgreSQL ----------------------------------------------------------------------------


def _libpq_env(settings_dict: dict, dbname: str | None = None) -> dict[str, str]:
    """The connection as libpq environment variables, so no password is on a command line."""
    env = dict(os.environ)
    values = {
        "PGHOST": settings_dict.get("HOST"),
        "PGPORT": settings_dict.get("PORT"),
        "PGUSER": settings_dict.get("USER"),
        "PGPASSWORD": settings_dict.get("PASSWORD"),
        "PGDATABASE": dbname or settings_dict["NAME"],
        "PGSSLMODE": (settings_dict.get("OPTIONS") or {}).get("sslmode"),
    }
    env.update({key: str(value) for key, value in values.items() if value})
    return env


def _connect(settings_dict: dict, dbname: str | None = None, **kwargs):
    import psycopg

    options = settings_dict.get("OPTIONS") or {}
    params = {
        "host": settings_dict.get("HOST") or None,
        "port": settings_dict.get("PORT") or None,
        "user": settings_dict.get("USER") or None,
        "password": settings_dict.get("PASSWORD") or None,
        "dbname": dbname or settings_dict["NAME"],
        "sslmode": options.get("sslmode"),
    }
    return psycopg.connect(**{k: v for k, v in params.items() if v}, **kwargs)


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise BackupError(
            f"{name} is not installed: install the PostgreSQL client tools "
            "(Debian: apt-get install postgresql-client) of the server's major version."
        )
    return path


def _run(args: list[str], env: dict[str, str]) -> None:
    result = subprocess.run(args, env=env, capture_output=True, text=True, check=False)  # noqa: S603
    if result.returncode != 0:
        raise BackupError(f"{Path(args[0]).name} failed: {result.stderr.strip()}")


def dump_postgres(settings_dict: dict, dest: Path) -> dict[str, int]:
    """pg_dump in custom format on an exported snapshot, counting rows on that same snapshot,
    so a write during the backup changes neither."""
    pg_dump = _tool("pg_dump")
    with _connect(settings_dict) as db:
        db.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
        snapshot = db.execute("SELECT pg_export_snapshot()").fetchone()[0]
        counts = count_rows(db.cursor(), "postgresql")
        _run(
            [pg_dump, "--format=custom", f"--snapshot={snapshot}", f"--file={dest}"],
            _libpq_env(settings_dict),
        )
        db.rollback()
    return counts


def postgres_state(settings_dict: dict) -> str:
    """'missing', 'empty' or 'in use' (has tables) for the target database."""
    with _connect(settings_dict, "postgres", autocommit=True) as maintenance:
        exists = maintenance.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", [settings_dict["NAME"]]
        ).fetchone()
    if not exists:
        return "missing"
    with _connect(settings_dict) as db:
        tables = db.execute(_POSTGRES_TABLES).fetchall()
    return "in use" if tables else "empty"


def load_postgres(dump: Path, settings_dict: dict, *, state: str) -> None:
    """Create the target database if it is missing (recreate it when --force replaces one in
    use), then pg_restore into it in one transaction. --no-owner and --no-privileges: the
    connecting role owns what it restores, and the grants to the application role are
    re-applied by the operator (docs/deploy.md), never carried from another server."""
    from psycopg import sql

    name = sql.Identifier(settings_dict["NAME"])
    with _connect(settings_dict, "postgres", autocommit=True) as maintenance:
        if state == "in use":
            maintenance.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(name))
        if state != "empty":
            maintenance.execute(sql.SQL("CREATE DATABASE {}").format(name))
    _run(
        [
            _tool("pg_restore"),
            "--no-owner",
            "--no-privileges",
            "--exit-on-error",
            "--single-transaction",
            f"--dbname={settings_dict['NAME']}",
            str(dump),
        ],
        _libpq_env(settings_dict),
    )
