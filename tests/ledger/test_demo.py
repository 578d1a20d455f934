"""The demo ledger: lots, a dosing day of administrations with witnessed waste, counts that
match, a resolved discrepancy; its chain verifies and loading twice adds nothing."""

import io
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command

from kapcare.home.demo import load_demo
from kapcare.ledger.models import (
    CaseStatus,
    Count,
    CountPurpose,
    DiscrepancyCase,
    EntryKind,
    LedgerEntry,
    Lot,
)

pytestmark = pytest.mark.django_db


def test_demo_ledger_verifies_and_loads_once():
    clinic, _staff = load_demo()
    entries = LedgerEntry.objects.filter(clinic=clinic)
    # The ledger demo's own dosing day (the dosing demo may add today's session after it)
    administrations = entries.filter(kind=EntryKind.ADMINISTRATION, reason="IM, deltoid.")

    assert Lot.objects.filter(clinic=clinic).count() == 4
    assert administrations.count() >= 3
    assert all(e.dosing_session_id and e.client_id for e in administrations)
    # a single day, each dose's remainder wasted under a witness
    days = {e.occurred_at.astimezone(ZoneInfo(clinic.time_zone)).date() for e in administrations}
    assert len(days) == 1
    wastes = entries.filter(
        kind=EntryKind.WASTE, dosing_session_id__in=administrations.values("dosing_session_id")
    )
    assert wastes.count() == administrations.count()
    assert all(w.witness_id and w.witness_id != w.actor_id for w in wastes)
    daily = Count.objects.filter(clinic=clinic, purpose=CountPurpose.DAILY)
    assert daily.filter(timing="opening").count() == 2
    assert daily.filter(timing="closing", has_discrepancy=False).count() == 2
    assert DiscrepancyCase.objects.get(clinic=clinic).status == CaseStatus.RESOLVED

    out = io.StringIO()
    call_command("verify_ledger", "--clinic", str(clinic.pk), stdout=out)
    assert f"{entries.count()} entries verified" in out.getvalue()

    before = entries.count()
    load_demo()
    assert LedgerEntry.objects.filter(clinic=clinic).count() == before
