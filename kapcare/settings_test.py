"""Settings for the test suite: the real settings, over plain HTTP, with a fast password hash."""

import os

os.environ.setdefault("SECRET_KEY", "test-only-secret-key-not-for-production-use-0123456789")
os.environ.setdefault("KAPCARE_HTTPS", "0")
os.environ.setdefault("KAPCARE_NOTE_KEY", "test-only-note-key")

from kapcare.settings import *  # noqa: F403

# Argon2 is the production hasher (asserted in tests/accounts); tests hash thousands of passwords.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STORAGES["staticfiles"]["BACKEND"] = "django.contrib.staticfiles.storage.StaticFilesStorage"  # noqa: F405
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
SMS_BACKEND = "kapcare.core.sms.LocmemBackend"
# Serve static files straight from the apps, as in development: tests run without collectstatic.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
# Tasks are recorded, not run: tests run a task's function themselves, at the time they choose.
TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
