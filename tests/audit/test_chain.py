"""The audit trail is tamper-evident, as the ledger is.

Raw UPDATE, DELETE and (on SQLite) INSERT OR REPLACE are refused by triggers on every
append-only table. With the triggers dropped (as the tables' owner could), an altered, forged,
replaced or removed audit event is found by `manage.py verify_audit`, which names the first bad
event and exits non-zero; a clinic's chain and the no-clinic chain (failed sign-ins) alike.
"""

import io
from itertools import pairwise

import pytest
from django.core.management import ManagementUtility, call_command
from django.core.management.base import CommandError
from django.db import IntegrityError, connection, transaction
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext

from kapcare.audit.append_only import APPEND_ONLY_TABLES, create_statements, drop_statements
from kapcare.audit.chain import HASHED_FIELDS, hashed_values, verify_audit_chain
from kapcare.audit.hashchain import GENESIS_HASH, content_hash
from kapcare.audit.models import NO_CLINIC, AuditAction, AuditChain, AuditEvent
from kapcare.audit.services import record_event, record_security_event

TABLE = "audit_auditevent"


def _sql(statement: str, params=None):
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(statement, params)


@pytest.fixture
def trail(client_record, staff, actor_for):
    """Four events at the clinic (one with details and an IPv6 address) and two without one."""
    therapist = actor_for(staff["therapist"], client_record.clinic)
    nurse = actor_for(staff["nurse"], client_record.clinic)
    events = [
        record_event(actor=therapist, action=AuditAction.VIEW, client=client_record, summary="a"),
        record_event(
            actor=nurse,
            action=AuditAction.UPDATE,
            client=client_record,
            summary="b",
            details={"fields": ("phone", "email"), 7: True, "nested": {"n": 1.5}},
        ),
        record_event(actor=therapist, action=AuditAction.LIST, summary="c"),
        record_event(actor=nurse, action=AuditAction.EXPORT, client=client_record, summary="d"),
    ]
    request = RequestFactory().post("/accounts/login/", REMOTE_ADDR="2001:DB8:0:0::1")
    request.request_id = "req-0123456789ab"
    anonymous = [
        record_security_event(
            request=request, action=AuditAction.LOGIN_FAILED, label="who@example.com"
        ),
        record_security_event(request=request, action=AuditAction.LOCKED_OUT, label="who"),
    ]
    return {"clinic": events, "none": anonymous}


@pytest.fixture
def triggers_dropped(trail):
    vendor = connection.vendor
    for statement in drop_statements(vendor, TABLE):
        _sql(statement)
    yield
    for statement in create_statements(vendor, TABLE, APPEND_ONLY_TABLES[TABLE]):
        _sql(statement)


def _fails_naming(text: str, *args: str):
    with pytest.raises(CommandError, match=text.replace("(", r"\(").replace(")", r"\)")):
        call_command("verify_audit", *args, stdout=io.StringIO(), stderr=io.StringIO())


def test_an_untouched_trail_verifies_clinic_and_no_clinic_chains(trail, clinic):
    # Given events at the clinic and sign-in failures before any clinic was chosen
    # When the trail is verified
    out = io.StringIO()
    call_command("verify_audit", stdout=out)

    # Then both chains verify, each numbered from 1 and linked from the genesis hash
    assert f"Clinic {clinic.pk} ({clinic.name}): 4 audit events verified" in out.getvalue()
    assert "Events without a clinic: 2 audit events verified" in out.getvalue()
    for events, scope in ((trail["clinic"], clinic.pk), (trail["none"], NO_CLINIC)):
        stored = list(AuditEvent.objects.filter(pk__in=[e.pk for e in events]).order_by("id"))
        assert [e.sequence for e in stored] == list(range(1, len(events) + 1))
        assert stored[0].prev_hash == GENESIS_HASH
        assert all(b.prev_hash == a.entry_hash for a, b in pairwise(stored))
        head = AuditChain.objects.get(scope=scope)
        assert (head.last_sequence, head.last_hash) == (len(events), stored[-1].entry_hash)


def test_each_hash_covers_every_column_as_stored(trail):
    # Every column but the id and the hash itself is in the hash…
    columns = {f.attname for f in AuditEvent._meta.concrete_fields} - {"id", "entry_hash"}
    assert columns == set(HASHED_FIELDS)
    # …and the hash matches the row read back (details through JSON, IPv6 in its canonical form)
    for event in AuditEvent.objects.all():
        assert event.entry_hash == content_hash(hashed_values(event))


@pytest.mark.parametrize(
    "statement",
    [
        f"UPDATE {TABLE} SET summary = 'nothing happened' WHERE id = %s",
        f"DELETE FROM {TABLE} WHERE id = %s",
    ],
    ids=["update", "delete"],
)
def test_raw_update_or_delete_is_refused(trail, statement):
    with pytest.raises(IntegrityError, match="append-only"):
        _sql(statement, [trail["clinic"][0].pk])
    assert AuditEvent.objects.get(pk=trail["clinic"][0].pk).summary == "a"


