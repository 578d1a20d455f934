"""Acceptance 1: the ledger is append-only in the database and tamper-evident.

Raw UPDATE and DELETE are refused by triggers on SQLite and PostgreSQL. With the triggers
dropped (as an attacker with database access could), an altered row, a forged row or a removed
row is found by `manage.py verify_ledger`, which names it and exits non-zero.
"""

import io
from decimal import Decimal
from itertools import pairwise

import pytest
from django.core.management import ManagementUtility, call_command
from django.core.management.base import CommandError
from django.db import IntegrityError, connection, transaction

from kapcare.accounts.actor import Actor
from kapcare.audit.append_only import APPEND_ONLY_TABLES, create_statements, drop_statements
from kapcare.ledger import rules
from kapcare.ledger.chain import HASHED_FIELDS, hashed_values, verify_chain
from kapcare.ledger.models import GENESIS_HASH, Balance, LedgerChain, LedgerEntry, Location
from kapcare.ledger.services import record_administration, record_waste
from tests.factories import make_staff
from tests.ledger.conftest import make_product, receive

TABLE = "ledger_ledgerentry"


@pytest.fixture
def chain(nurse, staff, product, safe, session):
    """Four entries: a receipt, an administration, a waste and a second receipt."""
    lot = receive(nurse, product, safe, mg="100").lot
    record_administration(
        actor=nurse, lot=lot, location=safe, quantity_mg=Decimal("80"), dosing_session=session
    )
    record_waste(
        actor=nurse,
        witness=staff["prescriber"],
        lot=lot,
        location=safe,
        quantity_mg=Decimal("20"),
        reason="Remainder of the vial, into the waste container.",
        dosing_session=session,
    )
    receive(nurse, product, safe, mg="300", lot_number="KX2002")
    return list(LedgerEntry.objects.order_by("sequence"))


def _sql(statement: str, params=None):
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(statement, params)


@pytest.fixture
def triggers_dropped(chain):
    """Lift the append-only triggers for the test (put back afterwards, and rolled back with
    the test's transaction anyway)."""
    vendor = connection.vendor
    for statement in drop_statements(vendor, TABLE):
        _sql(statement)
    yield
    for statement in create_statements(vendor, TABLE, APPEND_ONLY_TABLES[TABLE]):
        _sql(statement)


def _verify_fails_naming(entry_label: str, clinic=None):
    args = ["verify_ledger"] + (["--clinic", str(clinic.pk)] if clinic else [])
    with pytest.raises(CommandError, match=entry_label.replace("(", r"\(").replace(")", r"\)")):
        call_command(*args, stdout=io.StringIO(), stderr=io.StringIO())


def test_an_untouched_chain_verifies(chain, clinic):
    out = io.StringIO()
    call_command("verify_ledger", stdout=out)
    assert f"{len(chain)} entries verified" in out.getvalue()
    assert [e.sequence for e in chain] == [1, 2, 3, 4]
    assert chain[0].prev_hash == GENESIS_HASH
    assert all(later.prev_hash == earlier.entry_hash for earlier, later in pairwise(chain))
    head = LedgerChain.objects.get(clinic=clinic)
    assert (head.last_sequence, head.last_hash) == (4, chain[-1].entry_hash)


def test_each_hash_is_sha256_of_the_canonical_content(chain):
    for entry in chain:
        assert entry.entry_hash == rules.content_hash(hashed_values(entry))
    # Every column but the id and the hash itself is in the hash.
    columns = {f.attname for f in LedgerEntry._meta.concrete_fields} - {"id", "entry_hash"}
    assert columns == set(HASHED_FIELDS)


@pytest.mark.parametrize(
    "statement",
    [
        f"UPDATE {TABLE} SET quantity_mg = -1 WHERE sequence = 2",
        f"DELETE FROM {TABLE} WHERE sequence = 4",
    ],
)
def test_raw_update_or_delete_of_an_entry_is_refused_by_the_database(chain, statement):
    with pytest.raises(IntegrityError, match="append-only"):
        _sql(statement)
    assert LedgerEntry.objects.get(sequence=2).quantity_mg == Decimal("-80.000")
    assert LedgerEntry.objects.count() == 4


@pytest.mark.usefixtures("triggers_dropped")
def test_an_altered_row_is_named_by_verify_ledger(chain):
    # When someone changes the administered quantity behind kapcare's back
    _sql(
        f"UPDATE {TABLE} SET quantity_mg = -30, balance_after_mg = 70 WHERE id = %s",
        [chain[1].pk],
    )

    # Then verification fails at that entry
    _verify_fails_naming(f"entry #2 (id {chain[1].pk}) does not match its hash")


@pytest.mark.usefixtures("triggers_dropped")
def test_an_altered_row_with_a_recomputed_hash_breaks_the_next_link(chain):
    # Given an attacker who knows the algorithm changes entry 2 and recomputes its hash
    altered = LedgerEntry.objects.get(pk=chain[1].pk)
    altered.reason = "nothing to see"
    forged_hash = rules.content_hash(hashed_values(altered))
    _sql(
        f"UPDATE {TABLE} SET reason = %s, entry_hash = %s WHERE id = %s",
        [altered.reason, forged_hash, altered.pk],
    )

    # Then entry 3 no longer links to it, and verification names entry 3
    _verify_fails_naming(f"entry #3 (id {chain[2].pk}) does not link to entry #2")


