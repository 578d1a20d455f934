"""`make load`: locust, headless, against gunicorn on loopback and the 1,000-client bench database.

Fixed load (USERS users spawned at SPAWN_RATE a second, for RUN_TIME), mixed front desk,
clinician and nurse traffic (bench/locustfile.py). Prints p95 per request type and exits
non-zero on any failed request.
"""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import database  # noqa: E402
from bench.environment import PYTHON, VAR  # noqa: E402

SIZE = 1000
USERS = int(os.environ.get("LOAD_USERS", "20"))
SPAWN_RATE = int(os.environ.get("LOAD_SPAWN_RATE", "5"))
RUN_TIME = os.environ.get("LOAD_RUN_TIME", "2m")
ROLES = ("front_desk", "therapist", "nurse")


def context(base: str) -> dict:
    """Sessions for each role and the URLs the users open, from the seeded data."""
    from django.urls import reverse

    from bench.pages import client_tab_pages
    from bench.picking import pick_client, pick_ids, pick_staff
    from bench.size_run import signed_in_sessions
    from kapcare.clients.models import Client

    client = pick_client()
    ids = pick_ids(client)
    staff = {role: uid for role, uid in pick_staff(client).items() if role in ROLES}
    sessions = signed_in_sessions(base, staff)
    c, s = ids["client"], ids["session"]
    urls = {
        "home": reverse("home:home"),
        "client_list": reverse("clients:list"),
        "inquiries": reverse("inquiries:queue"),
        "today": reverse("dosing_clinic:today"),
        "live": reverse("dosing:live", args=[c, s]),
        "live_panel": reverse("dosing:panel", args=[c, s]),
    }
    if ids["inquiry"]:
        urls["inquiry"] = reverse("inquiries:detail", args=[ids["inquiry"]])
    if ids["note"]:
        urls["note"] = reverse("courses:note_detail", args=[c, ids["note"]])
    tabs = [page for page in client_tab_pages() if page.role == "therapist"]
    for page in tabs:
        urls[page.label] = reverse(page.url_name, args=[c])
    surnames = Client.objects.filter(clinic=client.clinic_id).values_list("last_name", flat=True)
    return {
        "cookies": {role: dict(session.cookies) for role, session in sessions.items()},
        "urls": urls,
        "tabs": [page.label for page in tabs],
        "search_terms": sorted({name[:3] for name in surnames[:200]}) or ["a"],
    }


def print_p95(stats_csv: Path) -> None:
    with stats_csv.open() as handle:
        rows = list(csv.DictReader(handle))
    print(f"\n{'request':34} {'count':>7} {'fail':>5} {'p50 ms':>8} {'p95 ms':>8} {'req/s':>7}")
    for row in rows:
        print(
            f"{row['Name']:34} {row['Request Count']:>7} {row['Failure Count']:>5} "
            f"{row['50%']:>8} {row['95%']:>8} {float(row['Requests/s']):7.1f}"
        )


def main() -> int:
    from bench.server import running
    from bench.size_run import setup_django

    VAR.mkdir(exist_ok=True)
    database.prepare(SIZE)
    database.collectstatic(SIZE)
    setup_django(SIZE)
    with running(SIZE) as base:
        context_path = VAR / "load-context.json"
        context_path.write_text(json.dumps(context(base)))
        prefix = VAR / "load"
        command = [
            PYTHON, "-m", "locust",
            "-f", str(ROOT / "bench" / "locustfile.py"),
            "--headless", "--host", base,
            "--users", str(USERS), "--spawn-rate", str(SPAWN_RATE), "--run-time", RUN_TIME,
            "--exit-code-on-error", "1", "--csv", str(prefix), "--only-summary",
        ]  # fmt: skip
        print(f"locust: {USERS} users, {SPAWN_RATE}/s spawn, {RUN_TIME}, against {base}")
        result = subprocess.run(
            command, cwd=ROOT, env={**os.environ, "BENCH_LOAD_CONTEXT": str(context_path)},
            check=False,
        )  # fmt: skip
    print_p95(Path(f"{prefix}_stats.csv"))
    if result.returncode != 0:
        print(f"\nlocust reported failed requests (exit {result.returncode}): see above.")
    return result.returncode


if __name__ == "__main__":
    sys.exit(main())
