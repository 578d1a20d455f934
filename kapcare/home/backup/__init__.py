"""Encrypted backups of the database and the uploaded files, and their verified restore."""
