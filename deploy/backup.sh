#!/usr/bin/env bash
# Nightly encrypted backup, then retention: keep BACKUP_KEEP_DAYS days of backups.
# Run by kapcare-backup.service; also fine by hand (with the service's environment).
set -euo pipefail
BACKUP_DIR="${BACKUP_DIR:-/var/backups/kapcare}"
BACKUP_KEEP_DAYS="${BACKUP_KEEP_DAYS:-30}"
PYTHON="${PYTHON:-/opt/kapcare/venv/bin/python}"
umask 077
mkdir -p "$BACKUP_DIR"
file="$BACKUP_DIR/kapcare-$(date -u +%Y%m%dT%H%M%SZ).backup"
"$PYTHON" manage.py backup --output "$file"
# Delete only our own, complete backups older than the retention window.
find "$BACKUP_DIR" -maxdepth 1 -name 'kapcare-*.backup' -type f -mtime +"$BACKUP_KEEP_DAYS" -print -delete
find "$BACKUP_DIR" -maxdepth 1 -name 'kapcare-*.backup.partial' -type f -mtime +1 -delete
