"""Benchmarks: page timings as ratios to a same-run baseline. Run with `make bench`."""

from __future__ import annotations

import json
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kapcare.settings_test")
os.environ.setdefault("DATABASE_URL", f"sqlite:///{ROOT / 'var' / 'bench.sqlite3'}")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client as HttpClient  # noqa: E402
from django.test.utils import CaptureQueriesContext, setup_test_environment  # noqa: E402
from django_otp import DEVICE_ID_SESSION_KEY  # noqa: E402

from kapcare.accounts.models import Clinic, Membership, Role, User  # noqa: E402
from kapcare.clients.models import CareTeamMember, Client  # noqa: E402

REPEATS = 15


def timed(http: HttpClient, url: str) -> tuple[float, int]:
    samples = []
    for _ in range(REPEATS):
        start = time.perf_counter()
        response = http.get(url)
        samples.append(time.perf_counter() - start)
        assert response.status_code == 200, (url, response.status_code)
    with CaptureQueriesContext(connection) as queries:
        http.get(url)
    return statistics.median(samples), len(queries)


def staff_http(user: User) -> HttpClient:
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device, _ = TOTPDevice.objects.get_or_create(
        user=user, name="bench", defaults={"confirmed": True}
    )
    http = HttpClient()
    http.force_login(user)
    session = http.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return http


def add_clients(clinic: Clinic, therapist: User, count: int, start: int) -> None:
    clients = Client.objects.bulk_create(
        Client(
            clinic=clinic,
            first_name=f"Bench{i}",
            last_name=f"Client{i:05d}",
            date_of_birth="1980-01-01",
            status="active",
        )
        for i in range(start, start + count)
    )
    CareTeamMember.objects.bulk_create(
        CareTeamMember(clinic=clinic, client=c, user=therapist, role=Role.THERAPIST)
        for c in clients
    )


def main() -> None:
    setup_test_environment()
    db = Path(connection.settings_dict["NAME"])
    if connection.vendor == "sqlite" and db.exists():
        db.unlink()
    call_command("migrate", verbosity=0)
    clinic = Clinic.objects.create(name="Bench clinic")
    therapist = User.objects.create_user(
        "bench-therapist@bench.test", "x" * 16, full_name="Bench T"
    )
    Membership.objects.create(clinic=clinic, user=therapist, role=Role.THERAPIST)
    http = staff_http(therapist)

    baseline, _ = timed(http, "/healthz")
    results = {"baseline_healthz_seconds": baseline, "scenarios": {}}
    for size in (100, 5000):
        add_clients(clinic, therapist, size - Client.objects.count(), Client.objects.count())
        for name, url in (("client_list", "/clients/"), ("home", "/home/")):
            seconds, queries = timed(http, url)
            results["scenarios"][f"{name}@{size}"] = {
                "ratio_to_baseline": round(seconds / baseline, 2),
                "queries": queries,
            }
    out = ROOT / "bench" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / "latest.json").write_text(json.dumps(results, indent=2))
    for key, value in results["scenarios"].items():
        print(
            f"{key:22} {value['ratio_to_baseline']:8.2f}× baseline  {value['queries']:3d} queries"
        )


if __name__ == "__main__":
    main()