def _replace_statement(table: str) -> str:
    """A statement that overwrites row %s of `table` in place with a copy of itself."""
    if connection.vendor == "sqlite":
        return f"INSERT OR REPLACE INTO {table} SELECT * FROM {table} WHERE id = %s"
    # PostgreSQL has no REPLACE; its upsert is the same attack.
    return (
        f"INSERT INTO {table} SELECT * FROM {table} WHERE id = %s "
        "ON CONFLICT (id) DO UPDATE SET id = EXCLUDED.id"
    )


def test_replacing_an_audit_event_in_place_is_refused(trail):
    # Given a stored event
    event = trail["clinic"][1]

    # When someone rewrites it with REPLACE (SQLite) or an upsert (PostgreSQL)
    with pytest.raises(IntegrityError, match="append-only"):
        _sql(_replace_statement(TABLE), [event.pk])
    with pytest.raises(IntegrityError, match="append-only"):
        _sql(
            f"INSERT OR REPLACE INTO {TABLE} (id, clinic_id, actor_label, action, object_type, "
            "object_id, summary, details, occurred_at, user_agent, request_id, sequence, "
            "prev_hash, entry_hash) VALUES (%s, NULL, 'x', 'view', '', '', 'rewritten', '{}', "
            "'2020-01-01', '', '', 0, '', '')"
            if connection.vendor == "sqlite"
            else _replace_statement(TABLE),
            [event.pk],
        )

    # Then the database refuses and the row is as it was
    stored = AuditEvent.objects.get(pk=event.pk)
    assert (stored.summary, stored.entry_hash) == ("b", event.entry_hash)


@pytest.mark.parametrize("table", sorted(APPEND_ONLY_TABLES))
def test_every_append_only_table_refuses_replace(table, db):
    # Given any append-only table, with its triggers as the migrations installed them
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = %s",
                [f"{table}_no_replace"],
            )
            found = cursor.fetchone()
        # Then a BEFORE INSERT trigger refuses an id that is already taken
        assert found is not None, f"{table} has no REPLACE guard"
        assert "BEFORE INSERT" in found[0] and "NEW.id" in found[0]
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = %s", [table]
            )
            names = {row[0] for row in cursor.fetchall()}
        # and a later migration that rebuilt the table (SQLite's ALTER) did not drop the others
        assert {f"{table}_no_update", f"{table}_no_delete"} <= names
    else:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT tgname FROM pg_trigger WHERE tgrelid = %s::regclass AND NOT tgisinternal",
                [table],
            )
            names = {row[0] for row in cursor.fetchall()}
        # Then an upsert is refused by the UPDATE trigger (PostgreSQL has no REPLACE)
        assert f"{table}_no_update" in names


@pytest.mark.usefixtures("triggers_dropped")
def test_an_altered_event_is_named(trail):
    event = trail["clinic"][1]
    _sql(f"UPDATE {TABLE} SET summary = 'nothing happened' WHERE id = %s", [event.pk])
    _fails_naming(f"event #2 (id {event.pk}) does not match its hash")


@pytest.mark.usefixtures("triggers_dropped")
def test_an_altered_event_with_a_recomputed_hash_breaks_the_next_link(trail):
    event = AuditEvent.objects.get(pk=trail["clinic"][1].pk)
    event.client_id = None
    forged_hash = content_hash(hashed_values(event))
    _sql(
        f"UPDATE {TABLE} SET client_id = NULL, entry_hash = %s WHERE id = %s",
        [forged_hash, event.pk],
    )
    _fails_naming(f"event #3 (id {trail['clinic'][2].pk}) does not link to event #2")


@pytest.mark.skipif(connection.vendor != "sqlite", reason="REPLACE is SQLite's")
@pytest.mark.usefixtures("triggers_dropped")
def test_an_event_rewritten_by_replace_is_named(trail):
    event = trail["clinic"][0]
    columns = [f.column for f in AuditEvent._meta.concrete_fields]
    picked = ["'rewritten'" if c == "summary" else c for c in columns]
    _sql(
        f"INSERT OR REPLACE INTO {TABLE} ({', '.join(columns)}) "
        f"SELECT {', '.join(picked)} FROM {TABLE} WHERE id = %s",
        [event.pk],
    )
    assert AuditEvent.objects.get(pk=event.pk).summary == "rewritten"
    _fails_naming(f"event #1 (id {event.pk}) does not match its hash")


@pytest.mark.usefixtures("triggers_dropped")
def test_a_removed_event_is_found_as_a_gap_and_the_last_from_the_head(trail):
    events = trail["clinic"]
    _sql(f"DELETE FROM {TABLE} WHERE id = %s", [events[-1].pk])
    _fails_naming("the chain head says #4 but the events end at #3")
    _sql(f"DELETE FROM {TABLE} WHERE id = %s", [events[1].pk])
    _fails_naming(f"event #3 (id {events[2].pk}) follows a gap: expected #2")