def _insert_raw(entry: LedgerEntry) -> int:
    """INSERT the entry's fields by hand-written SQL (no ORM save) and return its new id."""
    fields = [f for f in LedgerEntry._meta.concrete_fields if f.attname != "id"]
    values = [f.get_db_prep_save(getattr(entry, f.attname), connection) for f in fields]
    columns = ", ".join(f.column for f in fields)
    _sql(f"INSERT INTO {TABLE} ({columns}) VALUES ({', '.join(['%s'] * len(fields))})", values)
    return LedgerEntry.objects.get(sequence=entry.sequence, entry_hash=entry.entry_hash).pk


@pytest.mark.usefixtures("triggers_dropped")
def test_a_forged_row_with_a_valid_hash_is_named(chain):
    # Given a row inserted by raw SQL that continues the chain, its hash correctly computed
    forged = LedgerEntry.objects.get(pk=chain[-1].pk)
    forged.pk = None
    forged.sequence, forged.prev_hash, forged.kind = 5, chain[-1].entry_hash, "loss"
    forged.quantity_mg, forged.balance_after_mg = Decimal("-100"), Decimal("200")
    forged.entry_hash = rules.content_hash(hashed_values(forged))
    forged_id = _insert_raw(forged)

    # Then verification names it: kapcare's chain head never moved past #4
    _verify_fails_naming(f"entry #5 (id {forged_id}) is beyond the chain head")


@pytest.mark.usefixtures("triggers_dropped")
def test_a_forged_row_put_in_place_of_a_deleted_one_is_named(chain):
    # Given entry 3 removed and a forged entry 3 put in its place, linked to entry 2
    _sql(f"DELETE FROM {TABLE} WHERE id = %s", [chain[2].pk])
    forged = LedgerEntry.objects.get(pk=chain[1].pk)
    forged.pk = None
    forged.sequence, forged.prev_hash = 3, chain[1].entry_hash
    forged.reason, forged.entry_hash = "forged", "f" * 64
    forged_id = _insert_raw(forged)

    _verify_fails_naming(f"entry #3 (id {forged_id}) does not match its hash")


@pytest.mark.usefixtures("triggers_dropped")
def test_a_deleted_row_is_found_as_a_gap(chain):
    _sql(f"DELETE FROM {TABLE} WHERE id = %s", [chain[1].pk])
    _verify_fails_naming(f"entry #3 (id {chain[2].pk}) follows a gap: expected #2")


@pytest.mark.usefixtures("triggers_dropped")
def test_removing_the_last_rows_is_found_from_the_chain_head(chain):
    _sql(f"DELETE FROM {TABLE} WHERE sequence = 4")
    _verify_fails_naming("the chain head says #4 but the entries end at #3")


def test_a_balance_changed_behind_the_ledgers_back_is_found(chain):
    Balance.objects.filter(lot=chain[-1].lot).update(quantity_mg=Decimal("250"))
    _verify_fails_naming("is 250 mg but its entries sum to 300 mg")


@pytest.mark.usefixtures("triggers_dropped")
def test_manage_py_exits_non_zero_naming_the_entry(chain, capsys, monkeypatch):
    # manage.py closes every connection when a command ends; the test's must stay open.
    monkeypatch.setattr("django.core.management.base.connections.close_all", lambda: None)
    _sql(f"UPDATE {TABLE} SET occurred_at = recorded_at WHERE id = %s", [chain[0].pk])

    with pytest.raises(SystemExit) as exit_info:
        ManagementUtility(["manage.py", "verify_ledger"]).execute()

    assert exit_info.value.code == 1
    assert f"entry #1 (id {chain[0].pk})" in capsys.readouterr().err


def test_manage_py_exits_zero_when_intact(chain, capsys, monkeypatch):
    monkeypatch.setattr("django.core.management.base.connections.close_all", lambda: None)
    ManagementUtility(["manage.py", "verify_ledger"]).execute()  # no SystemExit
    assert "4 entries verified" in capsys.readouterr().out


@pytest.mark.usefixtures("triggers_dropped")
def test_clinic_option_checks_one_clinic_and_each_clinic_has_its_own_chain(
    chain, clinic, other_clinic
):
    # Given another clinic with its own intact chain, and this clinic's chain tampered with
    nurse_there = Actor.for_user(make_staff(other_clinic, "nurse"), other_clinic)
    elsewhere = Location.objects.create(clinic=other_clinic, name="Safe", kind="safe")
    receive(nurse_there, make_product(other_clinic), elsewhere, mg="100")
    _sql(f"UPDATE {TABLE} SET reason = 'x' WHERE id = %s", [chain[0].pk])

    # Then the other clinic verifies on its own, and starts at #1 with the genesis hash
    out = io.StringIO()
    call_command("verify_ledger", "--clinic", str(other_clinic.pk), stdout=out)
    assert "1 entries verified" in out.getvalue()
    assert verify_chain(other_clinic).ok
    # …and this clinic fails, whether asked for alone or with every clinic
    _verify_fails_naming(f"entry #1 (id {chain[0].pk})", clinic)
    _verify_fails_naming(f"Clinic {clinic.pk}")


def test_an_unknown_clinic_is_an_error(db):
    with pytest.raises(CommandError, match="No clinic has id 999999"):
        call_command("verify_ledger", "--clinic", "999999", stdout=io.StringIO())
