"""The measures due list shows each list's first rows and its count, and one list in full a
page at a time: its size and its queries do not grow with the clinic."""

import pytest
from django.urls import reverse
from django.utils import timezone

from kapcare.audit.models import AuditEvent
from kapcare.courses.models import TreatmentCourse
from kapcare.measures.admin_views import DUE_ROWS, PAGE_SIZE
from kapcare.measures.models import MeasureAssignment
from tests.factories import ClientFactory, put_on_team

DUE = reverse("measures_admin:due")


def _courses_with_baselines_overdue(clinic, staff, n):
    opened = timezone.now() - timezone.timedelta(days=40)
    for i in range(n):
        client = ClientFactory(clinic=clinic, last_name=f"Duecase{i:04d}")
        put_on_team(client, staff["therapist"], "therapist")
        TreatmentCourse.objects.create(
            clinic=clinic, client=client, condition="depression", status="active", opened_at=opened
        )


@pytest.mark.parametrize("n", [DUE_ROWS + 5, 3 * (DUE_ROWS + 5)])
def test_the_due_page_shows_bounded_rows_in_bounded_queries(
    clinic, staff, login, django_assert_max_num_queries, n
):
    _courses_with_baselines_overdue(clinic, staff, n)
    http = login(staff["therapist"])
    http.get(DUE)  # the first visit creates the clinic's schedules; measure the next

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


def test_the_due_page_brings_up_to_date_only_the_courses_it_can_show(clinic, staff, login):
    """Opening the list plans the schedules of the viewer's own clients, not the whole clinic's
    (at 100,000 clients that was minutes of work and locks on every visit; the daily
    `sync_measure_schedules` keeps the rest in step)."""
    _courses_with_baselines_overdue(clinic, staff, 2)
    someone_elses = ClientFactory(clinic=clinic, last_name="Notmine")
    TreatmentCourse.objects.create(
        clinic=clinic,
        client=someone_elses,
        condition="depression",
        status="active",
        opened_at=timezone.now() - timezone.timedelta(days=40),
    )
    http = login(staff["therapist"])

    assert http.get(DUE).status_code == 200

    planned = MeasureAssignment.objects.filter(clinic=clinic)
    assert planned.filter(client__last_name__startswith="Duecase").exists()
    assert not planned.filter(client=someone_elses).exists()
