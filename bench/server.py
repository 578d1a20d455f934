"""gunicorn on a free loopback port with the bench environment, for as long as a `with` lasts."""

from __future__ import annotations

import socket
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager

from bench.environment import PYTHON, ROOT, VAR, server_env

HOST = "127.0.0.1"
WORKERS = 2


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def _wait_until_up(base: str, process: subprocess.Popen, log_path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"gunicorn exited early; see {log_path}:\n{log_path.read_text()}")
        try:
            with urllib.request.urlopen(f"{base}/healthz", timeout=2) as response:  # noqa: S310
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise SystemExit(f"gunicorn did not answer /healthz within 60 s; see {log_path}")


@contextmanager
def running(size: int, *, workers: int = WORKERS) -> Iterator[str]:
    """Serve kapcare from the size's database; yield the base URL (loopback only)."""
    port = free_port()
    VAR.mkdir(exist_ok=True)
    log_path = VAR / f"bench-gunicorn-{size}.log"
    with log_path.open("w") as log:
        process = subprocess.Popen(
            [
                PYTHON,
                "-m",
                "gunicorn",
                "kapcare.wsgi:application",
                "--bind",
                f"{HOST}:{port}",
                "--workers",
                str(workers),
                "--worker-class",
                "sync",
                "--timeout",
                "120",
                "--error-logfile",
                "-",
            ],
            cwd=ROOT,
            env=server_env(size),
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        base = f"http://{HOST}:{port}"
        try:
            _wait_until_up(base, process, log_path)
            yield base
        finally:
            process.terminate()
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