@pytest.mark.usefixtures("triggers_dropped")
def test_a_forged_event_with_a_valid_hash_is_beyond_the_head(trail, clinic, staff):
    # Given a row added behind kapcare's back, continuing the chain with a correct hash
    last = trail["clinic"][-1]
    forged = AuditEvent(
        clinic=clinic,
        actor_label="nobody",
        action=AuditAction.VIEW,
        sequence=5,
        prev_hash=last.entry_hash,
        occurred_at=last.occurred_at,
    )
    forged.entry_hash = content_hash(hashed_values(forged))
    with transaction.atomic():
        AuditEvent.objects.bulk_create([forged])
    forged_id = AuditEvent.objects.get(sequence=5, clinic=clinic).pk
    _fails_naming(f"event #5 (id {forged_id}) is beyond the chain head")


@pytest.mark.usefixtures("triggers_dropped")
def test_the_no_clinic_chain_is_verified_too(trail):
    failed_login = trail["none"][0]
    _sql(f"UPDATE {TABLE} SET actor_label = 'someone else' WHERE id = %s", [failed_login.pk])
    _fails_naming(f"Events without a clinic: event #1 (id {failed_login.pk})")


@pytest.mark.usefixtures("triggers_dropped")
def test_manage_py_exits_non_zero_naming_the_event(trail, capsys, monkeypatch):
    monkeypatch.setattr("django.core.management.base.connections.close_all", lambda: None)
    event = trail["clinic"][2]
    _sql(f"UPDATE {TABLE} SET action = 'login' WHERE id = %s", [event.pk])

    with pytest.raises(SystemExit) as exit_info:
        ManagementUtility(["manage.py", "verify_audit"]).execute()

    assert exit_info.value.code == 1
    assert f"event #3 (id {event.pk})" in capsys.readouterr().err


@pytest.mark.usefixtures("triggers_dropped")
def test_clinic_option_checks_one_clinic(trail, clinic, other_clinic, staff, actor_for):
    # Given another clinic with an intact trail, and this clinic's trail tampered with
    from tests.factories import make_staff

    elsewhere = actor_for(make_staff(other_clinic, "nurse"), other_clinic)
    record_event(actor=elsewhere, action=AuditAction.LIST, summary="there")
    _sql(f"UPDATE {TABLE} SET summary = 'x' WHERE id = %s", [trail["clinic"][0].pk])

    # Then the other clinic verifies on its own, starting at #1, and this one fails
    out = io.StringIO()
    call_command("verify_audit", "--clinic", str(other_clinic.pk), stdout=out)
    assert "1 audit events verified" in out.getvalue()
    assert verify_audit_chain(other_clinic.pk).ok
    _fails_naming(f"event #1 (id {trail['clinic'][0].pk})", "--clinic", str(clinic.pk))
    with pytest.raises(CommandError, match="No clinic has id 999999"):
        call_command("verify_audit", "--clinic", "999999", stdout=io.StringIO())


def test_appending_an_event_costs_three_statements_and_no_savepoint(trail, staff, actor_for):
    # Given a chain that already has a head (every page view appends to one)
    actor = actor_for(staff["therapist"], trail["clinic"][0].clinic)

    # When one more event is recorded inside a transaction
    with transaction.atomic(), CaptureQueriesContext(connection) as queries:
        record_event(actor=actor, action=AuditAction.VIEW, summary="one more")

    # Then it locks the head, inserts, moves the head: nothing else holds the lock
    statements = [q["sql"].split()[0].upper() for q in queries.captured_queries]
    assert statements == ["SELECT", "INSERT", "UPDATE"], statements


@pytest.mark.django_db(transaction=True)
def test_parallel_page_views_keep_one_unbroken_chain(clinic, staff, actor_for):
    import threading

    if connection.vendor != "postgresql":
        pytest.skip("SQLite serialises writers, so nothing runs in parallel; run on PostgreSQL")
    # Given eight staff members' requests at the same moment, five audited pages each, on a
    # clinic whose chain has no head yet (the first appends race to create it)
    threads_n, each = 8, 5
    actor = actor_for(staff["therapist"], clinic)
    start = threading.Barrier(threads_n)
    errors: list[str] = []

    def browse():
        try:
            start.wait(timeout=10)
            for _ in range(each):
                record_event(actor=actor, action=AuditAction.VIEW, summary="page")
                request = RequestFactory().post("/accounts/login/")
                record_security_event(request=request, action=AuditAction.LOGIN_FAILED, label="x")
        except Exception as error:  # a deadlock or a duplicate number fails the test
            errors.append(repr(error))
        finally:
            connection.close()

    threads = [threading.Thread(target=browse) for _ in range(threads_n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    # Then every event got its own number, and both chains verify end to end
    assert errors == []
    for clinic_id in (clinic.pk, None):
        numbers = sorted(
            AuditEvent.objects.filter(clinic_id=clinic_id).values_list("sequence", flat=True)
        )
        assert numbers == list(range(1, threads_n * each + 1))
        assert verify_audit_chain(clinic_id).ok
