from django.contrib.auth.decorators import login_not_required
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from kapcare.audit.models import AuditAction
from kapcare.audit.services import record_event
from kapcare.core.selectors import home_summary


@login_not_required
def landing(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("core:home")
    return render(request, "core/landing.html")


def home(request: HttpRequest) -> HttpResponse:
    actor = getattr(request, "actor", None)
    if actor is None:
        return render(request, "core/no_clinic.html", status=403)
    summary = home_summary(actor=actor)
    # The home page names clients, so it is a read of their data like any list.
    record_event(
        actor=actor,
        action=AuditAction.LIST,
        object_type="home",
        summary=_("Home page"),
        details={"client_ids": summary.client_ids_shown()},
    )
    return render(request, "core/home.html", {"summary": summary})


@login_not_required
def healthz(request: HttpRequest) -> JsonResponse:
    """For the load balancer: the app answers and the database does too."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})


def error_403(request: HttpRequest, exception=None) -> HttpResponse:
    return render(request, "403.html", status=403)


def error_404(request: HttpRequest, exception=None) -> HttpResponse:
    return render(request, "404.html", status=404)
