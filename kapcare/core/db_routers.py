"""Send report reads to a read replica when one is configured (REPORTS_DATABASE_URL).

Two ways a read becomes a report read: the model belongs to a report app (REPORT_APPS), or
the code runs inside `reports_replica()` — a report's selector wraps its queries in it, so
the cohort tables it reads (measures, courses, dosing) come from the replica too. Writes
always go to the primary, and so does everything when no replica is configured. A replica
lags the primary by moments: nothing that must see a write just made reads through this.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from django.conf import settings

REPORTS = "reports"
# Apps whose every read is a report read.
REPORT_APPS = frozenset({"outcomes"})

_in_report: ContextVar[bool] = ContextVar("kapcare_reports_replica", default=False)


@contextmanager
def reports_replica() -> Iterator[None]:
    """Reads of any model inside this block go to the replica (when configured)."""
    token = _in_report.set(True)
    try:
        yield
    finally:
        _in_report.reset(token)


def replica_configured() -> bool:
    return REPORTS in settings.DATABASES


class ReportsReplicaRouter:
    def db_for_read(self, model, **hints):
        if not replica_configured():
            return None
        if model._meta.app_label in REPORT_APPS or _in_report.get():
            return REPORTS
        return None

    def db_for_write(self, model, **hints):
        return "default"

    def allow_relation(self, obj1, obj2, **hints):
        # The replica holds the same rows as the primary.
        if {obj1._state.db, obj2._state.db} <= {"default", REPORTS}:
            return True
        return None

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        # The replica follows the primary's schema by replication, never by migrate.
        return db != REPORTS
