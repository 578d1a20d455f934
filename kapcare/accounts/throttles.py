"""Rate limits in front of the sign-in and password-reset forms (kapcare.core.ratelimit).

Per account, wrong passwords lock the account (django-axes, lockout.py). Per address, failed
sign-ins across all accounts are limited too, which stops password spraying. A password reset
is limited per address and per e-mail address typed, whether or not it has an account, so the
limit tells nobody who has one.
"""

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _

from kapcare.audit.request_meta import client_ip
from kapcare.core.ratelimit import Limit, RateLimited, check, hit, record

LOGIN_FAILURES_PER_ADDRESS = "login_failures_per_address"
RESETS_PER_ADDRESS = "password_reset_per_address"
RESETS_PER_EMAIL = "password_reset_per_email"


class Throttled(Exception):
    """A refused attempt: what to tell the person (with when to try again), and at which field."""

    def __init__(self, limited: RateLimited, text: str, field: str | None = None):
        super().__init__(text)
        self.text = limited.message(text)
        self.retry_after = limited.retry_after
        self.field = field

    def mark(self, response: HttpResponse) -> HttpResponse:
        """Make `response` (the form, showing the message) a 429 with Retry-After."""
        response.status_code = 429
        response["Retry-After"] = str(self.retry_after)
        return response


def check_sign_in_allowed(request: HttpRequest) -> None:
    """Raise Throttled when this address has failed to sign in too often, into any account."""
    try:
        check(Limit.from_settings(LOGIN_FAILURES_PER_ADDRESS), client_ip(request))
    except RateLimited as limited:
        raise Throttled(
            limited, _("Too many failed sign-ins from your connection, for any account.")
        ) from None


def count_failed_sign_in(request: HttpRequest) -> None:
    record(Limit.from_settings(LOGIN_FAILURES_PER_ADDRESS), client_ip(request))


def count_password_reset(request: HttpRequest, email: str) -> None:
    """Count a reset request, or raise Throttled when one of its limits is full (then nothing
    is to be sent)."""
    try:
        hit(Limit.from_settings(RESETS_PER_ADDRESS), client_ip(request))
    except RateLimited as limited:
        raise Throttled(
            limited, _("Too many password-reset requests from your connection.")
        ) from None
    try:
        hit(Limit.from_settings(RESETS_PER_EMAIL), email)
    except RateLimited as limited:
        raise Throttled(
            limited,
            _(
                "Reset links have already been sent for this address several times in the "
                "last hour. Check your inbox and spam folder for the latest one."
            ),
            field="email",
        ) from None
