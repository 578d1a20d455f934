"""Write and read a backup: a tar stream (manifest, database dump, uploaded files) inside the
encrypted file of `crypto`. Restoring decrypts and authenticates the whole file into a
temporary directory before it touches the target, so a wrong key or a tampered file restores
nothing."""

import hashlib
import io
import json
import shutil
import subprocess
import tarfile
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from django.conf import settings
from django.utils import timezone

from kapcare.home.backup import databases
from kapcare.home.backup.crypto import (
    FORMAT_VERSION,
    BackupError,
    DecryptingReader,
    EncryptingWriter,
)

MANIFEST = "manifest.json"
DUMP_NAMES = {"sqlite": "database.sqlite3", "postgresql": "database.pgdump"}
MEDIA = "media"


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1024 * 1024), b""):
            digest.update(block)
    return digest.hexdigest()


def media_files(root: Path) -> Iterator[Path]:
    if root.is_dir():
        yield from sorted(p for p in root.rglob("*") if p.is_file() and not p.is_symlink())


def media_manifest(root: Path) -> dict[str, dict]:
    return {
        str(path.relative_to(root)): {"size": path.stat().st_size, "sha256": _sha256(path)}
        for path in media_files(root)
    }


def _kapcare_version() -> str:
    try:
        return metadata.version("kapcare")
    except metadata.PackageNotFoundError:
        import tomllib

        with (Path(settings.BASE_DIR) / "pyproject.toml").open("rb") as handle:
            return tomllib.load(handle)["project"]["version"]


def _git_commit() -> str | None:
    git = shutil.which("git")
    if git is None:
        return None
    result = subprocess.run(  # noqa: S603
        [git, "-C", str(settings.BASE_DIR), "rev-parse", "HEAD"],
        capture_output=True,
        text=True,
        check=False,
    )
    return result.stdout.strip() or None if result.returncode == 0 else None


def write_backup(*, connection, output: Path, key: str, media_root: Path) -> dict:
    """Back up the database behind `connection` and the files under `media_root` into
    `output`, encrypted with `key`. Returns the manifest. The file appears under its name only
    when complete (written beside it, then renamed)."""
    vendor = connection.vendor
    if vendor not in DUMP_NAMES:
        raise BackupError(f"Backups support SQLite and PostgreSQL, not {vendor}.")
    output.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="kapcare-backup-") as scratch:
        dump = Path(scratch) / DUMP_NAMES[vendor]
        if vendor == "sqlite":
            tables = databases.dump_sqlite(connection, dump)
        else:
            tables = databases.dump_postgres(connection.settings_dict, dump)
        manifest = {
            "format_version": FORMAT_VERSION,
            "created_at": timezone.now().isoformat(),
            "vendor": vendor,
            "kapcare_version": _kapcare_version(),
            "git_commit": _git_commit(),
            "tables": tables,
            "media": media_manifest(media_root),
        }
        partial = output.with_name(output.name + ".partial")
        try:
            with partial.open("wb") as out:
                _write_archive(out, key, manifest, dump, media_root)
        except BaseException:
            partial.unlink(missing_ok=True)
            raise
        partial.replace(output)
    return manifest


def _write_archive(out, key: str, manifest: dict, dump: Path, media_root: Path) -> None:
    writer = EncryptingWriter(out, key)
    with tarfile.open(fileobj=writer, mode="w|") as archive:
        body = json.dumps(manifest, indent=2, sort_keys=True).encode()
        info = tarfile.TarInfo(MANIFEST)
        info.size = len(body)
        archive.addfile(info, io.BytesIO(body))
        archive.add(dump, arcname=dump.name)
        for path in media_files(media_root):
            archive.add(path, arcname=f"{MEDIA}/{path.relative_to(media_root)}")
    writer.close()


@dataclass
class Unpacked:
    """A backup decrypted, authenticated end to end, and unpacked into `directory`."""

    directory: Path
    manifest: dict

    @property
    def dump(self) -> Path:
        return self.directory / DUMP_NAMES[self.manifest["vendor"]]

    @property
    def media(self) -> Path:
        return self.directory / MEDIA


def unpack(source: Path, key: str, directory: Path) -> Unpacked:
    """Decrypt `source` into `directory`. Raises BackupError on a wrong key, any tampered,
    missing or extra byte, or an archive that is not a kapcare backup."""
    if not source.is_file():
        raise BackupError(f"No backup file at {source}.")
    with source.open("rb") as handle:
        reader = DecryptingReader(handle, key)
        try:
            with tarfile.open(fileobj=reader, mode="r|") as archive:
                # The "data" filter refuses absolute paths, "..", links out of the directory
                # and device files, whatever the archive holds.
                archive.extractall(directory, filter="data")
        except (tarfile.TarError, OSError) as exc:
            raise BackupError(f"The backup's content is not a readable archive: {exc}") from exc
        # Read to the end: only the last chunk's flag proves that nothing was cut off.
        while reader.read(1024 * 1024):
            pass
    try:
        manifest = json.loads((directory / MANIFEST).read_text())
    except (OSError, ValueError) as exc:
        raise BackupError("The backup has no readable manifest.") from exc
    unpacked = Unpacked(directory=directory, manifest=manifest)
    if manifest.get("vendor") not in DUMP_NAMES or not unpacked.dump.is_file():
        raise BackupError("The backup holds no database dump.")
    return unpacked


def install_media(unpacked: Unpacked, media_root: Path) -> None:
    """Copy the backup's uploaded files under `media_root`, replacing files of the same name."""
    if not unpacked.media.is_dir():
        return
    for path in media_files(unpacked.media):
        dest = media_root / path.relative_to(unpacked.media)
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(path, dest)


def media_problems(manifest: dict, media_root: Path) -> list[str]:
    """Each file the manifest lists that is missing or differs under `media_root`."""
    problems = []
    for name, expected in sorted(manifest.get("media", {}).items()):
        path = media_root / name
        if not path.is_file():
            problems.append(f"media file missing: {name}")
        elif path.stat().st_size != expected["size"] or _sha256(path) != expected["sha256"]:
            problems.append(f"media file differs: {name}")
    return problems
