"""Database triggers that make a table append-only on SQLite and PostgreSQL.

Used by tables whose rows are evidence (audit events, ledger entries): the application never
updates or deletes them, and the database refuses anyone who tries, raw SQL included.
"""

from collections.abc import Iterable

PG_FUNCTION = """
CREATE OR REPLACE FUNCTION kapcare_forbid_change() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'kapcare: % on %.% is forbidden: the table is append-only',
        TG_OP, TG_TABLE_SCHEMA, TG_TABLE_NAME USING ERRCODE = 'integrity_constraint_violation';
END;
$$ LANGUAGE plpgsql;
"""


def _trigger_names(table: str) -> tuple[str, str, str, str]:
    return (
        f"{table}_no_update",
        f"{table}_no_delete",
        f"{table}_no_truncate",
        f"{table}_no_replace",
    )


def create_statements(vendor: str, table: str, when: str | None = None) -> list[str]:
    """Triggers refusing UPDATE and DELETE on `table`; with `when` (an SQL condition on OLD,
    e.g. "OLD.status = 'signed'") only rows matching it are locked.

    On SQLite, `INSERT OR REPLACE` (and `REPLACE`) deletes the old row without firing a DELETE
    trigger, so a BEFORE INSERT trigger also refuses any insert whose id is already taken
    (with `when`, only when the row there is a locked one). PostgreSQL has no REPLACE; its
    `INSERT … ON CONFLICT DO UPDATE` fires the UPDATE trigger and is refused by it.
    """
    no_update, no_delete, no_truncate, no_replace = _trigger_names(table)
    if vendor == "sqlite":
        condition = f" WHEN {when}" if when else ""
        # `table` and `when` come from APPEND_ONLY_TABLES in this module, never from input.
        locked_old = f"SELECT 1 FROM {table} AS OLD WHERE OLD.id = NEW.id"  # noqa: S608
        if when:
            locked_old += f" AND ({when})"
        return [
            f"CREATE TRIGGER IF NOT EXISTS {no_replace} BEFORE INSERT ON {table} "
            f"WHEN EXISTS ({locked_old}) "
            f"BEGIN SELECT RAISE(ABORT, 'kapcare: REPLACE on {table} is forbidden: the row is "
            "append-only'); END;",
            f"CREATE TRIGGER IF NOT EXISTS {no_update} BEFORE UPDATE ON {table}{condition} "
            f"BEGIN SELECT RAISE(ABORT, 'kapcare: UPDATE on {table} is forbidden: the row is "
            "append-only'); END;",
            f"CREATE TRIGGER IF NOT EXISTS {no_delete} BEFORE DELETE ON {table}{condition} "
            f"BEGIN SELECT RAISE(ABORT, 'kapcare: DELETE on {table} is forbidden: the row is "
            "append-only'); END;",
        ]
    if vendor == "postgresql":
        condition = f" WHEN ({when})" if when else ""
        return [
            PG_FUNCTION,
            f"DROP TRIGGER IF EXISTS {no_update} ON {table};",
            f"CREATE TRIGGER {no_update} BEFORE UPDATE ON {table} "
            f"FOR EACH ROW{condition} EXECUTE FUNCTION kapcare_forbid_change();",
            f"DROP TRIGGER IF EXISTS {no_delete} ON {table};",
            f"CREATE TRIGGER {no_delete} BEFORE DELETE ON {table} "
            f"FOR EACH ROW{condition} EXECUTE FUNCTION kapcare_forbid_change();",
            f"DROP TRIGGER IF EXISTS {no_truncate} ON {table};",
            f"CREATE TRIGGER {no_truncate} BEFORE TRUNCATE ON {table} "
            "FOR EACH STATEMENT EXECUTE FUNCTION kapcare_forbid_change();",
        ]
    raise NotImplementedError(f"append-only triggers are not written for {vendor}")


def drop_statements(vendor: str, table: str) -> list[str]:
    no_update, no_delete, no_truncate, no_replace = _trigger_names(table)
    if vendor == "sqlite":
        return [f"DROP TRIGGER IF EXISTS {name};" for name in (no_update, no_delete, no_replace)]
    return [
        f"DROP TRIGGER IF EXISTS {name} ON {table};" for name in (no_update, no_delete, no_truncate)
    ]


# Every append-only table (with its row condition, if only some rows are locked). Migrations
# install the triggers from here, and the test suite's database flush lifts and restores them.
APPEND_ONLY_TABLES: dict[str, str | None] = {
    "audit_auditevent": None,
    "screening_eligibilitydecision": None,
    "courses_coursestatuschange": None,
    "courses_noteaddendum": None,
    "courses_notecosignature": None,
    "courses_clinicalnote": "OLD.status = 'signed'",
    "measures_response": None,
    "ledger_ledgerentry": None,
    "ledger_count": None,
    "ledger_discrepancycase": "OLD.status <> 'open'",
    "dosing_sessionstatuschange": None,
    "dosing_vitalsign": None,
    "dosing_dissociationrating": None,
}


def install(schema_editor, tables: Iterable[str]) -> None:
    """Migration helper: RunPython(lambda apps, se: install(se, [...]))."""
    vendor = schema_editor.connection.vendor
    for table in tables:
        for statement in create_statements(vendor, table, APPEND_ONLY_TABLES[table]):
            schema_editor.execute(statement, params=None)


def uninstall(schema_editor, tables: Iterable[str]) -> None:
    vendor = schema_editor.connection.vendor
    for table in tables:
        for statement in drop_statements(vendor, table):
            schema_editor.execute(statement, params=None)
