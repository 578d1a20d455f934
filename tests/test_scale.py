"""What running on more than one app server relies on: shared sessions, configurable upload
storage, the task queue in the database."""

import json
import os
import subprocess
import sys

from django.conf import settings


def test_sessions_live_in_the_database_so_any_app_server_can_serve_any_request():
    assert settings.SESSION_ENGINE == "django.contrib.sessions.backends.db"


def test_background_tasks_use_the_database_queue_in_production_settings():
    printed = _settings_in_subprocess({}, "TASKS")
    assert printed["default"]["BACKEND"] == "django_tasks_db.DatabaseBackend"


def test_upload_storage_is_local_disk_by_default():
    printed = _settings_in_subprocess({}, "STORAGES")
    assert printed["default"] == {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {},
    }


def test_upload_storage_is_chosen_by_the_environment():
    options = {"bucket_name": "clinic-uploads", "endpoint_url": "https://s3.example.org"}
    printed = _settings_in_subprocess(
        {
            "MEDIA_STORAGE_BACKEND": "storages.backends.s3.S3Storage",
            "MEDIA_STORAGE_OPTIONS": json.dumps(options),
        },
        "STORAGES",
    )
    assert printed["default"] == {"BACKEND": "storages.backends.s3.S3Storage", "OPTIONS": options}


def _settings_in_subprocess(extra_env: dict[str, str], name: str):
    """The production settings module as a fresh process reads it from its environment."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "kapcare.settings",
        "SECRET_KEY": "x" * 50,
        **extra_env,
    }
    code = (
        "import json, django; django.setup(); from django.conf import settings; "
        f"print(json.dumps(settings.{name}))"
    )
    out = subprocess.run(  # noqa: S603
        [sys.executable, "-c", code],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        cwd=settings.BASE_DIR,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])
