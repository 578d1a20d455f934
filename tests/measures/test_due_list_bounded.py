"""The measures due list shows each list's first rows and its count, and one list in full a
page at a time: its size and its queries do not grow with the clinic."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from kapcare.audit.models import AuditEvent
from kapcare.courses.models import TreatmentCourse
from kapcare.measures.admin_views import DUE_ROWS, PAGE_SIZE
from kapcare.measures.models import MeasureAssignment
from kapcare.measures.services.schedules import courses_needing_sync, sync_clinic
from tests.factories import ClientFactory, put_on_team

DUE = reverse("measures_admin:due")


def _courses_opened_40_days_ago(clinic, staff, n, name="Duecase"):
    """Courses written straight to the table (a service opens a course today), so no schedule
    yet: what the daily `sync_measure_schedules` finds after rows are restored or imported."""
    opened = timezone.now() - timezone.timedelta(days=40)
    for i in range(n):
        client = ClientFactory(clinic=clinic, last_name=f"{name}{i:04d}")
        put_on_team(client, staff["therapist"], "therapist")
        TreatmentCourse.objects.create(
            clinic=clinic, client=client, condition="depression", status="active", opened_at=opened
        )


def _courses_with_baselines_overdue(clinic, staff, n):
    _courses_opened_40_days_ago(clinic, staff, n)
    sync_clinic(clinic=clinic)


@pytest.mark.parametrize("n", [DUE_ROWS + 5, 3 * (DUE_ROWS + 5)])
def test_the_due_page_shows_bounded_rows_in_bounded_queries(
    clinic, staff, login, django_assert_max_num_queries, n
):
    _courses_with_baselines_overdue(clinic, staff, n)
    http = login(staff["therapist"])
    http.get(DUE)  # the first visit publishes the clinic's shipped instruments; measure the next

    with django_assert_max_num_queries(40):
        body = http.get(DUE).content.decode()

    overdue = MeasureAssignment.objects.filter(clinic=clinic, due_by__lt=clinic.today()).count()
    assert overdue >= n
    assert body.count("data-assignment=") <= 2 * DUE_ROWS
    assert f"See all {overdue} overdue" in body
    event = AuditEvent.objects.filter(object_type="measure.due_list").latest("id")
    assert len(event.details["client_ids"]) <= 2 * DUE_ROWS


def test_one_list_in_full_pages_and_ignores_an_unknown_list(clinic, staff, login):
    _courses_with_baselines_overdue(clinic, staff, PAGE_SIZE)
    http = login(staff["therapist"])

    body = http.get(DUE, {"list": "overdue"}).content.decode()
    overdue = MeasureAssignment.objects.filter(clinic=clinic, due_by__lt=clinic.today()).count()
    assert overdue > PAGE_SIZE
    assert body.count("data-assignment=") == PAGE_SIZE and f"of {overdue}" in body
    assert 'rel="next"' in body and "list=overdue&amp;page=2" in body

    for hostile in ["nope", "<b>", "x" * 3000]:
        response = http.get(DUE, {"list": hostile, "page": hostile})
        assert response.status_code == 200
        assert response.content.decode().count("data-assignment=") <= 2 * DUE_ROWS


def test_the_due_page_only_reads_however_many_courses_lag(
    clinic, staff, login, django_assert_max_num_queries
):
    """Opening the list plans no schedule (at 100,000 clients, planning the viewer's courses on
    every visit took over a minute): the services that change a schedule keep it current, the
    daily `sync_measure_schedules` catches up the rest. Its queries do not grow with the
    courses whose schedules lag, and it writes no assignment."""
    _courses_with_baselines_overdue(clinic, staff, 3)
    _courses_opened_40_days_ago(clinic, staff, 40, name="Unplanned")
    assert courses_needing_sync(clinic).count() == 3 + 40
    before = set(MeasureAssignment.objects.values_list("pk", "status", "available_from", "due_by"))
    http = login(staff["therapist"])
    http.get(DUE)  # the first visit publishes the clinic's shipped instruments

    with CaptureQueriesContext(connection) as queries, django_assert_max_num_queries(40):
        page = http.get(DUE)

    assert page.status_code == 200
    writes = [
        q["sql"]
        for q in queries.captured_queries
        if "measures_measureassignment" in q["sql"]
        and q["sql"].lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE"))
    ]
    assert writes == []
    after = set(MeasureAssignment.objects.values_list("pk", "status", "available_from", "due_by"))
    assert after == before
    assert "Duecase0000" in page.content.decode()
    assert not MeasureAssignment.objects.filter(client__last_name__startswith="Unplanned").exists()


def test_the_due_page_makes_the_same_number_of_queries_however_many_courses_lag(
    clinic, staff, login
):
    _courses_with_baselines_overdue(clinic, staff, 3)
    http = login(staff["therapist"])
    http.get(DUE)
    counts = []
    for more in (1, 30):
        _courses_opened_40_days_ago(clinic, staff, more, name=f"Lagging{more}x")
        with CaptureQueriesContext(connection) as queries:
            http.get(DUE)
        counts.append(len(queries.captured_queries))
    assert counts[0] == counts[1]
