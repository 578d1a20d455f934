"""The environment the benchmark's commands and server run with: production-like settings
(DEBUG off, plain HTTP on loopback), the bench floors on, one PostgreSQL database per size."""

from __future__ import annotations

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
# The maintenance connection that creates and drops the bench databases.
PG_URL = os.environ.get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432")
SEED = 1
CLINICS = 3
PASSWORD = "kapcare-demo-2026"  # noqa: S105 — the seeded staff's published demo password
VAR = ROOT / "var"


def database_name(size: int) -> str:
    return f"kapcare_bench_{size}"


def database_url(size: int) -> str:
    return f"{PG_URL.rstrip('/')}/{database_name(size)}"


def server_env(size: int, *, debug: bool = False) -> dict[str, str]:
    """What manage.py and gunicorn see. The keys are fixed so a reused database's encrypted
    notes stay readable from one run to the next; none of it is a production secret."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "DATABASE_", "KAPCARE_"))
    }
    env.update(
        DJANGO_SETTINGS_MODULE="kapcare.settings",
        DATABASE_URL=database_url(size),
        DEBUG="1" if debug else "0",
        KAPCARE_HTTPS="0",
        KAPCARE_BENCH_VIEWS="1",
        SECRET_KEY="bench-only-secret-key-for-a-loopback-server-0123456789",  # noqa: S106
        KAPCARE_NOTE_KEY="bench-only-note-key",
        ALLOWED_HOSTS="127.0.0.1,localhost",
        SITE_URL="http://127.0.0.1",
        LOG_LEVEL="WARNING",
        PYTHONPATH=str(ROOT),
    )
    return env
