"""Today's board stays one bounded page, in rows and in queries, however busy the clinic."""

import datetime as dt
import zoneinfo

import pytest
from django.db import connection
from django.urls import reverse

from kapcare.audit.models import AuditEvent
from kapcare.courses.models import TreatmentCourse
from kapcare.dosing.models import DosingSession
from kapcare.dosing.views import TODAY_PAGE_SIZE
from tests.factories import ClientFactory, put_on_team


def _sessions_today(clinic, staff, n):
    """`n` sessions scheduled today (clinic-local) for one client on the clinicians' teams."""
    client = ClientFactory(clinic=clinic, last_name="Boardman")
    for role in ("therapist", "prescriber", "nurse"):
        put_on_team(client, staff[role], role)
    course = TreatmentCourse.objects.create(
        clinic=clinic, client=client, condition="ptsd", status="active"
    )
    zone = zoneinfo.ZoneInfo(clinic.time_zone)
    start = dt.datetime.combine(clinic.today(), dt.time(6), tzinfo=zone)
    DosingSession.objects.bulk_create(
        DosingSession(
            clinic=clinic,
            client=client,
            course=course,
            number=i + 1,
            scheduled_for=start + dt.timedelta(minutes=i),
        )
        for i in range(n)
    )
    return client


@pytest.mark.parametrize("n", [TODAY_PAGE_SIZE + 5, 3 * (TODAY_PAGE_SIZE + 5)])
def test_the_board_shows_one_page_in_the_same_queries(
    clinic, staff, login, django_assert_max_num_queries, n
):
    _sessions_today(clinic, staff, n)
    http = login(staff["nurse"])

    with django_assert_max_num_queries(20):
        body = http.get(reverse("dosing_clinic:today")).content.decode()

    assert body.count("Boardman") == TODAY_PAGE_SIZE
    assert f"of {n}" in body and 'rel="next"' in body
    event = AuditEvent.objects.filter(object_type="dosing.today").latest("id")
    assert len(event.details["session_ids"]) == TODAY_PAGE_SIZE


def test_the_last_page_of_the_board_holds_the_rest(clinic, staff, login):
    _sessions_today(clinic, staff, TODAY_PAGE_SIZE + 5)
    http = login(staff["nurse"])

    body = http.get(reverse("dosing_clinic:today"), {"page": 2}).content.decode()
    assert body.count("Boardman") == 5
    for hostile in ["0", "-1", "999999", "x", "1e9", "<b>"]:
        assert http.get(reverse("dosing_clinic:today"), {"page": hostile}).status_code == 200


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's planner")
def test_the_board_reads_the_clinic_schedule_index(clinic, staff):
    from kapcare.accounts.actor import Actor
    from kapcare.dosing.selectors import todays_sessions

    # many clients on the nurse's teams, each with a long history and one session today: the
    # day's range is the selective part
    zone = zoneinfo.ZoneInfo(clinic.time_zone)
    today = dt.datetime.combine(clinic.today(), dt.time(9), tzinfo=zone)
    sessions = []
    for c in range(60):
        client = ClientFactory(clinic=clinic, last_name=f"Regular{c}")
        put_on_team(client, staff["nurse"], "nurse")
        course = TreatmentCourse.objects.create(
            clinic=clinic, client=client, condition="ptsd", status="active"
        )
        sessions += [
            DosingSession(
                clinic=clinic,
                client=client,
                course=course,
                number=k + 1,
                status="scheduled" if k == 0 else "discharged",
                scheduled_for=today - dt.timedelta(days=7 * k),
                discharged_at=None if k == 0 else today - dt.timedelta(days=7 * k),
            )
            for k in range(20)
        ]
    DosingSession.objects.bulk_create(sessions)
    actor = Actor.for_user(staff["nurse"], clinic)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE dosing_dosingsession, clients_client, clients_careteammember")
        cursor.execute("SET LOCAL enable_seqscan = off")
    plan = todays_sessions(actor, clinic.today()).explain()
    assert "dosing_clinic_scheduled" in plan, plan
