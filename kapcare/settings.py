"""kapcare settings: one module, configured by the environment.

Defaults are production-safe: DEBUG is off, a SECRET_KEY must be given, cookies are secure and
HSTS is on. `make run` sets DEBUG=1 and a throwaway key for development.
"""

import os
import warnings
from pathlib import Path

import environ
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()

DEBUG = env.bool("DEBUG", default=False)
SECRET_KEY = env.str("SECRET_KEY", default="")
if not SECRET_KEY:
    raise ImproperlyConfigured(
        "Set SECRET_KEY in the environment (make run sets a development one)."
    )
ALLOWED_HOSTS = env.list(
    "ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"] if DEBUG else []
)
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "axes",
    "csp",
    "django_htmx",
    "bootstrap",
    "crispy_forms",
    "crispy_bootstrap5",
    "kapcare.core",
    "kapcare.accounts",
    "kapcare.audit",
    "kapcare.clients",
    "kapcare.screening",
    "kapcare.consent",
    "kapcare.courses",
    "kapcare.dosing",
    "django_tasks",
    "django_tasks_db",
    "kapcare.measures",
    "kapcare.outcomes",
    "kapcare.scheduling",
    "kapcare.ledger",
    "kapcare.home",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "kapcare.api",
    "kapcare.fhir",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # After whitenoise, so static files stay cacheable; outside the rest, so every response
    # (redirects, lockout, CSRF failures) says no-store.
    "kapcare.accounts.middleware.NoStoreMiddleware",
    "kapcare.audit.middleware.RequestIdMiddleware",
    # NUL in any header, cookie or field is refused here, once, before a view or audit row.
    "kapcare.core.middleware.RejectNulMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Every view needs a signed-in user unless it is marked @login_not_required (public pages).
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "kapcare.accounts.middleware.IdleTimeoutMiddleware",
    "kapcare.accounts.middleware.MFARequiredMiddleware",
    "kapcare.accounts.middleware.ClinicContextMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Axes last, as its documentation asks, so it sees the final authentication result.
    "axes.middleware.AxesMiddleware",
]

# --- Benchmark floors (bench/README.md): /bench/bare and /bench/floor and an X-Query-Count header
# on every response. Only the benchmark server turns this on; never in production or tests.
KAPCARE_BENCH_VIEWS = env.bool("KAPCARE_BENCH_VIEWS", default=False)
if KAPCARE_BENCH_VIEWS:
    # Outermost, so the count includes the session and authentication queries.
    MIDDLEWARE.insert(0, "kapcare.home.bench.QueryCountMiddleware")

ROOT_URLCONF = "kapcare.urls"
WSGI_APPLICATION = "kapcare.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "kapcare" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "csp.context_processors.nonce",
                "kapcare.accounts.context_processors.clinic_context",
            ],
        },
    },
]

DATABASES = {
    "default": env.db_url(
        "DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'var' / 'kapcare.sqlite3'}"
    )
}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    # WAL lets the dev server read while a request writes; the timeout rides out short locks.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA foreign_keys=ON;",
    }
