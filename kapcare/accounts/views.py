"""Sign-in, second factor, enrolment, recovery codes, session keep-alive, clinic switch."""

import math
import time

import segno
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.middleware.csrf import rotate_token
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django_otp import login as otp_login

from kapcare.accounts import services, throttles
from kapcare.accounts.forms import ClinicSwitchForm, EnrolmentForm, LoginForm, SecondFactorForm
from kapcare.accounts.middleware import (
    ACTIVE_CLINIC_KEY,
    IDLE_LOGOUT_FLAG,
    LAST_SEEN_KEY,
    idle_passive,
    mfa_exempt,
)
from kapcare.accounts.selectors import has_confirmed_totp, remaining_recovery_codes
from kapcare.audit.models import AuditAction
from kapcare.audit.services import record_security_event
from kapcare.core.prg import post_action

NEW_CODES_KEY = "kapcare_new_recovery_codes"


def _safe_next(request: HttpRequest, default: str = "home:home") -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return reverse(default)


class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    authentication_form = LoginForm
    redirect_authenticated_user = False

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["idle_logout"] = self.request.session.pop(IDLE_LOGOUT_FLAG, False)
        return context

    def form_valid(self, form):
        response = super().form_valid(form)
        record_security_event(request=self.request, action=AuditAction.LOGIN, user=form.get_user())
        return response

    def form_invalid(self, form):
        email = self.request.POST.get("username", "")
        locked = getattr(self.request, "axes_locked_out", False)
        throttled = form.throttled
        if throttled is None:
            throttles.count_failed_sign_in(self.request)
        record_security_event(
            request=self.request,
            action=AuditAction.LOCKED_OUT if locked else AuditAction.LOGIN_FAILED,
            label=email,
            summary=_(
                "Refused without checking the password: too many failed sign-ins from this address"
            )
            if throttled
            else "",
        )
        response = super().form_invalid(form)
        return throttled.mark(response) if throttled else response

    def get_success_url(self) -> str:
        # The second factor comes next; MFARequiredMiddleware sends the user there with `next`.
        return self.get_redirect_url() or reverse(settings.LOGIN_REDIRECT_URL)


class LogoutView(auth_views.LogoutView):
    def post(self, request, *args, **kwargs):
        if request.user.is_authenticated:
            record_security_event(request=request, action=AuditAction.LOGOUT, user=request.user)
        return super().post(request, *args, **kwargs)


logout_view = mfa_exempt(LogoutView.as_view())


def _passed_second_factor(request: HttpRequest, device) -> None:
    """Mark the session verified, under a new session key and CSRF token (as Django's login
    does for the password step): a key known before the second factor (fixation, a shared
    machine) must not become a verified session."""
    otp_login(request, device)
    request.session.cycle_key()
    rotate_token(request)


@mfa_exempt
def mfa_verify(request: HttpRequest) -> HttpResponse:
    if request.user.is_verified():
        return redirect(_safe_next(request))
    if not has_confirmed_totp(request.user):
        return redirect(f"{reverse('accounts:mfa_setup')}?next={_safe_next(request)}")
    form = SecondFactorForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        device = services.verify_second_factor(user=request.user, token=form.cleaned_data["token"])
        if device is not None:
            _passed_second_factor(request, device)
            record_security_event(
                request=request, action=AuditAction.MFA_VERIFIED, user=request.user
            )
            return redirect(_safe_next(request))
        record_security_event(request=request, action=AuditAction.MFA_FAILED, user=request.user)
        wait = services.second_factor_wait_seconds(user=request.user)
        form.add_error(
            "token",
            _("Too many wrong codes in a row. Wait %(n)s seconds, then enter the current code.")
            % {"n": wait}
            if wait > 1
            else _(
                "That code was not accepted. Codes change every 30 seconds; use the current one."
            ),
        )
    return render(request, "accounts/mfa_verify.html", {"form": form, "next": _safe_next(request)})


