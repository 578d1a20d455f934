import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from kapcare.accounts.models import Role
from kapcare.courses.services import open_course
from kapcare.dosing.models import DosingSession
from tests.factories import ClientFactory, put_on_team
from tests.pathway import actor, ready_course, screened_course


def _overdue_session(clinic, client, course, number=1):
    now = timezone.now()
    return DosingSession.objects.create(
        clinic=clinic,
        client=client,
        course=course,
        number=number,
        status="discharged",
        scheduled_for=now - timezone.timedelta(days=5),
        discharged_at=now - timezone.timedelta(days=5),
    )


def test_therapist_home_shows_what_needs_them(clinic, staff, client_record, login):
    course = ready_course(clinic=clinic, staff=staff, client=client_record)
    _overdue_session(clinic, client_record, course)

    body = login(staff["therapist"]).get(reverse("home:home")).content.decode()

    assert "Needs you now" in body
    assert "Integration overdue" in body and "Ashby" in body
    assert "Your clients by stage" in body


def test_prescriber_home_lists_pending_eligibility_reviews(clinic, staff, client_record, login):
    screened_course(
        clinic=clinic,
        staff=staff,
        client=client_record,
        intake={"conditions": ["bipolar_disorder"]},
    )

    body = login(staff["prescriber"]).get(reverse("home:home")).content.decode()

    assert "Eligibility reviews pending" in body and "Ashby" in body


def test_clients_off_my_team_never_appear_on_my_home(clinic, staff, login):
    stranger = ClientFactory(clinic=clinic, last_name="Stranger")
    open_course(actor=actor(staff["front_desk"], clinic), client=stranger, condition="ptsd")

    body = login(staff["therapist"]).get(reverse("home:home")).content.decode()

    assert "Stranger" not in body


def _queries_for_home(http) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert http.get(reverse("home:home")).status_code == 200
    return len(captured)


@pytest.mark.parametrize("role", [Role.THERAPIST, Role.PRESCRIBER, Role.FRONT_DESK])
def test_home_runs_the_same_queries_for_few_and_many_clients(clinic, staff, login, role):
    http = login(staff[role])

    def add_clients(n, offset):
        for i in range(n):
            client = ClientFactory(clinic=clinic, last_name=f"Many{offset + i}")
            for team_role in (Role.THERAPIST, Role.PRESCRIBER, Role.NURSE):
                put_on_team(client, staff[team_role], team_role)
            course = ready_course(clinic=clinic, staff=staff, client=client)
            _overdue_session(clinic, client, course)

    add_clients(2, 0)
    few = _queries_for_home(http)
    add_clients(6, 10)
    many = _queries_for_home(http)

    assert few == many


def test_opening_home_audits_which_clients_it_named(clinic, staff, client_record, login):
    from kapcare.audit.models import AuditEvent

    ready_course(clinic=clinic, staff=staff, client=client_record)
    login(staff["therapist"]).get(reverse("home:home"))

    event = AuditEvent.objects.filter(object_type="home").get()
    assert event.actor == staff["therapist"] and event.action == "list"
    assert event.details["client_ids"] == [client_record.pk]


def test_a_serious_adverse_event_leads_the_prescribers_home_page(
    clinic, staff, client_record, login, django_capture_on_commit_callbacks
):
    from tests.dosing.test_services import _event, monitored

    ctx = monitored(clinic, staff, client_record)
    with django_capture_on_commit_callbacks(execute=True):
        _event(ctx, "severe", rescue_medication="Midazolam", rescue_dose="1 mg", rescue_route="IV")

    body = login(staff["prescriber"]).get(reverse("home:home")).content.decode()
    assert "Serious adverse event" in body and "Open the session" in body
    assert (
        "Serious adverse event"
        not in login(staff["therapist"]).get(reverse("home:home")).content.decode()
    )
