"""Request-level guards for staff sessions: idle expiry, MFA before anything, the active clinic."""

import time
import zoneinfo
from collections.abc import Callable

from django.conf import settings
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import add_never_cache_headers

from kapcare.accounts.actor import Actor
from kapcare.accounts.models import Membership
from kapcare.accounts.selectors import has_confirmed_totp
from kapcare.audit.request_meta import client_ip, user_agent

LAST_SEEN_KEY = "kapcare_last_seen"
IDLE_LOGOUT_FLAG = "kapcare_idle_logout"
ACTIVE_CLINIC_KEY = "kapcare_clinic_id"


def mfa_exempt(view):
    """Mark a view reachable by a signed-in user who has not passed MFA yet (the MFA flow itself)."""
    view.mfa_exempt = True
    return view


# A request the page makes by itself, not the person: HTMX polls send it (hx-headers on every
# element with hx-trigger="every …"), and so does the idle-warning script. Neither the server
# nor the script (static/kapcare/js/kapcare.js) takes such a request for activity.
BACKGROUND_HEADER = "X-Kapcare-Background"


def idle_passive(view):
    """Mark a view whose requests never count as activity (the session-status poll)."""
    view.idle_passive = True
    return view


def is_background_request(request: HttpRequest, view_func=None) -> bool:
    """True for a request that must not extend an idle session: the page polling, not a
    person acting."""
    return bool(request.headers.get(BACKGROUND_HEADER)) or getattr(view_func, "idle_passive", False)


class IdleTimeoutMiddleware:
    """Sign a user out after KAPCARE_IDLE_TIMEOUT_SECONDS without a request.

    The page shows a warning before then (static/kapcare/js/session.js); this is what enforces it.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        timed_out = False
        if request.user.is_authenticated:
            last_seen = request.session.get(LAST_SEEN_KEY)
            if last_seen and time.time() - last_seen > settings.KAPCARE_IDLE_TIMEOUT_SECONDS:
                logout(request)
                request.session[IDLE_LOGOUT_FLAG] = True
                timed_out = True
        response = self.get_response(request)
        if timed_out and getattr(request, "htmx", False):
            # A fragment request must not swap the login page into the middle of a screen.
            response = HttpResponse(status=204)
            response["HX-Redirect"] = reverse(settings.LOGIN_URL)
        return response

    def process_view(self, request: HttpRequest, view_func, view_args, view_kwargs):
        if not request.user.is_authenticated or is_background_request(request, view_func):
            return
        # Recording the activity modifies the session, and a modified session is an UPDATE of
        # its row: done on every request, it was the one write every page paid. It is recorded
        # only when the stored time is older than the resolution (a minute by default), so a
        # person clicking about writes their session about once a minute. The trade-off: the
        # stored time can lag the last request by up to the resolution, so a session can be
        # signed out up to that much *before* the full idle timeout, never after it; the
        # session-status poll reads the same stored time, so the warning stays truthful.
        now = time.time()
        last_seen = request.session.get(LAST_SEEN_KEY)
        resolution = settings.KAPCARE_IDLE_ACTIVITY_RESOLUTION_SECONDS
        if last_seen is None or now - last_seen >= resolution:
            request.session[LAST_SEEN_KEY] = now


class MFARequiredMiddleware:
    """No signed-in view runs until the user has passed TOTP (or a recovery code) this session."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(self, request: HttpRequest, view_func, view_args, view_kwargs):
        user = request.user
        if not user.is_authenticated or user.is_verified():
            return None
        if getattr(view_func, "mfa_exempt", False) or not getattr(
            view_func, "login_required", True
        ):
            return None

        target = "accounts:mfa_verify" if has_confirmed_totp(user) else "accounts:mfa_setup"
        if getattr(request, "htmx", False):
            response = HttpResponse(status=204)
            response["HX-Redirect"] = reverse(target)
            return response
        return redirect(f"{reverse(target)}?next={request.get_full_path()}")


class ClinicContextMiddleware:
    """Build request.actor: the verified user at their active clinic, in the roles held there."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.actor = None
        request.clinics = []
        user = request.user
        if user.is_authenticated and user.is_verified():
            memberships = list(
                Membership.objects.filter(user=user).select_related("clinic").order_by("clinic_id")
            )
            clinics = {m.clinic_id: m.clinic for m in memberships}
            request.clinics = list(clinics.values())
            if clinics:
                clinic_id = request.session.get(ACTIVE_CLINIC_KEY)
                clinic = clinics.get(clinic_id) or next(iter(clinics.values()))
                request.actor = Actor(
                    user=user,
                    clinic=clinic,
                    roles=frozenset(m.role for m in memberships if m.clinic_id == clinic.pk),
                    ip_address=client_ip(request),
                    user_agent=user_agent(request),
                    request_id=getattr(request, "request_id", ""),
                )
                timezone.activate(zoneinfo.ZoneInfo(clinic.time_zone))
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()


class NoStoreMiddleware:
    """Tell browsers and proxies to keep no copy of what kapcare serves (Cache-Control:
    no-store): every page, fragment and export a signed-in user gets can hold health
    information, and a page from a public single-use link can too. Static files are served
    before this (whitenoise) and stay cacheable. A public page may set its own Cache-Control;
    a signed-in response is made no-store whatever it set."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if request.path_info.startswith(settings.STATIC_URL):
            return response
        user = getattr(request, "user", None)
        signed_in = user is not None and user.is_authenticated
        if signed_in or not response.has_header("Cache-Control"):
            add_never_cache_headers(response)
        return response
