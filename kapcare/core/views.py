from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from kapcare.core.health import readiness_problems


@login_not_required
@require_safe
def healthz(request: HttpRequest) -> HttpResponse:
    """Liveness: the process answers. No database, session or audit row, so a load balancer
    polling it every second costs nothing and a database outage does not get the process
    restarted (that is what /readyz is for)."""
    return HttpResponse("ok", content_type="text/plain")


@login_not_required
@require_safe
def readyz(request: HttpRequest) -> JsonResponse:
    """Readiness: the database answers, every migration is applied, the task queue's table
    is reachable. 503 naming what failed, so a load balancer routes around this server."""
    problems = readiness_problems()
    if problems:
        return JsonResponse({"status": "unavailable", "failed": problems}, status=503)
    return JsonResponse(
        {"status": "ready", "checks": {"database": "ok", "migrations": "ok", "task_queue": "ok"}}
    )


def error_403(request: HttpRequest, exception=None) -> HttpResponse:
    return render(request, "403.html", status=403)


def error_404(request: HttpRequest, exception=None) -> HttpResponse:
    return render(request, "404.html", status=404)
