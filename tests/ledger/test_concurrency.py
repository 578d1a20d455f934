"""Acceptance 2: simultaneous administrations from one lot never overdraw it.

Runs on PostgreSQL, where writers really run in parallel: N threads, each with its own database
connection and transaction, take a dose at the same moment from a lot that holds enough for
N − 1. SQLite lets one writer in at a time, so there the test is skipped; the overdraw refusal
itself is tested on both (test_services.test_an_overdraw_is_refused_and_nothing_is_recorded)."""

import threading
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction

from kapcare.ledger.chain import verify_chain
from kapcare.ledger.models import Balance, EntryKind, LedgerEntry
from kapcare.ledger.services import record_administration
from tests.factories import ClientFactory
from tests.ledger.conftest import make_session, receive

THREADS = 8
DOSE = Decimal("50")


@pytest.mark.django_db(transaction=True)
def test_parallel_administrations_from_one_lot_never_overdraw(nurse, product, safe, clinic):
    if connection.vendor != "postgresql":
        pytest.skip("SQLite serialises writers, so nothing runs in parallel; run on PostgreSQL")
    # Given a lot holding enough for N − 1 doses, and N clients in the chair at once
    lot = receive(nurse, product, safe, mg=str(DOSE * (THREADS - 1))).lot
    sessions = [make_session(ClientFactory(clinic=clinic)) for _ in range(THREADS)]
    start = threading.Barrier(THREADS)
    outcomes: list[str] = []

    def administer(session):
        try:
            start.wait(timeout=10)
            record_administration(
                actor=nurse, lot=lot, location=safe, quantity_mg=DOSE, dosing_session=session
            )
            outcomes.append("given")
        except ValidationError:
            outcomes.append("refused")
        except Exception as error:  # a deadlock or a constraint breach fails the test
            outcomes.append(f"error: {error!r}")
        finally:
            connection.close()

    # When every thread administers at the same moment
    threads = [threading.Thread(target=administer, args=(s,)) for s in sessions]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    # Then exactly N − 1 doses were given and one refused, and the lot is empty, not negative
    assert sorted(outcomes) == ["given"] * (THREADS - 1) + ["refused"], outcomes
    assert Balance.objects.get(lot=lot, location=safe).quantity_mg == 0
    given = LedgerEntry.objects.filter(kind=EntryKind.ADMINISTRATION).order_by("sequence")
    assert [e.balance_after_mg for e in given] == [DOSE * n for n in range(THREADS - 2, -1, -1)]
    assert verify_chain(clinic).ok


def test_the_database_itself_refuses_a_negative_balance(stocked_lot, safe):
    with pytest.raises(IntegrityError), transaction.atomic():
        Balance.objects.filter(lot=stocked_lot, location=safe).update(quantity_mg=Decimal("-1"))
