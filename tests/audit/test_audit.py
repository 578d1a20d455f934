"""The audit trail: one row per client page opened, rows that cannot change, and the admin view."""

import csv
import datetime as dt
import io
import zoneinfo

import pytest
from django.db import connection, transaction
from django.urls import reverse

from kapcare.accounts.models import Role
from kapcare.audit.models import AuditAction, AuditEvent
from kapcare.audit.services import record_event
from tests.factories import ClientFactory, make_staff

LA = zoneinfo.ZoneInfo("America/Los_Angeles")


def _csv_rows(response) -> list[list[str]]:
    body = b"".join(response.streaming_content).decode()
    return list(csv.reader(io.StringIO(body)))


@pytest.fixture
def admin_http(staff, login):
    return login(staff["clinic_admin"])


# --- Opening a client page ---------------------------------------------------------------------


def test_opening_a_client_page_writes_one_event_with_who_what_and_where(
    client_record, staff, login
):
    # Given the client's therapist, signed in
    therapist = staff["therapist"]
    http = login(therapist)
    before = set(AuditEvent.objects.values_list("pk", flat=True))

    # When they open the client's page from a known address and browser
    response = http.get(
        reverse("clients:detail", args=[client_record.pk]),
        headers={"user-agent": "Mozilla/5.0 (KAP test)", "x-request-id": "req-0123456789ab"},
        REMOTE_ADDR="203.0.113.7",
    )

    # Then exactly one event is written, and it says who, which client, and from where
    assert response.status_code == 200
    new = AuditEvent.objects.exclude(pk__in=before)
    assert new.count() == 1
    event = new.get()
    assert event.action == AuditAction.VIEW
    assert event.actor == therapist
    assert event.actor_label == therapist.email
    assert event.clinic == client_record.clinic
    assert event.client == client_record
    assert event.object_id == str(client_record.pk)
    assert event.ip_address == "203.0.113.7"
    assert event.user_agent == "Mozilla/5.0 (KAP test)"
    assert event.request_id == "req-0123456789ab"
    assert response["X-Request-ID"] == "req-0123456789ab"


def test_each_request_gets_its_own_request_id_when_none_is_sent(client_record, staff, login):
    # Given the client's therapist, signed in
    http = login(staff["therapist"])
    url = reverse("clients:detail", args=[client_record.pk])

    # When they open the page twice without a request id of their own
    first, second = http.get(url), http.get(url)

    # Then each view event carries the id its response reported, and the two differ
    events = list(AuditEvent.objects.filter(action=AuditAction.VIEW).order_by("id"))
    assert [e.request_id for e in events] == [first["X-Request-ID"], second["X-Request-ID"]]
    assert first["X-Request-ID"] != second["X-Request-ID"]


def test_a_refused_client_page_writes_no_view_event(client_record, staff, login):
    # Given front desk, who may see the client but not the access log
    http = login(staff["front_desk"])

    # When they try to open the access log
    response = http.get(reverse("clients:access_log", args=[client_record.pk]))

    # Then it is refused and nothing claims they viewed the client
    assert response.status_code == 403
    assert not AuditEvent.objects.filter(action=AuditAction.VIEW).exists()


# --- Append-only -------------------------------------------------------------------------------


