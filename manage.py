#!/usr/bin/env python
import os
import sys
from pathlib import Path


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kapcare.settings")
    # `make run` writes .env (DEBUG=1 and a random development key) so that every later
    # manage.py command in this checkout, e.g. demo_totp, uses the same development settings.
    # Real deployments set the environment and have no .env; variables already set win.
    env_file = Path(__file__).resolve().parent / ".env"
    if env_file.exists() and "pytest" not in sys.modules:
        import environ

        environ.Env.read_env(env_file)
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
