"""The client picker: typed name or record number, a bounded list of suggestions the user may
see, and forms (the audit log filter, a staff member's care teams) that no longer list every
client of the clinic as an <option>."""

import pytest
from django.urls import reverse

from kapcare.audit.models import AuditAction, AuditEvent
from kapcare.audit.services import record_event
from kapcare.clients.picker_views import SUGGESTIONS
from tests.factories import ClientFactory, make_staff, put_on_team

SUGGEST = reverse("clients:suggest")


def _options(response) -> list[str]:
    return [line for line in response.content.decode().splitlines() if "<option" in line]


def test_suggestions_match_the_name_and_the_record_number(clinic, staff, login):
    ada = ClientFactory(clinic=clinic, first_name="Ada", last_name="Quarrie")
    ClientFactory(clinic=clinic, first_name="Bo", last_name="Other")
    http = login(staff["front_desk"])

    assert _options(http.get(SUGGEST, {"client": "quar"})) == [
        f'<option value="Ada Quarrie (#{ada.pk})"></option>'
    ]
    assert len(_options(http.get(SUGGEST, {"client": "ada quarr"}))) == 1
    assert len(_options(http.get(SUGGEST, {"client": str(ada.pk)}))) == 1
    assert len(_options(http.get(SUGGEST, {"client": f"#{ada.pk}"}))) == 1
    assert _options(http.get(SUGGEST, {"client": "q"})) == []  # too short to be worth it


def test_suggestions_are_bounded(clinic, staff, login):
    for i in range(3 * SUGGESTIONS):
        ClientFactory(clinic=clinic, last_name=f"Manyfold{i}")
    http = login(staff["front_desk"])

    assert len(_options(http.get(SUGGEST, {"client": "manyfold"}))) == SUGGESTIONS


def test_suggestions_hold_only_clients_the_user_may_see(clinic, other_clinic, staff, login):
    mine = ClientFactory(clinic=clinic, last_name="Visible")
    put_on_team(mine, staff["therapist"], "therapist")
    ClientFactory(clinic=clinic, last_name="Visibleelsewhere")  # not on the therapist's team
    foreign = ClientFactory(clinic=other_clinic, last_name="Visibleforeign")
    http = login(staff["therapist"])

    assert len(_options(http.get(SUGGEST, {"client": "visible"}))) == 1
    assert _options(http.get(SUGGEST, {"client": str(foreign.pk)})) == []
    assert len(_options(login(staff["front_desk"]).get(SUGGEST, {"client": "visible"}))) == 2


def test_suggestions_are_audited_as_a_read_of_the_clients_they_name(clinic, staff, login):
    ada = ClientFactory(clinic=clinic, last_name="Quarrie")
    http = login(staff["front_desk"])

    http.get(SUGGEST, {"client": "quarrie"})
    http.get(SUGGEST, {"client": "nobody-by-this-name"})

    [event] = AuditEvent.objects.filter(object_type="client.suggest")
    assert event.action == AuditAction.LIST and event.details["client_ids"] == [ada.pk]


def test_suggestions_need_a_signed_in_staff_member(client):
    response = client.get(SUGGEST, {"client": "ashby"})
    assert response.status_code == 302


@pytest.mark.parametrize(
    "hostile",
    [
        "x" * 101,
        "a\x00b",
        "%%__%%",
        "'; DROP TABLE clients_client; --",
        "<script>alert(1)</script>",
        "#99999999999999999999",
        "#" + "9" * 12,
        "🙂🙂🙂",
        "\u202e\u200b",
        " " * 50,
    ],
)
def test_hostile_input_is_refused_or_matches_nothing_never_a_500(clinic, staff, login, hostile):
    ClientFactory(clinic=clinic, last_name="Ashby")
    http = login(staff["front_desk"])

    response = http.get(SUGGEST, {"client": hostile})
    assert response.status_code in (200, 400)
    assert "<script>" not in response.content.decode()

    audit = login(staff["clinic_admin"]).get(reverse("audit:log"), {"client": hostile})
    assert audit.status_code in (200, 400)


# --- The audit log's client filter ----------------------------------------------------------------


@pytest.fixture
def events(clinic, staff, actor_for):
    admin = actor_for(staff["clinic_admin"], clinic)
    people = {
        "ada": ClientFactory(clinic=clinic, first_name="Ada", last_name="Quarrie"),
        "ann": ClientFactory(clinic=clinic, first_name="Ann", last_name="Quarrie"),
        "bo": ClientFactory(clinic=clinic, first_name="Bo", last_name="Lindqvist"),
    }
    for person in people.values():
        record_event(actor=admin, action=AuditAction.VIEW, client=person)
    return people


def _shown_clients(response) -> set[int]:
    return {event.client_id for event in response.context["page_obj"]}


def test_the_audit_log_filters_by_a_typed_name(staff, login, events):
    http = login(staff["clinic_admin"])

    response = http.get(reverse("audit:log"), {"client": "lindq"})

    assert _shown_clients(response) == {events["bo"].pk}


def test_the_audit_log_filters_by_a_chosen_suggestion(staff, login, events):
    http = login(staff["clinic_admin"])
    label = f"Ada Quarrie (#{events['ada'].pk})"

    response = http.get(reverse("audit:log"), {"client": label})

    assert _shown_clients(response) == {events["ada"].pk}
    assert f'value="{label}"' in response.content.decode()  # the input keeps the choice


def test_a_name_that_matches_several_clients_is_explained_at_the_field(staff, login, events):
    http = login(staff["clinic_admin"])

    body = http.get(reverse("audit:log"), {"client": "quarrie"}).content.decode()
    assert "Several clients match" in body and "record number" in body

    body = http.get(reverse("audit:log"), {"client": "#987654"}).content.decode()
    assert "No client has the record number 987654" in body


@pytest.mark.parametrize("extra", [0, 40])
def test_the_audit_log_lists_no_client_options_however_many_clients(
    clinic, staff, login, events, extra, django_assert_max_num_queries
):
    for i in range(extra):
        ClientFactory(clinic=clinic, last_name=f"Extra{i}")
    http = login(staff["clinic_admin"])

    with django_assert_max_num_queries(20):
        body = http.get(reverse("audit:log")).content.decode()

    assert "Extra" not in body and "Lindqvist" in body  # names in the events, not in options
    assert 'list="id_client-options"' in body and f'hx-get="{SUGGEST}"' in body
    assert body.count("<option") < 60  # the action and staff filters' options, no clients


def test_the_staff_page_adds_a_client_to_a_care_team_by_typed_name(clinic, staff, login):
    from kapcare.clients.models import CareTeamMember

    ada = ClientFactory(clinic=clinic, first_name="Ada", last_name="Quarrie")
    therapist = make_staff(clinic, "therapist")
    http = login(staff["clinic_admin"])
    for i in range(30):
        ClientFactory(clinic=clinic, last_name=f"Extra{i}")

    page = http.get(reverse("staff:detail", args=[therapist.pk])).content.decode()
    assert "Extra" not in page and 'list="id_client-options"' in page

    http.post(
        reverse("staff_care_team:add", args=[therapist.pk]),
        {"client": "quarrie", "role": "therapist"},
    )
    assert CareTeamMember.objects.filter(client=ada, user=therapist).exists()