@pytest.fixture
def stored_event(client_record, staff, actor_for):
    return record_event(
        actor=actor_for(staff["therapist"], client_record.clinic),
        action=AuditAction.VIEW,
        client=client_record,
        summary="Opened the record",
    )


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE audit_auditevent SET summary = 'nothing happened' WHERE id = %s",
        "DELETE FROM audit_auditevent WHERE id = %s",
    ],
    ids=["update", "delete"],
)
def test_raw_sql_cannot_change_or_remove_an_audit_event(stored_event, statement):
    # Given a stored audit event
    # When someone changes or deletes it with raw SQL, bypassing the ORM
    with (
        pytest.raises(Exception, match="append-only") as refused,
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(statement, [stored_event.pk])

    # Then the database refuses, and the row is as it was
    assert "append-only" in str(refused.value)
    stored_event.refresh_from_db()
    assert stored_event.summary == "Opened the record"


def test_orm_cannot_change_or_remove_an_audit_event(stored_event):
    # Given a stored audit event
    # When the ORM tries to update it, or to delete it
    with pytest.raises(Exception, match="append-only"), transaction.atomic():
        AuditEvent.objects.filter(pk=stored_event.pk).update(summary="rewritten")
    with pytest.raises(Exception, match="append-only"), transaction.atomic():
        AuditEvent.objects.filter(pk=stored_event.pk).delete()

    # Then the row is untouched
    assert AuditEvent.objects.get(pk=stored_event.pk).summary == "Opened the record"


# --- The admin audit page ------------------------------------------------------------------------


@pytest.fixture
def history(clinic, staff, actor_for):
    """Events by two staff members about two clients on two days, in the clinic's time zone."""
    alice = ClientFactory(clinic=clinic, first_name="Alice", last_name="Underhill")
    bruno = ClientFactory(clinic=clinic, first_name="Bruno", last_name="Vasquez")
    therapist = actor_for(staff["therapist"], clinic)
    nurse = actor_for(staff["nurse"], clinic)

    def at(actor, client, when):
        return AuditEvent.objects.create(
            clinic=clinic,
            actor=actor.user,
            actor_label=actor.user.email,
            client=client,
            action=AuditAction.VIEW,
            object_type="client.overview",
            occurred_at=when,
        )

    march_10 = dt.datetime(2025, 3, 10, 9, 0, tzinfo=LA)
    # 23:30 in Los Angeles on the 12th is already the 13th in UTC: it belongs to the 12th.
    march_12_late = dt.datetime(2025, 3, 12, 23, 30, tzinfo=LA)
    return {
        "alice": alice,
        "bruno": bruno,
        "therapist_alice_10": at(therapist, alice, march_10),
        "nurse_bruno_10": at(nurse, bruno, march_10),
        "therapist_bruno_12": at(therapist, bruno, march_12_late),
    }


def _shown(response) -> set[int]:
    return {event.pk for event in response.context["page_obj"]}


def test_audit_page_filters_by_client(admin_http, history):
    # When the admin filters by Alice
    response = admin_http.get(reverse("audit:log"), {"client": history["alice"].pk})

    # Then only events about Alice are shown
    assert response.status_code == 200
    shown = AuditEvent.objects.filter(pk__in=_shown(response))
    assert shown.exists()
    assert set(shown.values_list("client_id", flat=True)) == {history["alice"].pk}


def test_audit_page_filters_by_staff_member(admin_http, history, staff):
    # When the admin filters by the nurse
    response = admin_http.get(reverse("audit:log"), {"user": staff["nurse"].pk})

    # Then only the nurse's events are shown
    shown = AuditEvent.objects.filter(pk__in=_shown(response))
    assert shown.exists()
    assert set(shown.values_list("actor_id", flat=True)) == {staff["nurse"].pk}


def test_audit_page_filters_by_date_in_the_clinic_time_zone(admin_http, history):
    # When the admin asks for the 12th of March only
    response = admin_http.get(
        reverse("audit:log"), {"date_from": "2025-03-12", "date_to": "2025-03-12"}
    )

    # Then the late-evening event of the 12th (local time) is shown, and nothing else
    assert _shown(response) == {history["therapist_bruno_12"].pk}


def test_audit_page_combines_filters(admin_http, history, staff):
    # When the admin asks for the therapist's events about Bruno from the 10th to the 11th
    response = admin_http.get(
        reverse("audit:log"),
        {
            "client": history["bruno"].pk,
            "user": staff["therapist"].pk,
            "date_from": "2025-03-10",
            "date_to": "2025-03-11",
        },
    )

    # Then nothing matches: the therapist saw Bruno only on the 12th
    assert _shown(response) == set()


@pytest.mark.parametrize("role", ["front_desk", "therapist", "prescriber", "nurse"])
@pytest.mark.parametrize("url_name", ["audit:log", "audit:export"])
def test_only_clinic_admins_open_the_audit_log(role, url_name, staff, login, history):
    # Given a staff member who is not a clinic admin
    http = login(staff[role])

    # When they open the audit log or its export
    response = http.get(reverse(url_name))

    # Then they are refused, and no export is recorded
    assert response.status_code == 403
    assert "Underhill" not in response.content.decode()
    assert not AuditEvent.objects.filter(action=AuditAction.EXPORT).exists()


def test_audit_page_refuses_anonymous_visitors(history, client):
    response = client.get(reverse("audit:log"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


def test_audit_page_shows_no_other_clinic_events(admin_http, other_clinic, actor_for):
    # Given an event at another clinic
    stranger = ClientFactory(clinic=other_clinic, first_name="Xanthe", last_name="Foreign")
    outsider = make_staff(other_clinic, Role.THERAPIST)
    foreign = record_event(
        actor=actor_for(outsider, other_clinic), action=AuditAction.VIEW, client=stranger
    )

    # When this clinic's admin opens the audit log, even filtered to that client
    response = admin_http.get(reverse("audit:log"))
    filtered = admin_http.get(reverse("audit:log"), {"client": stranger.pk})

    # Then the other clinic's event is not there
    assert foreign.pk not in _shown(response)
    assert "Foreign" not in response.content.decode()
    assert foreign.pk not in _shown(filtered)


# --- CSV export ----------------------------------------------------------------------------------


def test_csv_export_has_a_header_and_the_filtered_rows(admin_http, history, staff):
    # When the admin exports the events about Bruno
    response = admin_http.get(reverse("audit:export"), {"client": history["bruno"].pk})

    # Then the file is CSV with a header row and exactly the events about Bruno
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    header, *rows = _csv_rows(response)
    assert header[:5] == ["occurred_at", "actor", "action", "client_id", "client"]
    expected = AuditEvent.objects.filter(client=history["bruno"]).count()
    assert len(rows) == expected == 2
    client_id_col, client_col = header.index("client_id"), header.index("client")
    assert {row[client_id_col] for row in rows} == {str(history["bruno"].pk)}
    assert {row[client_col] for row in rows} == {"Bruno Vasquez"}
    assert {row[header.index("actor")] for row in rows} == {
        staff["therapist"].email,
        staff["nurse"].email,
    }


def test_csv_export_is_itself_audited(admin_http, history, staff):
    # When the admin exports the log
    response = admin_http.get(reverse("audit:export"), {"user": staff["nurse"].pk})
    _csv_rows(response)

    # Then an EXPORT event records who exported it and with which filters
    export = AuditEvent.objects.get(action=AuditAction.EXPORT)
    assert export.actor == staff["clinic_admin"]
    assert export.clinic == history["alice"].clinic
    assert export.details["filters"] == {"user": str(staff["nurse"].pk)}


def test_csv_export_escapes_a_client_name_that_looks_like_a_formula(
    admin_http, clinic, staff, actor_for
):
    # Given a client whose name a spreadsheet would run as a formula
    sneaky = ClientFactory(
        clinic=clinic, first_name='=HYPERLINK("http://evil.test")', last_name="X"
    )
    record_event(
        actor=actor_for(staff["front_desk"], clinic), action=AuditAction.VIEW, client=sneaky
    )

    # When the admin exports the log
    header, *rows = _csv_rows(admin_http.get(reverse("audit:export"), {"client": sneaky.pk}))

    # Then the cell starts with a quote, so it is text, not a formula
    names = [row[header.index("client")] for row in rows]
    assert names == ["'" + sneaky.full_name]
    assert not any(cell.startswith("=") for row in rows for cell in row)


def test_csv_export_with_a_bad_filter_is_refused_without_an_export(admin_http, history):
    # When the admin asks for an impossible date range
    response = admin_http.get(
        reverse("audit:export"), {"date_from": "2025-03-12", "date_to": "2025-03-01"}
    )

    # Then nothing is exported, and no export is recorded
    assert response.status_code == 400
    assert not AuditEvent.objects.filter(action=AuditAction.EXPORT).exists()


# --- Audit what was shown, not what was asked for ----------------------------------------------


def test_an_invalid_post_to_the_edit_form_is_audited_as_a_view_of_what_it_showed(
    client_record, staff, login
):
    # Given front desk on a client's edit form
    http = login(staff["front_desk"])

    # When they post it with a bad field, and the form comes back with the client's details
    response = http.post(
        reverse("clients:edit", args=[client_record.pk]),
        {"first_name": "Rowan", "last_name": "", "date_of_birth": "1980-01-01"},
    )

    # Then the re-rendered form (the client's demographics) is audited as one view, no change
    assert response.status_code == 200
    events = list(AuditEvent.objects.all())
    assert [(e.action, e.client) for e in events] == [(AuditAction.VIEW, client_record)]


@pytest.mark.parametrize("fmt", ["xls", "docx"])
def test_an_export_in_an_unknown_format_is_404_and_not_audited(fmt, client_record, staff, login):
    # Given the client's prescriber
    http = login(staff["prescriber"])

    # When they ask for the client's administrations in a format kapcare does not make
    response = http.get(reverse("ledger:client_export", args=[client_record.pk, fmt]))

    # Then nothing was exported and nothing says it was
    assert response.status_code == 404
    assert not AuditEvent.objects.filter(action=AuditAction.EXPORT).exists()


def test_an_export_that_is_made_is_audited_once(client_record, staff, login):
    http = login(staff["prescriber"])
    response = http.get(reverse("ledger:client_export", args=[client_record.pk, "csv"]))
    assert response.status_code == 200
    b"".join(response.streaming_content)
    event = AuditEvent.objects.get(action=AuditAction.EXPORT)
    assert (event.client, event.actor) == (client_record, staff["prescriber"])