@mfa_exempt
def mfa_setup(request: HttpRequest) -> HttpResponse:
    if request.user.is_verified():
        return redirect(_safe_next(request))
    if has_confirmed_totp(request.user):
        # Replacing an authenticator needs the old one (or a recovery code) first.
        return redirect(f"{reverse('accounts:mfa_verify')}?next={_safe_next(request)}")
    device = services.start_totp_enrolment(user=request.user)
    form = EnrolmentForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        codes = services.confirm_totp_enrolment(
            user=request.user, device=device, token=form.cleaned_data["token"].strip()
        )
        if codes is not None:
            _passed_second_factor(request, device)
            record_security_event(
                request=request, action=AuditAction.MFA_ENROLLED, user=request.user
            )
            request.session[NEW_CODES_KEY] = codes
            return redirect(f"{reverse('accounts:recovery_codes')}?next={_safe_next(request)}")
        form.add_error(
            "token",
            _("That code did not match. Check the clock on your phone and try the new code."),
        )
    qr_svg = segno.make(device.config_url, error="m").svg_inline(scale=5, dark="#1f2d3d")
    context = {
        "form": form,
        "qr_svg": qr_svg,
        "secret": _base32_secret(device),
        "next": _safe_next(request),
    }
    return render(request, "accounts/mfa_setup.html", context)


def _base32_secret(device) -> str:
    from base64 import b32encode

    secret = b32encode(device.bin_key).decode()
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def recovery_codes(request: HttpRequest) -> HttpResponse:
    """Shown once, straight after enrolment or regeneration; never retrievable later."""
    codes = request.session.pop(NEW_CODES_KEY, None)
    if codes is None:
        return redirect("accounts:security")
    return render(
        request, "accounts/recovery_codes.html", {"codes": codes, "next": _safe_next(request)}
    )


def security(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        request.session[NEW_CODES_KEY] = services.issue_recovery_codes(user=request.user)
        messages.success(request, _("New recovery codes issued. The old ones no longer work."))
        return redirect("accounts:recovery_codes")
    return render(
        request,
        "accounts/security.html",
        {"recovery_codes_left": remaining_recovery_codes(request.user)},
    )


@post_action("home:home")
def switch_clinic(request: HttpRequest) -> HttpResponse:
    form = ClinicSwitchForm(request.POST)
    allowed = {clinic.pk for clinic in getattr(request, "clinics", [])}
    if form.is_valid() and form.cleaned_data["clinic"] in allowed:
        request.session[ACTIVE_CLINIC_KEY] = form.cleaned_data["clinic"]
    else:
        messages.error(request, _("You do not work at that clinic."))
    return redirect("home:home")


@login_not_required
@idle_passive
def session_status(request: HttpRequest) -> JsonResponse:
    """Seconds of idle time left, for the warning banner; asking does not count as activity."""
    if not request.user.is_authenticated:
        return JsonResponse({"authenticated": False, "remaining": 0})
    last_seen = request.session.get(LAST_SEEN_KEY, time.time())
    remaining = settings.KAPCARE_IDLE_TIMEOUT_SECONDS - (time.time() - last_seen)
    # Rounded up: reporting 0 while the server still holds the session would sign out early.
    return JsonResponse({"authenticated": True, "remaining": max(0, math.ceil(remaining))})


@post_action("accounts:session_status")
def session_keepalive(request: HttpRequest) -> HttpResponse:
    return HttpResponse(status=204)


class ThrottledPasswordResetView(auth_views.PasswordResetView):
    """Django's reset form, limited per address and per e-mail address (throttles.py)."""

    def form_valid(self, form):
        try:
            throttles.count_password_reset(self.request, form.cleaned_data["email"])
        except throttles.Throttled as throttled:
            form.add_error(throttled.field, throttled.text)
            return throttled.mark(self.form_invalid(form))
        return super().form_valid(form)


PasswordResetView = ThrottledPasswordResetView.as_view(
    template_name="accounts/password_reset.html",
    email_template_name="accounts/email/password_reset.txt",
    subject_template_name="accounts/email/password_reset_subject.txt",
    success_url=reverse_lazy("accounts:password_reset_done"),
)
PasswordResetDoneView = auth_views.PasswordResetDoneView.as_view(
    template_name="accounts/password_reset_done.html"
)
PasswordResetConfirmView = auth_views.PasswordResetConfirmView.as_view(
    template_name="accounts/password_reset_confirm.html",
    success_url=reverse_lazy("accounts:password_reset_complete"),
)
PasswordResetCompleteView = auth_views.PasswordResetCompleteView.as_view(
    template_name="accounts/password_reset_complete.html"
)
