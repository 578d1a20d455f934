"""The staff home page and the public landing page: the one place that gathers every domain."""

from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from kapcare.audit.models import AuditAction
from kapcare.audit.shown import audit_shown
from kapcare.home.selectors import home_summary


@login_not_required
def landing(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("home:home")
    return render(request, "home/landing.html")


def home(request: HttpRequest) -> HttpResponse:
    actor = getattr(request, "actor", None)
    if actor is None:
        return render(request, "home/no_clinic.html", status=403)
    summary = home_summary(actor=actor)
    # The home page names clients, so it is a read of their data like any list: of the clients
    # it renders, not of every client its counts stand for.
    audit_shown(
        request,
        actor=actor,
        action=AuditAction.LIST,
        object_type="home",
        summary=_("Home page"),
        details={"client_ids": summary.client_ids_shown()},
    )
    return render(request, "home/home.html", {"summary": summary})
