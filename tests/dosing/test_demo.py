"""Demo data: completed sessions with their details and one client in the chair, idempotent."""

import datetime as dt

import pytest
from django.utils import timezone

from kapcare.dosing.models import (
    Administration,
    Discharge,
    DoseOrder,
    DosingSession,
    DosingStatus,
    MonitoringAlert,
    PreDoseCheck,
    VitalSign,
)
from kapcare.home.demo import load_demo
from kapcare.ledger.chain import verify_chain

pytestmark = pytest.mark.django_db


def test_the_demo_has_detailed_completed_sessions_and_one_in_progress_today():
    clinic, _ = load_demo()

    live = DosingSession.objects.get(clinic=clinic, status=DosingStatus.MONITORING)
    assert timezone.now() - live.dose_started_at < dt.timedelta(hours=2)
    assert (
        live.vitals.count() == 3
        and MonitoringAlert.objects.filter(session=live, acknowledged_at=None).exists()
    )
    assert Administration.objects.filter(session=live, kind="dose").get().ledger_entry is not None
    detailed = DosingSession.objects.filter(
        clinic=clinic, status=DosingStatus.DISCHARGED, discharge__isnull=False
    )
    assert detailed.count() >= 3
    for session in detailed:
        assert (
            session.dose_order_id
            and session.pre_dose_checks.exists()
            and session.vitals.count() >= 6
        )
    assert verify_chain(clinic).ok

    counts = [
        M.objects.count() for M in (DoseOrder, PreDoseCheck, VitalSign, Discharge, Administration)
    ]
    load_demo()
    assert [
        M.objects.count() for M in (DoseOrder, PreDoseCheck, VitalSign, Discharge, Administration)
    ] == counts
