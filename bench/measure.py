"""Timing one page: warm up, then sequential requests (p50/p95), then a short concurrent burst
(throughput). The query count is the server's own (X-Query-Count, kapcare.home.bench)."""

from __future__ import annotations

import math
import statistics
import threading
import time
from dataclasses import dataclass

import requests

BACKGROUND = {"X-Kapcare-Background": "poll", "HX-Request": "true"}


@dataclass
class Settings:
    warmup: int = 3
    requests: int = 30
    burst_threads: int = 4
    burst_requests: int = 40


def percentile(samples: list[float], fraction: float) -> float:
    """Nearest-rank percentile: the smallest sample at or above `fraction` of them."""
    ordered = sorted(samples)
    rank = max(1, math.ceil(fraction * len(ordered)))
    return ordered[rank - 1]


# A page slower than this is a failure in itself: it is reported (status 0) and not measured
# further, so one runaway page cannot stall the run.
TIMEOUT_SECONDS = 60


class PageTimedOut(Exception):
    pass


def _get(session: requests.Session, url: str, headers: dict) -> tuple[float, requests.Response]:
    start = time.perf_counter()
    try:
        response = session.get(url, headers=headers, allow_redirects=False, timeout=TIMEOUT_SECONDS)
    except requests.exceptions.Timeout as timeout:
        raise PageTimedOut(url) from timeout
    return time.perf_counter() - start, response


def measure(
    session: requests.Session, url: str, settings: Settings, *, background: bool = False
) -> dict:
    try:
        return _measure(session, url, settings, background=background)
    except PageTimedOut:
        return {
            "url": url,
            "statuses": [0],
            "timed_out_after_s": TIMEOUT_SECONDS,
            "p50_ms": None,
            "p95_ms": None,
            "mean_ms": None,
            "queries": -1,
            "queries_seen": [],
            "html_bytes": 0,
            "throughput_rps": None,
        }


def _measure(
    session: requests.Session, url: str, settings: Settings, *, background: bool = False
) -> dict:
    headers = BACKGROUND if background else {}
    statuses: set[int] = set()
    queries: set[int] = set()
    size = 0
    for _ in range(settings.warmup):
        _, response = _get(session, url, headers)
        statuses.add(response.status_code)
    samples = []
    for _ in range(settings.requests):
        seconds, response = _get(session, url, headers)
        samples.append(seconds)
        statuses.add(response.status_code)
        queries.add(int(response.headers.get("X-Query-Count", "-1")))
        size = len(response.content)
    return {
        "url": url,
        "statuses": sorted(statuses),
        "p50_ms": round(statistics.median(samples) * 1000, 2),
        "p95_ms": round(percentile(samples, 0.95) * 1000, 2),
        "mean_ms": round(statistics.fmean(samples) * 1000, 2),
        # The fewest is the page's steady state: a request that also records the session's
        # activity (at most once a minute) runs one more, the session's UPDATE.
        "queries": min(queries),
        "queries_seen": sorted(queries),
        "html_bytes": size,
        "throughput_rps": _burst(session, url, headers, settings),
    }


def _burst(session: requests.Session, url: str, headers: dict, settings: Settings) -> float:
    """Requests per second with `burst_threads` at once, each on a copy of the signed-in
    cookies (a requests.Session is not safe to share between threads)."""
    per_thread = max(1, settings.burst_requests // settings.burst_threads)
    errors: list[int] = []

    def worker() -> None:
        own = requests.Session()
        own.cookies.update(session.cookies)
        own.headers.update(session.headers)  # an API page's bearer token
        for _ in range(per_thread):
            _, response = _get(own, url, headers)
            if response.status_code != 200:
                errors.append(response.status_code)

    threads = [threading.Thread(target=worker) for _ in range(settings.burst_threads)]
    start = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - start
    if errors:
        return 0.0
    return round(per_thread * settings.burst_threads / elapsed, 1)
