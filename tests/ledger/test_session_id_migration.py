"""The ledger entry's dosing session became an opaque id (ledger 0004): a row recorded before
keeps its session id, and the hash chain that covers it still verifies, across the migration
back and forth, with the append-only triggers in place afterwards."""

from decimal import Decimal

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from kapcare.ledger.chain import verify_chain
from kapcare.ledger.models import EntryKind, LedgerEntry
from kapcare.ledger.services import record_administration
from tests.ledger.conftest import receive

BEFORE_OPAQUE_ID = [("ledger", "0003_no_replace")]


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)


@pytest.mark.django_db(transaction=True)
def test_a_recorded_session_id_survives_the_migration(clinic, nurse, product, safe, session):
    # Given an administration recorded against a session
    lot = receive(nurse, product, safe, mg="100").lot
    record_administration(
        actor=nurse, lot=lot, location=safe, quantity_mg=Decimal("80"), dosing_session=session
    )
    before = list(
        LedgerEntry.objects.order_by("sequence").values_list("dosing_session_id", "entry_hash")
    )
    # When the ledger migrates back to the foreign key and forward to the opaque id again
    try:
        _migrate(BEFORE_OPAQUE_ID)
    finally:
        _migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())
    # Then every row keeps its session id and hash, and the chain verifies
    after = list(
        LedgerEntry.objects.order_by("sequence").values_list("dosing_session_id", "entry_hash")
    )
    assert after == before
    given = LedgerEntry.objects.get(kind=EntryKind.ADMINISTRATION)
    assert given.dosing_session_id == session.pk
    assert verify_chain(clinic).ok
