from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from kapcare.home.backup.crypto import BackupError
from kapcare.home.backup.restore import restore, target_settings
from kapcare.home.management.commands.backup import backup_key


class Command(BaseCommand):
    help = (
        "Restore an encrypted backup into the database named by DATABASE_URL (created if it "
        "does not exist) and the files into MEDIA_ROOT, then verify: row counts against the "
        "backup's manifest, the ledger and audit hash chains, the uploaded files. Exits 1 on "
        "any mismatch. Refuses a database that already holds tables unless --force."
    )

    def add_arguments(self, parser):
        parser.add_argument("--input", required=True, help="The backup file to restore.")
        parser.add_argument(
            "--database-url",
            help="Restore into this database instead of DATABASE_URL (a restore drill).",
        )
        parser.add_argument(
            "--media-root", help="Restore the uploaded files here instead of MEDIA_ROOT."
        )
        parser.add_argument(
            "--force",
            action="store_true",
            help="Replace a database that already holds tables (and files under MEDIA_ROOT).",
        )

    def handle(self, *args, input: str, database_url=None, media_root=None, force=False, **opts):
        key = backup_key()
        target = target_settings(database_url)
        try:
            report = restore(
                source=Path(input),
                key=key,
                settings_dict=target,
                media_root=Path(media_root or settings.MEDIA_ROOT),
                force=force,
            )
        except BackupError as exc:
            raise CommandError(f"Restore FAILED: {exc}") from exc
        for line in report.lines:
            self.stdout.write(line)
        if report.problems:
            for problem in report.problems:
                self.stderr.write(problem)
            raise CommandError(
                f"Restore into {target['NAME']} done but verification FAILED: "
                + " | ".join(report.problems)
            )
        self.stdout.write(self.style.SUCCESS(f"Restored into {target['NAME']} and verified."))
