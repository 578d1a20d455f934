"""The measures demo: realistic trajectories along the demo courses, alerts, idempotent."""

import pytest

from kapcare.dosing.models import DosingSession
from kapcare.home.demo import load_demo
from kapcare.measures.models import Response, RiskAlert


@pytest.fixture
def demo(db):
    return load_demo()


def test_demo_has_trajectories_aligned_with_dosing_sessions(demo):
    clinic, _ = demo
    responses = Response.objects.filter(clinic=clinic)
    assert responses.filter(instrument_code="phq9").count() >= 10
    assert {"phq9", "gad7", "pcl5", "ocir"} <= set(
        responses.values_list("instrument_code", flat=True)
    )
    sessions = {s.pk: s for s in DosingSession.objects.filter(clinic=clinic)}
    for response in responses.filter(timepoint="pre_dose").select_related("assignment"):
        session = sessions[response.assignment.dosing_session_id]
        assert response.completed_at < session.scheduled_for
    baseline = responses.filter(timepoint="baseline").count()
    assert baseline >= 10 and responses.filter(status="complete").count() == responses.count()


def test_demo_has_responders_a_deteriorating_client_and_alerts(demo):
    clinic, _ = demo
    by_course = {}
    for r in Response.objects.filter(clinic=clinic, instrument_code="phq9").order_by(
        "completed_at"
    ):
        by_course.setdefault(r.course_id, []).append(r.total)
    changes = [totals[-1] / totals[0] for totals in by_course.values() if len(totals) > 1]
    assert any(c <= 0.5 for c in changes), "a responder (≥50% reduction)"
    assert any(c >= 0.9 and c < 1 for c in changes), "a non-responder"
    assert any(c > 1.2 for c in changes), "a deteriorating client"
    alerts = RiskAlert.objects.filter(clinic=clinic)
    assert alerts.filter(acknowledged_at__isnull=True).exists()
    assert alerts.filter(acknowledged_at__isnull=False).exclude(action_taken="").exists()


def test_demo_measures_load_idempotently(demo):
    before = (Response.objects.count(), RiskAlert.objects.count())
    load_demo()
    assert (Response.objects.count(), RiskAlert.objects.count()) == before
