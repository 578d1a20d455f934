"""The audit log pages through a clinic's trail without counting it: one query of 51 rows tells
whether a next page exists (a COUNT(*) over a million events cost more than the page)."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from kapcare.audit.models import AuditAction, AuditEvent
from kapcare.core.paging import MAX_UNCOUNTED_PAGE
from kapcare.home.audit_views import PAGE_SIZE

CREATED = 2 * PAGE_SIZE + 20


@pytest.fixture
def trail(clinic, staff):
    """CREATED events, one a minute, each named by its place from the newest (1 = newest)."""
    start = timezone.now() - dt.timedelta(days=30)
    AuditEvent.objects.bulk_create(
        AuditEvent(
            clinic=clinic,
            actor=staff["therapist"],
            actor_label=staff["therapist"].email,
            action=AuditAction.CREATE,
            object_type="client",
            summary=f"event {CREATED - i}",
            occurred_at=start + dt.timedelta(minutes=i),
        )
        for i in range(CREATED)
    )


def page(http, **query):
    return http.get(reverse("audit:log"), {"action": AuditAction.CREATE, **query})


def summaries(response) -> list[str]:
    return [e.summary for e in response.context["page_obj"]]


def test_pages_follow_each_other_newest_first(login, staff, trail):
    http = login(staff["clinic_admin"])
    first, second, last = page(http), page(http, page=2), page(http, page=3)
    assert summaries(first) == [f"event {n}" for n in range(1, PAGE_SIZE + 1)]
    assert summaries(second) == [f"event {n}" for n in range(PAGE_SIZE + 1, 2 * PAGE_SIZE + 1)]
    assert summaries(last) == [f"event {n}" for n in range(2 * PAGE_SIZE + 1, CREATED + 1)]
    assert first.context["page_obj"].has_next and not first.context["page_obj"].has_previous
    assert not last.context["page_obj"].has_next and last.context["page_obj"].has_previous
    text = first.content.decode()
    assert "action=create&amp;page=2" in text and f"Showing 1–{PAGE_SIZE}" in text
    assert f"Showing {2 * PAGE_SIZE + 1}–{CREATED}" in last.content.decode()


def test_the_page_does_not_count_the_trail(login, staff, trail):
    http = login(staff["clinic_admin"])
    page(http)
    with CaptureQueriesContext(connection) as queries:
        assert page(http, page=2).status_code == 200
    selects = [q["sql"] for q in queries.captured_queries if "audit_auditevent" in q["sql"]]
    assert not [sql for sql in selects if "COUNT(" in sql.upper()]
    # The floor (4), the clinic's staff for the filter, the page of events, and the page's own
    # audit row (its chain head and the insert).
    assert len(queries) <= 12, [q["sql"][:80] for q in queries.captured_queries]


@pytest.mark.parametrize(
    ("asked", "shown"), [("abc", 1), ("0", 1), ("-3", 1), ("", 1), ("3", 3), ("4", 4)]
)
def test_a_page_number_that_is_not_a_page_is_answered_plainly(login, staff, trail, asked, shown):
    response = page(login(staff["clinic_admin"]), page=asked)
    assert response.status_code == 200 and response.context["page_obj"].number == shown


def test_a_page_past_the_end_is_empty_and_links_back(login, staff, trail):
    response = page(login(staff["clinic_admin"]), page=9)
    assert response.status_code == 200 and summaries(response) == []
    assert "No events match." in response.content.decode()
    assert 'rel="prev"' in response.content.decode()


def test_an_enormous_page_number_is_not_a_server_error(login, staff, trail):
    response = page(login(staff["clinic_admin"]), page="9" * 40)
    assert response.status_code == 200
    assert response.context["page_obj"].number == MAX_UNCOUNTED_PAGE
