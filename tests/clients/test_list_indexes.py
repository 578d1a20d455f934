"""The client search and the client list read their indexes on PostgreSQL (the trigram indexes
for the search's `icontains`, the list-order index for a page of the list), so both stay
milliseconds at 100,000 clients. SQLite has no such indexes and no such planner: skipped there.

`enable_seqscan = off` lets a table of a few thousand rows show which index the planner *can*
use; the migration's docstring says why the search expression matches the indexes."""

import datetime as dt

import pytest
from django.db import connection

from kapcare.accounts.actor import Actor
from kapcare.clients.models import Client
from kapcare.clients.selectors import client_list

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="PostgreSQL's indexes and planner"
)

TRIGRAM_INDEXES = [
    f"client_{column}_trgm"
    for column in ("first_name", "last_name", "preferred_name", "email", "phone")
]


NAMES = ["Ashby", "Brook", "Carter", "Dalton", "Ellis", "Foster", "Grant", "Hayes", "Irwin"]


@pytest.fixture
def many_clients(clinic):
    Client.objects.bulk_create(
        Client(
            clinic=clinic,
            first_name=NAMES[i % len(NAMES)],
            last_name=f"{NAMES[(i * 7) % len(NAMES)]}{i}",
            date_of_birth=dt.date(1980, 1, 1),
            email=f"person{i}@example.org",
            phone=f"555-{i:04d}",
        )
        for i in range(3000)
    )
    with connection.cursor() as cursor:
        # Rows inserted since the last VACUUM wait in each GIN index's pending list, which the
        # planner costs high; autovacuum merges them in production, this test does it by hand.
        for index in TRIGRAM_INDEXES:
            cursor.execute("SELECT gin_clean_pending_list(%s::regclass)", [index])
        cursor.execute("ANALYZE clients_client")
        cursor.execute("SET LOCAL enable_seqscan = off")


def test_the_client_search_uses_the_trigram_indexes(clinic, staff, many_clients):
    actor = Actor.for_user(staff["front_desk"], clinic)

    client = Client.objects.filter(clinic=clinic).first()
    client.last_name = "Quixley"
    client.save()

    plan = client_list(actor=actor, search="quixl").explain()

    for index in TRIGRAM_INDEXES:
        assert index in plan, plan


def test_a_page_of_the_client_list_reads_the_list_order_index(clinic, staff, many_clients):
    actor = Actor.for_user(staff["front_desk"], clinic)

    plan = client_list(actor=actor)[:25].explain()

    assert "client_list_order" in plan, plan
    assert "Sort" not in plan.splitlines()[1], plan  # no sort of the whole clinic first
