"""The client pages: list (search, filter, pages, HTMX, query count), create, edit, care team."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from kapcare.accounts.models import Role
from kapcare.audit.models import AuditAction, AuditEvent
from kapcare.clients.models import CareTeamMember, Client, ClientStatus
from tests.factories import ClientFactory, make_staff, put_on_team

VALID_CLIENT = {
    "first_name": "Imogen",
    "last_name": "Thackeray",
    "preferred_name": "",
    "date_of_birth": "1979-06-30",
    "pronouns": "she/her",
    "email": "imogen@example.com",
    "phone": "(503) 555-0199",
    "address": "1 Elm St",
    "emergency_contact_name": "Felix Thackeray",
    "emergency_contact_relationship": "brother",
    "emergency_contact_phone": "(503) 555-0198",
    "status": ClientStatus.PROSPECTIVE,
}


def _add_clients(clinic, count: int, team: list) -> None:
    """`count` clients at `clinic`, each with `team` (user, role) pairs, in two INSERTs."""
    start = Client.objects.count()
    clients = Client.objects.bulk_create(
        Client(
            clinic=clinic,
            first_name=f"Bulk{start + i:04d}",
            last_name=f"Person{start + i:04d}",
            date_of_birth=dt.date(1980, 1, 1) + dt.timedelta(days=i),
            status=ClientStatus.ACTIVE,
        )
        for i in range(count)
    )
    CareTeamMember.objects.bulk_create(
        CareTeamMember(clinic=clinic, client=client, user=user, role=role)
        for client in clients
        for user, role in team
    )


def _listed(response) -> list[Client]:
    return list(response.context["page_obj"])


# --- Client list -------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["therapist", "front_desk"])
def test_client_list_runs_the_same_queries_for_10_and_500_clients(role, clinic, staff, login):
    # Given a clinic whose clients each have a three-person care team
    team = [(staff[r], r) for r in (Role.THERAPIST, Role.PRESCRIBER, Role.NURSE)]
    _add_clients(clinic, 10, team)
    http = login(staff[role])
    url = reverse("clients:list")
    http.get(url)  # warm up: session, content types

    # When the list is opened with 10 clients, and again with 500
    with CaptureQueriesContext(connection) as with_10:
        small = http.get(url)
    _add_clients(clinic, 490, team)
    with CaptureQueriesContext(connection) as with_500:
        large = http.get(url)

    # Then both pages cost the same number of queries (no query per client or per team member)
    assert len(_listed(small)) == 10
    assert len(_listed(large)) == 25
    assert len(with_10) == len(with_500), [q["sql"] for q in with_500.captured_queries]


@pytest.fixture
def searchable(clinic, staff):
    people = {
        "alma": ClientFactory(
            clinic=clinic,
            first_name="Alma",
            last_name="Fenwick",
            status=ClientStatus.ACTIVE,
            email="alma.f@example.com",
        ),
        "bruno": ClientFactory(
            clinic=clinic,
            first_name="Bruno",
            last_name="Fenwick",
            status=ClientStatus.DISCHARGED,
            phone="(503) 555-7788",
        ),
        "cora": ClientFactory(
            clinic=clinic,
            first_name="Cora",
            last_name="Lindgren",
            status=ClientStatus.ACTIVE,
        ),
    }
    for person in people.values():
        put_on_team(person, staff["therapist"], Role.THERAPIST)
    return people


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"q": "fenwick"}, {"alma", "bruno"}),
        ({"q": "FENWICK alma"}, {"alma"}),
        ({"q": "alma.f@example"}, {"alma"}),
        ({"q": "555-7788"}, {"bruno"}),
        ({"status": ClientStatus.ACTIVE}, {"alma", "cora"}),
        ({"q": "fenwick", "status": ClientStatus.DISCHARGED}, {"bruno"}),
        ({"q": "nobody-by-that-name"}, set()),
        ({}, {"alma", "bruno", "cora"}),
    ],
    ids=[
        "last-name",
        "two-terms",
        "email",
        "phone",
        "status",
        "search-and-status",
        "no-match",
        "unfiltered",
    ],
)
def test_client_list_search_and_status_filter(query, expected, searchable, staff, login):
    # When the therapist searches their clients
    response = login(staff["therapist"]).get(reverse("clients:list"), query)

    # Then exactly the matching clients are listed
    assert response.status_code == 200
    assert {c.pk for c in _listed(response)} == {searchable[k].pk for k in expected}


def test_client_list_search_never_reaches_beyond_the_care_team(searchable, clinic, staff, login):
    # Given a Fenwick the therapist does not care for
    ClientFactory(clinic=clinic, first_name="Dora", last_name="Fenwick")

    # When the therapist searches for Fenwick
    response = login(staff["therapist"]).get(reverse("clients:list"), {"q": "fenwick"})

    # Then only their own Fenwicks come back
    assert {c.first_name for c in _listed(response)} == {"Alma", "Bruno"}
    assert "Dora" not in response.content.decode()


def test_client_list_with_an_unknown_status_shows_an_error_not_a_crash(searchable, staff, login):
    response = login(staff["therapist"]).get(reverse("clients:list"), {"status": "deceased"})
    assert response.status_code == 200
    assert "status" in response.context["form"].errors


@pytest.mark.parametrize(
    ("page", "expected_number", "expected_rows"),
    [("1", 1, 25), ("2", 2, 5), ("999", 2, 5), ("abc", 1, 25)],
    ids=["first", "second", "past-the-end", "not-a-number"],
)
def test_client_list_is_paginated_25_at_a_time(
    page, expected_number, expected_rows, clinic, staff, login
):
    # Given 30 clients at the clinic
    _add_clients(clinic, 30, [])

    # When front desk asks for a page of the list
    response = login(staff["front_desk"]).get(reverse("clients:list"), {"page": page})

    # Then it holds that page's clients, and out-of-range pages fall back sensibly
    assert response.status_code == 200
    page_obj = response.context["page_obj"]
    assert page_obj.number == expected_number
    assert len(page_obj.object_list) == expected_rows
    assert page_obj.paginator.count == 30


def test_client_list_pages_do_not_overlap(clinic, staff, login):
    _add_clients(clinic, 30, [])
    http = login(staff["front_desk"])
    first = {c.pk for c in _listed(http.get(reverse("clients:list"), {"page": 1}))}
    second = {c.pk for c in _listed(http.get(reverse("clients:list"), {"page": 2}))}
    assert not first & second
    assert len(first | second) == 30


def test_htmx_request_gets_the_table_fragment_without_the_layout(searchable, staff, login):
    # When the list's search box asks through HTMX
    response = login(staff["therapist"]).get(
        reverse("clients:list"), {"q": "fenwick"}, headers={"HX-Request": "true"}
    )

    # Then only the table fragment comes back, with the matching clients
    body = response.content.decode()
    assert response.status_code == 200
    assert response.templates[0].name == "clients/partials/_client_table.html"
    assert "<html" not in body
    assert "<body" not in body
    assert "Fenwick, Alma" in body
    assert "Lindgren" not in body


def test_plain_request_gets_the_whole_page(searchable, staff, login):
    response = login(staff["therapist"]).get(reverse("clients:list"))
    assert "<html" in response.content.decode()
    assert "clients/client_list.html" in [t.name for t in response.templates]


def test_client_list_is_audited_with_the_ids_shown(searchable, staff, login):
    response = login(staff["therapist"]).get(reverse("clients:list"), {"q": "fenwick"})
    event = AuditEvent.objects.get(action=AuditAction.LIST)
    assert event.actor == staff["therapist"]
    assert sorted(event.details["client_ids"]) == sorted(c.pk for c in _listed(response))


def test_anonymous_visitor_is_sent_to_login(client_record, client):
    response = client.get(reverse("clients:list"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


# --- Create and edit ---------------------------------------------------------------------------


def test_front_desk_registers_a_client_and_it_is_audited(clinic, staff, login):
    # When front desk registers a client with good details
    response = login(staff["front_desk"]).post(reverse("clients:create"), VALID_CLIENT)

    # Then the client exists at the clinic, and the registration is audited
    client = Client.objects.get(last_name="Thackeray")
    assert response.status_code == 302
    assert response["Location"] == reverse("clients:detail", args=[client.pk])
    assert client.clinic == clinic
    event = AuditEvent.objects.get(action=AuditAction.CREATE)
    assert (event.actor, event.client) == (staff["front_desk"], client)


FUTURE = (timezone.localdate() + dt.timedelta(days=1)).isoformat()
BAD_INPUT = [
    pytest.param({"last_name": ""}, "last_name", id="missing-last-name"),
    pytest.param({"date_of_birth": FUTURE}, "date_of_birth", id="future-date-of-birth"),
    pytest.param({"date_of_birth": "1890-01-01"}, "date_of_birth", id="implausibly-old"),
    pytest.param({"email": "imogen-at-example"}, "email", id="malformed-email"),
    pytest.param({"status": "deceased"}, "status", id="unknown-status"),
]


@pytest.mark.parametrize(("change", "field"), BAD_INPUT)
def test_create_with_bad_input_shows_a_field_error_and_saves_nothing(
    change, field, clinic, staff, login
):
    # Given front desk on the registration form
    http = login(staff["front_desk"])
    clients_before, events_before = Client.objects.count(), AuditEvent.objects.count()

    # When they submit it with one bad field
    response = http.post(reverse("clients:create"), {**VALID_CLIENT, **change})

    # Then the form comes back with that field's error, and nothing was saved or audited
    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert Client.objects.count() == clients_before
    assert AuditEvent.objects.count() == events_before


@pytest.mark.parametrize(("change", "field"), BAD_INPUT)
def test_edit_with_bad_input_shows_a_field_error_and_changes_nothing(
    change, field, client_record, staff, login
):
    # Given front desk editing an existing client
    http = login(staff["front_desk"])
    before = Client.objects.values().get(pk=client_record.pk)
    events_before = AuditEvent.objects.count()

    # When they submit the edit form with one bad field
    response = http.post(
        reverse("clients:edit", args=[client_record.pk]), {**VALID_CLIENT, **change}
    )

    # Then the form comes back with that field's error, and the record is as it was; the
    # re-rendered form showed the client's details, so it is audited as a view, not a change
    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert Client.objects.values().get(pk=client_record.pk) == before
    new_events = AuditEvent.objects.all()[: AuditEvent.objects.count() - events_before]
    assert [e.action for e in new_events] == [AuditAction.VIEW]


def test_front_desk_edits_a_client_and_the_changed_fields_are_audited(client_record, staff, login):
    # When front desk changes the client's phone number
    data = {**VALID_CLIENT, "first_name": "Rowan", "last_name": "Ashby", "phone": "(503) 555-4242"}
    response = login(staff["front_desk"]).post(
        reverse("clients:edit", args=[client_record.pk]), data
    )

    # Then it is saved, and the audit row names the fields that changed but not their values
    assert response.status_code == 302
    client_record.refresh_from_db()
    assert client_record.phone == "(503) 555-4242"
    event = AuditEvent.objects.get(action=AuditAction.UPDATE)
    assert "phone" in event.details["fields"]
    assert "555-4242" not in str(event.details) + event.summary


@pytest.mark.parametrize("role", ["therapist", "prescriber", "nurse"])
def test_clinicians_cannot_register_clients(role, staff, login):
    # Given a clinician
    http = login(staff[role])

    # When they open or submit the registration form
    page = http.get(reverse("clients:create"))
    submitted = http.post(reverse("clients:create"), VALID_CLIENT)

    # Then both are refused and no client is created
    assert page.status_code == 403
    assert submitted.status_code == 403
    assert not Client.objects.filter(last_name="Thackeray").exists()


# --- Unknown and foreign ids ---------------------------------------------------------------------

CLIENT_URLS = ["clients:detail", "clients:edit", "clients:care_team", "clients:access_log"]


@pytest.mark.parametrize("url_name", CLIENT_URLS)
@pytest.mark.parametrize(
    "which", ["unknown", "foreign", "beyond-64-bit"], ids=["unknown", "foreign", "huge"]
)
def test_unknown_or_foreign_client_ids_are_404_never_500(
    url_name, which, client_record, other_clinic, staff, login
):
    # Given a clinic admin, who sees every client of their own clinic
    http = login(staff["clinic_admin"])
    client_id = {
        "unknown": client_record.pk + 10_000,
        "foreign": ClientFactory(clinic=other_clinic, last_name="Foreignson").pk,
        "beyond-64-bit": 2**70,
    }[which]

    # When they open a client page by an id that is not their clinic's
    response = http.get(reverse(url_name, args=[client_id]))

    # Then it is simply not found
    assert response.status_code == 404
    assert "Foreignson" not in response.content.decode()


@pytest.mark.parametrize("which", ["unknown", "other-clients-member", "huge"])
def test_removing_an_unknown_care_team_member_is_404(which, client_record, clinic, staff, login):
    # Given a care team member of a different client
    other = ClientFactory(clinic=clinic)
    elsewhere = put_on_team(other, staff["therapist"], Role.THERAPIST)
    member_id = {
        "unknown": elsewhere.pk + 10_000,
        "other-clients-member": elsewhere.pk,
        "huge": 2**70,
    }[which]

    # When the admin asks to remove that member through this client's page
    response = login(staff["clinic_admin"]).post(
        reverse("clients:care_team_remove", args=[client_record.pk, member_id])
    )

    # Then nothing is found and nothing is removed
    assert response.status_code == 404
    assert CareTeamMember.objects.filter(pk=elsewhere.pk).exists()


# --- Care team ----------------------------------------------------------------------------------


def test_clinic_admin_adds_a_therapist_to_the_care_team_and_it_is_audited(
    client_record, clinic, staff, login
):
    # Given a second therapist at the clinic, not yet on the client's team
    newcomer = make_staff(clinic, Role.THERAPIST, full_name="Noor Haddad")

    # When the clinic admin adds them as a therapist
    response = login(staff["clinic_admin"]).post(
        reverse("clients:care_team", args=[client_record.pk]),
        {"user": newcomer.pk, "role": Role.THERAPIST},
    )

    # Then they are on the team, and the addition is audited
    assert response.status_code == 302
    assert CareTeamMember.objects.filter(client=client_record, user=newcomer).exists()
    event = AuditEvent.objects.get(action=AuditAction.CREATE, client=client_record)
    assert event.actor == staff["clinic_admin"]
    assert event.details == {"user_id": newcomer.pk, "role": Role.THERAPIST}


def test_clinic_admin_removes_a_care_team_member_and_it_is_audited(client_record, staff, login):
    # Given the client's nurse on the care team
    member = CareTeamMember.objects.get(client=client_record, user=staff["nurse"])

    # When the clinic admin removes them
    response = login(staff["clinic_admin"]).post(
        reverse("clients:care_team_remove", args=[client_record.pk, member.pk])
    )

    # Then the nurse is off the team, the removal is audited, and the nurse can no longer see
    # the client
    assert response.status_code == 302
    assert not CareTeamMember.objects.filter(pk=member.pk).exists()
    event = AuditEvent.objects.get(action=AuditAction.DELETE)
    assert (event.actor, event.client) == (staff["clinic_admin"], client_record)
    assert event.details == {"user_id": staff["nurse"].pk, "role": Role.NURSE}


def test_removed_clinician_loses_access_at_once(client_record, staff, login):
    member = CareTeamMember.objects.get(client=client_record, user=staff["nurse"])
    login(staff["clinic_admin"]).post(
        reverse("clients:care_team_remove", args=[client_record.pk, member.pk])
    )
    response = login(staff["nurse"]).get(reverse("clients:detail", args=[client_record.pk]))
    assert response.status_code == 404


def test_adding_someone_in_the_wrong_role_is_refused_with_a_message(client_record, staff, login):
    # Given the clinic's nurse, who is not a therapist
    nurse = staff["nurse"]
    events_before = AuditEvent.objects.exclude(action=AuditAction.VIEW).count()

    # When the admin tries to add the nurse to the team as a therapist
    response = login(staff["clinic_admin"]).post(
        reverse("clients:care_team", args=[client_record.pk]),
        {"user": nurse.pk, "role": Role.THERAPIST},
    )

    # Then it is refused with a message saying why, and nothing changes
    assert response.status_code == 200
    assert "is not a therapist at this clinic" in response.content.decode()
    assert not CareTeamMember.objects.filter(
        client=client_record, user=nurse, role=Role.THERAPIST
    ).exists()
    assert AuditEvent.objects.exclude(action=AuditAction.VIEW).count() == events_before


@pytest.mark.parametrize("who", ["front-desk-colleague", "therapist-at-another-clinic"])
def test_adding_someone_who_is_not_a_clinician_here_is_refused(
    who, client_record, other_clinic, staff, login
):
    # Given someone who is not a therapist at this clinic
    candidate = {
        "front-desk-colleague": staff["front_desk"],
        "therapist-at-another-clinic": make_staff(other_clinic, Role.THERAPIST),
    }[who]
    team_before = CareTeamMember.objects.count()

    # When the admin tries to add them to the team as a therapist
    response = login(staff["clinic_admin"]).post(
        reverse("clients:care_team", args=[client_record.pk]),
        {"user": candidate.pk, "role": Role.THERAPIST},
    )

    # Then the form refuses them on the clinician field
    assert response.status_code == 200
    assert "user" in response.context["form"].errors
    assert CareTeamMember.objects.count() == team_before


@pytest.mark.parametrize("role", ["front_desk", "therapist", "prescriber", "nurse"])
def test_only_clinic_admins_change_the_care_team(role, client_record, clinic, staff, login):
    # Given a staff member who may see the client but is not a clinic admin
    newcomer = make_staff(clinic, Role.THERAPIST)
    member = CareTeamMember.objects.get(client=client_record, user=staff["nurse"])
    http = login(staff[role])

    # When they try to add or remove a team member
    added = http.post(
        reverse("clients:care_team", args=[client_record.pk]),
        {"user": newcomer.pk, "role": Role.THERAPIST},
    )
    removed = http.post(reverse("clients:care_team_remove", args=[client_record.pk, member.pk]))

    # Then both are refused
    assert added.status_code == 403
    assert removed.status_code == 403
    assert not CareTeamMember.objects.filter(user=newcomer).exists()
    assert CareTeamMember.objects.filter(pk=member.pk).exists()


def test_a_client_without_a_care_team_says_who_chooses_it(clinic, staff, login):
    # Given a client fresh from an inquiry, with no care team yet
    newcomer = ClientFactory(clinic=clinic, first_name="Juniper", last_name="Hale")
    url = reverse("clients:detail", args=[newcomer.pk])

    # Then the admin is pointed at the care team tab, and the front desk told who does it
    admin_page = login(staff[Role.CLINIC_ADMIN]).get(url).content.decode()
    desk_page = login(staff[Role.FRONT_DESK]).get(url).content.decode()

    care_team_url = reverse("clients:care_team", args=[newcomer.pk])
    assert f'href="{care_team_url}">Choose the care team</a>' in admin_page
    assert "A clinic admin chooses it" in desk_page and care_team_url not in desk_page