else:
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("DB_CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
# A read replica for reports (kapcare.core.db_routers); without one, reports read the primary.
REPORTS_DATABASE_URL = env.str("REPORTS_DATABASE_URL", default="")
if REPORTS_DATABASE_URL:
    DATABASES["reports"] = env.db_url_config(REPORTS_DATABASE_URL)
    DATABASES["reports"]["CONN_MAX_AGE"] = DATABASES["default"].get("CONN_MAX_AGE", 0)
    DATABASES["reports"]["CONN_HEALTH_CHECKS"] = True
    # Tests: the replica is the test database itself, as replication would make it.
    DATABASES["reports"]["TEST"] = {"MIRROR": "default"}
DATABASE_ROUTERS = ["kapcare.core.db_routers.ReportsReplicaRouter"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    # Axes first: it refuses locked-out credentials before any password is checked.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "home:home"
LOGOUT_REDIRECT_URL = "accounts:login"

# --- Sessions: short idle expiry with a visible warning (see accounts.middleware) ---
KAPCARE_IDLE_TIMEOUT_SECONDS = env.int("IDLE_TIMEOUT_SECONDS", default=15 * 60)
KAPCARE_IDLE_WARNING_SECONDS = env.int("IDLE_WARNING_SECONDS", default=2 * 60)
# How stale the recorded last activity may get before a request rewrites it (and so the session
# row). See IdleTimeoutMiddleware for the trade-off; 0 records every request.
KAPCARE_IDLE_ACTIVITY_RESOLUTION_SECONDS = env.int("IDLE_ACTIVITY_RESOLUTION_SECONDS", default=60)
SESSION_COOKIE_AGE = env.int("SESSION_MAX_AGE_SECONDS", default=12 * 60 * 60)
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"

# --- Lockout (django-axes): five wrong passwords are tolerated, the sixth locks the account ---
AXES_FAILURE_LIMIT = env.int("LOGIN_FAILURE_LIMIT", default=6)
AXES_COOLOFF_TIME = env.float("LOGIN_LOCKOUT_HOURS", default=1.0)
AXES_LOCKOUT_PARAMETERS = ["username"]
AXES_USERNAME_CALLABLE = "kapcare.accounts.lockout.lockout_username"
# axes.W006 suggests locking by IP too; a clinic's staff share one NAT address, so one mistyping
# colleague (or an attacker) would lock everyone out. The per-account lock is what we want.
SILENCED_SYSTEM_CHECKS = ["axes.W006"]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "accounts/locked_out.html"
AXES_VERBOSE = False
AXES_IPWARE_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0) or None

# --- Rate limits (kapcare.core.ratelimit): name → (attempts, window in seconds); 0 turns one off.
# Counted in the database, so every worker shares one count. Staff share a clinic's NAT address:
# the per-address sign-in limit counts only failures and sits well above what a team mistypes;
# the per-account lockout above is the per-target limit for sign-in.
KAPCARE_RATE_LIMITS = {
    "login_failures_per_address": (env.int("LOGIN_FAILURES_PER_ADDRESS", default=30), 15 * 60),
    "password_reset_per_address": (env.int("PASSWORD_RESETS_PER_ADDRESS", default=10), 60 * 60),
    "password_reset_per_email": (env.int("PASSWORD_RESETS_PER_EMAIL", default=3), 60 * 60),
    "inquiries_per_address": (env.int("INQUIRIES_PER_ADDRESS", default=5), 60 * 60),
}

# --- Psychotherapy process notes are encrypted at rest with this key (required to write one) ---
KAPCARE_NOTE_KEY = env.str("KAPCARE_NOTE_KEY", default="")

# --- MFA (django-otp) ---
OTP_TOTP_ISSUER = env.str("OTP_ISSUER", default="kapcare")
KAPCARE_RECOVERY_CODE_COUNT = 10
# A new staff member's invitation link works once, for this long.
KAPCARE_INVITATION_HOURS = env.int("INVITATION_HOURS", default=72)
# The address staff reach kapcare at, for links in e-mails sent without a request at hand
# (after commit, or from a background task).
KAPCARE_SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000" if DEBUG else "")

# --- Content Security Policy: no inline script or style anywhere ---
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "frame-ancestors": [NONE],
        "form-action": [SELF],
        "base-uri": [NONE],
        "object-src": [NONE],
    },
}

# --- Transport security: on unless explicitly running plain HTTP (development, tests) ---
# KAPCARE_HTTPS, not HTTPS: HTTPS is a CGI variable that wsgiref (runserver) copies into every
# request, so HTTPS=1 made plain-HTTP requests look secure and served them with HSTS.
# The old name still works while the new one is unset; `manage.py check` says to rename it.
KAPCARE_HTTPS_FROM_OLD_NAME = "KAPCARE_HTTPS" not in os.environ and "HTTPS" in os.environ
if KAPCARE_HTTPS_FROM_OLD_NAME:
    warnings.warn(
        "The HTTPS setting is deprecated: set KAPCARE_HTTPS instead (HTTPS is also a CGI "
        "variable that the development server reads).",
        DeprecationWarning,
        stacklevel=1,
    )
