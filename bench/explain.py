"""EXPLAIN every query a page runs and report the sequential scans of big tables.

Each page is opened once in-process (Django's test client, signed in like the real flow leaves
a session) against the same database, its statements captured and each SELECT explained. A
sequential scan of a table the planner believes holds at least BIG_TABLE_ROWS rows is a hot
query without an index. Small tables are scanned whatever indexes exist, so at 1,000 clients
most scans are expected; the 100,000-client run is the one that says something.
"""

from __future__ import annotations

import json

from django.db import connection
from django.test import Client as DjangoClient
from django.test.utils import CaptureQueriesContext, setup_test_environment
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from bench.report import BIG_TABLE_ROWS
from kapcare.accounts.models import User


def _client_for(user_id: int) -> DjangoClient:
    user = User.objects.get(pk=user_id)
    http = DjangoClient()
    http.force_login(user)
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    if device is not None:
        session = http.session
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
        session.save()
    return http


def _seq_scans(plan: dict) -> list[str]:
    found = []
    if plan.get("Node Type") == "Seq Scan":
        found.append(plan.get("Relation Name", "?"))
    for child in plan.get("Plans", []):
        found += _seq_scans(child)
    return found


def _table_rows() -> dict[str, float]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT relname, reltuples FROM pg_class WHERE relkind = 'r'")
        return {name: rows for name, rows in cursor.fetchall()}


def explain_pages(pages: list[tuple[str, str, int, dict]]) -> dict[str, list[dict]]:
    """For (label, url, user id, headers) each: the SELECTs that scan a big table sequentially."""
    setup_test_environment()
    rows = _table_rows()
    clients: dict[int, DjangoClient] = {}
    report: dict[str, list[dict]] = {}
    for label, url, user_id, headers in pages:
        http = clients.setdefault(user_id, _client_for(user_id)) if user_id else DjangoClient()
        with CaptureQueriesContext(connection) as captured:
            http.get(url, headers=headers)
        findings = []
        for query in captured.captured_queries:
            sql = query["sql"]
            if not sql.lstrip().upper().startswith("SELECT"):
                continue
            with connection.cursor() as cursor:
                cursor.execute("EXPLAIN (FORMAT JSON) " + sql)
                (plan,) = cursor.fetchone()
            plan = json.loads(plan) if isinstance(plan, str) else plan
            big = [t for t in _seq_scans(plan[0]["Plan"]) if rows.get(t, 0) >= BIG_TABLE_ROWS]
            if big:
                findings.append({"tables": sorted(set(big)), "sql": sql[:500]})
        report[label] = findings
    return report
