import os
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from kapcare.home.backup.archive import write_backup
from kapcare.home.backup.crypto import BackupError


def backup_key() -> str:
    key = os.environ.get("KAPCARE_BACKUP_KEY", "")
    if not key:
        raise CommandError(
            "Set KAPCARE_BACKUP_KEY in the environment: backups are always encrypted, and the "
            "same key is needed to restore them. Keep it apart from the backups."
        )
    return key


class Command(BaseCommand):
    help = (
        "Write an encrypted backup of the database (DATABASE_URL) and the uploaded files "
        "(MEDIA_ROOT) to one file, with a manifest of row counts. Needs KAPCARE_BACKUP_KEY."
    )

    def add_arguments(self, parser):
        parser.add_argument("--output", required=True, help="The backup file to write.")

    def handle(self, *args, output: str, **options):
        key = backup_key()
        try:
            manifest = write_backup(
                connection=connection,
                output=Path(output),
                key=key,
                media_root=Path(settings.MEDIA_ROOT),
            )
        except BackupError as exc:
            raise CommandError(f"Backup FAILED: {exc}") from exc
        storage = settings.STORAGES["default"]["BACKEND"]
        if storage != "django.core.files.storage.FileSystemStorage":
            self.stderr.write(
                f"Uploaded files are kept by {storage}, not under MEDIA_ROOT: this backup holds "
                "the database only. Back the bucket up with its own versioning or replication."
            )
        rows = sum(manifest["tables"].values())
        self.stdout.write(
            self.style.SUCCESS(
                f"Backup written to {output}: {len(manifest['tables'])} tables, {rows} rows, "
                f"{len(manifest['media'])} uploaded files ({manifest['vendor']})."
            )
        )