KAPCARE_HTTPS = env.bool(
    "HTTPS" if KAPCARE_HTTPS_FROM_OLD_NAME else "KAPCARE_HTTPS", default=not DEBUG
)
SECURE_SSL_REDIRECT = KAPCARE_HTTPS
SESSION_COOKIE_SECURE = KAPCARE_HTTPS
CSRF_COOKIE_SECURE = KAPCARE_HTTPS
SECURE_HSTS_SECONDS = env.int("HSTS_SECONDS", default=31_536_000) if KAPCARE_HTTPS else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = KAPCARE_HTTPS
SECURE_HSTS_PRELOAD = KAPCARE_HTTPS
SECURE_PROXY_SSL_HEADER = (
    ("HTTP_X_FORWARDED_PROTO", "https") if env.bool("BEHIND_TLS_PROXY", default=False) else None
)
# The probes answer over plain HTTP too: a load balancer checks the app server directly.
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# --- Internationalisation; times stored in UTC, shown in the clinic's zone ---
LANGUAGE_CODE = "en-us"
TIME_ZONE = env.str("DEFAULT_TIME_ZONE", default="UTC")
USE_I18N = True
USE_TZ = True

# --- Static files, served by whitenoise: no CDN ---
STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "var" / "staticfiles"
# The project-wide stylesheet and script live outside any app, so the finders need telling.
STATICFILES_DIRS = [BASE_DIR / "kapcare" / "static"]
STORAGES = {
    # Uploaded files: the local disk (MEDIA_ROOT) unless the environment names another Django
    # storage, e.g. S3-compatible object storage for several app servers (docs/scale.md).
    "default": {
        "BACKEND": env.str(
            "MEDIA_STORAGE_BACKEND", default="django.core.files.storage.FileSystemStorage"
        ),
        "OPTIONS": env.json("MEDIA_STORAGE_OPTIONS", default={}),
    },
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}
MEDIA_ROOT = BASE_DIR / "var" / "media"

# --- E-mail: console in development, any EMAIL_URL (smtp+tls://user:pass@host:587) in production ---
vars().update(env.email_url("EMAIL_URL", default="consolemail://"))
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="kapcare <no-reply@kapcare.invalid>")
# --- Text messages (links sent to clients): any class with send(to, body); see kapcare.core.sms ---
SMS_BACKEND = env.str("SMS_BACKEND", default="kapcare.core.sms.ConsoleBackend")

# --- Background work: django-tasks with the database backend (django-tasks-db). A worker runs
# the queue: `manage.py db_worker` (make run starts one beside the dev server). Tasks that must
# wait (risk-alert escalation) are enqueued with run_after; `manage.py escalate_risk_alerts`
# is a safety net a cron job may also run.
TASKS = {
    "default": {
        "BACKEND": env.str("TASKS_BACKEND", default="django_tasks_db.DatabaseBackend"),
    }
}

# --- FHIR Bulk Data ($export): files are kept this long, then `manage.py purge_fhir_exports`
# (deploy/systemd/kapcare-purge-exports.timer) deletes them; a type's rows are split into files
# of at most this many lines, so a client can fetch and load them piece by piece.
KAPCARE_FHIR_EXPORT_HOURS = env.int("FHIR_EXPORT_HOURS", default=24)
KAPCARE_FHIR_EXPORT_LINES_PER_FILE = env.int("FHIR_EXPORT_LINES_PER_FILE", default=100_000)

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="WARNING")},
}

# --- REST API (kapcare.api) and its OpenAPI description --------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["kapcare.api.auth.BearerTokenAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["kapcare.api.auth.HasScope"],
    "DEFAULT_PAGINATION_CLASS": "kapcare.api.pagination.ApiCursorPagination",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_SCHEMA_CLASS": "kapcare.api.schema.ApiAutoSchema",
    "EXCEPTION_HANDLER": "kapcare.api.errors.exception_handler",
    "UNAUTHENTICATED_USER": None,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "kapcare API",
    "DESCRIPTION": (
        "The clinic's records over REST. Authenticate with a bearer token "
        "(Authorization: Bearer kc_…) issued by a clinic admin; its SMART scopes "
        "(e.g. user/Patient.rs) limit what it may do, and it never sees more than its user."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_AUTHENTICATION": [],
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    # Swagger UI from the drf-spectacular-sidecar package: served by whitenoise, no CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Each record's status is its own choice set; name them after the record.
    "ENUM_NAME_OVERRIDES": {
        "ClientStatusEnum": "kapcare.clients.models.ClientStatus",
        "CourseStatusEnum": "kapcare.courses.models.CourseStatus",
        "AssignmentStatusEnum": "kapcare.measures.models.AssignmentStatus",
        "ResponseStatusEnum": "kapcare.measures.models.ResponseStatus",
        "RiskLevelEnum": "kapcare.measures.models.RiskLevel",
        "DosingStatusEnum": "kapcare.dosing.models.status.DosingStatus",
    },
}
