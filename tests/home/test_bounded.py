"""The home page and the lists behind it stay the same size, in rows and in queries, however
many clients a clinician has: a section shows its first rows and its count, the rest is paged."""

import re

import pytest
from django.urls import reverse
from django.utils import timezone

from kapcare.audit.models import AuditEvent
from kapcare.courses.models import TreatmentCourse
from kapcare.dosing.models import DosingSession
from kapcare.home.list_views import PAGE_SIZE
from kapcare.home.selectors import HOME_ROWS, RECENT
from tests.factories import ClientFactory, put_on_team

MAX_HOME_QUERIES = 40
MAX_LIST_QUERIES = 20


def _my_clients(clinic, staff, n, *, status="active", overdue=True, offset=0):
    """`n` clients on the therapist's, prescriber's and nurse's teams, each with an open course
    at `status` and (when `overdue`) a dosing session past its integration window."""
    long_ago = timezone.now() - timezone.timedelta(days=5)
    for i in range(n):
        client = ClientFactory(clinic=clinic, last_name=f"Bulk{offset + i:04d}")
        for role in ("therapist", "prescriber", "nurse"):
            put_on_team(client, staff[role], role)
        course = TreatmentCourse.objects.create(
            clinic=clinic, client=client, condition="ptsd", status=status
        )
        if overdue:
            DosingSession.objects.create(
                clinic=clinic,
                client=client,
                course=course,
                number=1,
                status="discharged",
                scheduled_for=long_ago,
                discharged_at=long_ago,
            )


def _names_on(body: str) -> set[str]:
    return set(re.findall(r"Bulk\d{4}", body))


def _home_event():
    return AuditEvent.objects.filter(object_type="home").latest("id")


@pytest.mark.parametrize("n", [HOME_ROWS + 2, 3 * (HOME_ROWS + 2)])
def test_home_shows_at_most_home_rows_per_section_with_the_total(
    clinic, staff, login, django_assert_max_num_queries, n
):
    _my_clients(clinic, staff, n, status="preparation")
    http = login(staff["therapist"])

    with django_assert_max_num_queries(MAX_HOME_QUERIES):
        body = http.get(reverse("home:home")).content.decode()

    # the stage, the preparation list and the overdue list each show HOME_ROWS, the same ones
    # (by name), and say how many there are in all with a link to the rest
    preparation = body.split('data-stage="preparation"')[1].split('data-stage="active"')[0]
    assert len(_names_on(preparation)) == HOME_ROWS
    assert preparation.count("<li>") == HOME_ROWS
    assert f">{n}</span>" in preparation and f"See all {n}" in preparation
    assert f"All {n} overdue integration sessions" in body
    assert f"{reverse('home:courses')}?status=preparation" in body
    # the recent clients plus the rows of the two sections: never every client
    assert len(_names_on(body)) <= RECENT + 2 * HOME_ROWS


def test_the_home_audit_names_only_the_clients_it_rendered(clinic, staff, login):
    _my_clients(clinic, staff, 3 * HOME_ROWS, status="preparation")
    body = login(staff["therapist"]).get(reverse("home:home")).content.decode()

    named = set(_home_event().details["client_ids"])
    from kapcare.clients.models import Client

    rendered = {c.pk for c in Client.objects.filter(clinic=clinic) if c.full_name in body}
    assert named == rendered
    assert len(named) < 3 * HOME_ROWS


def test_home_queries_do_not_grow_with_the_number_of_clients(clinic, staff, login):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    http = login(staff["therapist"])

    def queries():
        with CaptureQueriesContext(connection) as captured:
            assert http.get(reverse("home:home")).status_code == 200
        return len(captured)

    _my_clients(clinic, staff, HOME_ROWS + 1, status="preparation")
    queries()  # the first request of a session does one-off work
    few = queries()
    _my_clients(clinic, staff, 3 * (HOME_ROWS + 1), status="active", offset=500)
    assert queries() == few


@pytest.mark.parametrize(
    ("url", "role"),
    [
        ("home:courses", "therapist"),
        ("integration:overdue", "therapist"),
    ],
)
@pytest.mark.parametrize("n", [PAGE_SIZE + 3, 3 * (PAGE_SIZE + 3)])
def test_worklists_show_one_bounded_page_in_bounded_queries(
    clinic, staff, login, django_assert_max_num_queries, url, role, n
):
    _my_clients(clinic, staff, n)
    http = login(staff[role])

    with django_assert_max_num_queries(MAX_LIST_QUERIES):
        body = http.get(reverse(url)).content.decode()

    assert len(_names_on(body)) == PAGE_SIZE
    assert body.count("<tr>") == PAGE_SIZE + 1  # the head row, then a page of rows
    assert f"of {n}" in body  # the pager tells the total
    event = AuditEvent.objects.latest("id")
    assert len(event.details["client_ids"]) == PAGE_SIZE


def test_the_open_course_list_filters_by_stage_and_ignores_an_unknown_one(clinic, staff, login):
    _my_clients(clinic, staff, 2, status="preparation", overdue=False)
    _my_clients(clinic, staff, 3, status="active", overdue=False, offset=100)
    http = login(staff["therapist"])
    url = reverse("home:courses")

    assert len(_names_on(http.get(url, {"status": "preparation"}).content.decode())) == 2
    assert len(_names_on(http.get(url, {"status": "active"}).content.decode())) == 3
    for hostile in ["completed", "<script>", "x" * 5000, "'; drop table x;--"]:
        response = http.get(url, {"status": hostile, "page": hostile})
        assert response.status_code == 200
        assert len(_names_on(response.content.decode())) == 5


def test_the_lists_show_only_my_clients(clinic, staff, login):
    from tests.factories import make_staff

    _my_clients(clinic, staff, 2)
    outsider = make_staff(clinic, "therapist", "prescriber")
    http = login(outsider)
    for name in ("home:courses", "home:reviews", "home:drafts", "integration:overdue"):
        response = http.get(reverse(name))
        assert response.status_code == 200
        assert not _names_on(response.content.decode())


def test_the_lists_refuse_roles_they_are_not_for(clinic, staff, login):
    front_desk = login(staff["front_desk"])
    for name in ("home:courses", "home:reviews", "home:drafts"):
        assert front_desk.get(reverse(name)).status_code == 403
