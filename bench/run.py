"""The benchmark: `make bench` (1,000 and 100,000 clients) or `make bench-quick` (1,000).

For each size: a PostgreSQL database seeded once (bench/database.py), gunicorn on loopback with
production-like settings (bench/server.py), staff signed in per role, and every page measured
(bench/size_run.py). Writes bench/results/<date>.json and .md and exits non-zero when a page
answers anything but 200 or its query count differs between sizes. See bench/README.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import database  # noqa: E402
from bench.environment import PYTHON, VAR  # noqa: E402
from bench.report import analyse, markdown  # noqa: E402

RESULTS = ROOT / "bench" / "results"
DEFAULT_SIZES = "1000,100000"


def _cpu() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _commit() -> str:
    result = subprocess.run(
        ["git", "-C", str(ROOT), "describe", "--always", "--dirty"],
        capture_output=True,
        text=True,
        check=False,
    )
    return result.stdout.strip() or "unknown"


def environment(seeders: dict[int, str]) -> dict:
    return {
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "cpu": _cpu(),
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "postgresql": database.server_version(),
        "commit": _commit(),
        "seeders": ", ".join(f"{seeder} at {size}" for size, seeder in seeders.items()),
        "server": "gunicorn, 2 sync workers, 127.0.0.1, DEBUG=0, KAPCARE_HTTPS=0",
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--sizes",
        default=os.environ.get("BENCH_SIZES") or DEFAULT_SIZES,
        help=f"comma-separated client counts (default {DEFAULT_SIZES}, or $BENCH_SIZES)",
    )
    parser.add_argument("--requests", type=int, default=30, help="timed requests per page")
    args = parser.parse_args()
    sizes = sorted({int(size) for size in args.sizes.split(",") if size.strip()})
    VAR.mkdir(exist_ok=True)
    runs: dict[int, dict] = {}
    prepared: dict[int, dict] = {}
    for size in sizes:
        prepared[size] = database.prepare(size)
        database.collectstatic(size)
        out = VAR / f"bench-{size}.json"
        command = [PYTHON, "-m", "bench.size_run", "--size", str(size), "--out", str(out)]
        subprocess.run([*command, "--requests", str(args.requests)], cwd=ROOT, check=True)
        runs[size] = json.loads(out.read_text())
        runs[size]["database"] = prepared[size]

    env = environment({size: prepared[size]["seeder"] for size in sizes})
    analysis = analyse(runs)
    table = markdown(analysis, sizes, env)
    if any(p["seeder"] == "load_demo" for p in prepared.values()):
        table += (
            "\nseed_synthetic was not available: every size was seeded with load_demo "
            "(about 30 clients), so the sizes hold the same data.\n"
        )
    RESULTS.mkdir(parents=True, exist_ok=True)
    stem = dt.date.today().isoformat()
    (RESULTS / f"{stem}.json").write_text(
        json.dumps({"environment": env, "runs": runs, **analysis}, indent=2, default=str) + "\n"
    )
    (RESULTS / f"{stem}.md").write_text(table + "\n")
    print()
    print(table)
    print(f"Wrote {RESULTS / stem}.json and .md")
    return 1 if analysis["failures"] else 0


if __name__ == "__main__":
    sys.exit(main())
