"""Readiness probes: can this process serve requests right now? Each returns None when fine,
or a short reason naming what failed (shown to the load balancer; it reveals no data)."""

from django.db import DatabaseError, connection
from django.db.migrations.executor import MigrationExecutor

# Once every migration is applied, this process's code and its database agree until the
# process is replaced (a deploy with new migrations restarts it), so the graph is loaded once.
_migrations_applied = False


def database_problem() -> str | None:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except DatabaseError as exc:
        return f"database unreachable: {type(exc).__name__}"
    return None


def migrations_problem() -> str | None:
    global _migrations_applied
    if _migrations_applied:
        return None
    try:
        executor = MigrationExecutor(connection)
        plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    except DatabaseError as exc:
        return f"migration state unreadable: {type(exc).__name__}"
    if plan:
        names = ", ".join(f"{m.app_label}.{m.name}" for m, _backwards in plan[:5])
        return f"{len(plan)} migrations not applied ({names}{', …' if len(plan) > 5 else ''})"
    _migrations_applied = True
    return None


def task_queue_problem() -> str | None:
    """The django-tasks database backend's table answers (workers and enqueueing need it)."""
    from django_tasks_db.models import DBTaskResult

    try:
        list(DBTaskResult.objects.order_by().values_list("pk", flat=True)[:1])
    except DatabaseError as exc:
        return f"task queue table unreachable: {type(exc).__name__}"
    return None


def readiness_problems() -> dict[str, str]:
    """Each failed check by name; empty when ready. Later checks need the database, so an
    unreachable database is the only failure reported."""
    problem = database_problem()
    if problem:
        return {"database": problem}
    checks = {"migrations": migrations_problem, "task_queue": task_queue_problem}
    return {name: reason for name, check in checks.items() if (reason := check())}
