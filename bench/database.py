"""One PostgreSQL database per size, migrated and seeded once: a comment on the database records
what seeded it, so a later run with the same size and seed reuses it instead of seeding again."""

from __future__ import annotations

import subprocess

import psycopg
from psycopg import sql

from bench.environment import CLINICS, PG_URL, PYTHON, ROOT, SEED, VAR, database_name, server_env


def _admin() -> psycopg.Connection:
    return psycopg.connect(f"{PG_URL.rstrip('/')}/postgres", autocommit=True)


def _manage(size: int, *args: str, debug: bool = False) -> subprocess.CompletedProcess:
    return subprocess.run(
        [PYTHON, str(ROOT / "manage.py"), *args],
        cwd=ROOT,
        env=server_env(size, debug=debug),
        capture_output=True,
        text=True,
        check=False,
    )


def _check(result: subprocess.CompletedProcess, what: str) -> None:
    if result.returncode != 0:
        raise SystemExit(f"{what} failed:\n{result.stdout}\n{result.stderr}")


def has_seed_synthetic(size: int) -> bool:
    result = _manage(size, "help", "seed_synthetic")
    return result.returncode == 0


def _marker(size: int, seeder: str) -> str:
    return f"kapcare-bench size={size} seed={SEED} clinics={CLINICS} seeder={seeder}"


def _current_marker(conn: psycopg.Connection, name: str) -> str | None:
    row = conn.execute(
        "SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = %s",
        [name],
    ).fetchone()
    if row is None:
        return None
    return row[0] or ""


def prepare(size: int, *, log=print) -> dict:
    """Make `kapcare_bench_<size>` exist, migrated and seeded; return how it was seeded."""
    name = database_name(size)
    seeder = "seed_synthetic" if has_seed_synthetic(size) else "load_demo"
    marker = _marker(size, seeder)
    with _admin() as conn:
        current = _current_marker(conn, name)
        reuse = current == marker
        if not reuse:
            log(f"[{size}] creating database {name} (was: {current or 'absent'})")
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    # Migrating a reused database is a no-op unless the code gained a migration since.
    _check(_manage(size, "migrate", "--noinput", "-v", "0"), "migrate")
    if not reuse:
        if seeder == "seed_synthetic":
            log(
                f"[{size}] seeding: seed_synthetic --clinics {CLINICS} --clients {size} --seed {SEED}"
            )
            args = ["seed_synthetic", "--clinics", str(CLINICS), "--clients", str(size)]
            _check(_manage(size, *args, "--seed", str(SEED), debug=True), "seed_synthetic")
        else:
            log(
                f"[{size}] seed_synthetic is not in this checkout: FALLING BACK to load_demo "
                f"(about 30 clients, not {size}); the sizes are not really different"
            )
            _check(_manage(size, "load_demo", debug=True), "load_demo")
        with _admin() as conn:
            conn.execute(
                sql.SQL("COMMENT ON DATABASE {} IS {}").format(
                    sql.Identifier(name), sql.Literal(marker)
                )
            )
        # Fresh statistics, so the planner sees the seeded sizes rather than empty tables.
        with psycopg.connect(server_env(size)["DATABASE_URL"], autocommit=True) as conn:
            conn.execute("VACUUM ANALYZE")
    else:
        log(f"[{size}] reusing database {name} ({marker})")
    return {"database": name, "seeder": seeder, "reused": reuse, "marker": marker}


def collectstatic(size: int) -> None:
    """The production static storage needs its manifest (DEBUG is off on the bench server).

    Compressing every file takes minutes on a busy machine, so it is redone only when one of
    kapcare's own static files is newer than the manifest (after `make install` upgrades a
    package's static files, delete var/staticfiles)."""
    manifest = VAR / "staticfiles" / "staticfiles.json"
    if manifest.exists():
        sources = (ROOT / "kapcare").glob("**/static/**/*")
        newest = max((p.stat().st_mtime for p in sources if p.is_file()), default=0.0)
        if newest <= manifest.stat().st_mtime:
            return
    _check(_manage(size, "collectstatic", "--noinput", "-v", "0"), "collectstatic")


def server_version() -> str:
    with _admin() as conn:
        row = conn.execute("SHOW server_version").fetchone()
    return str(row[0]) if row else ""
