"""Client registration and edits, care-team changes and the ledger over REST: the UI's gates,
forms and services."""

import pytest

from kapcare.accounts.actor import Actor
from kapcare.accounts.models import Role
from kapcare.audit.models import AuditAction, AuditEvent
from kapcare.clients.models import CareTeamMember, Client
from kapcare.ledger.models import Location, LocationKind
from tests.api_helpers import bearer
from tests.factories import ClientFactory
from tests.ledger.conftest import make_product, receive

pytestmark = pytest.mark.django_db

NEW = {"first_name": "Ada", "last_name": "Moss", "date_of_birth": "1980-02-03"}


def post(http, path, body):
    return http.post(path, body, content_type="application/json")


def test_front_desk_registers_and_edits_a_client_through_the_service(clinic, staff):
    http = bearer(staff[Role.FRONT_DESK], clinic)
    created = post(http, "/api/v1/clients/", NEW)
    assert created.status_code == 201, created.content
    client = Client.objects.get(pk=created.json()["id"])
    assert client.clinic == clinic and client.status == "prospective"
    assert AuditEvent.objects.filter(action=AuditAction.CREATE, client=client).exists()
    edited = http.patch(
        f"/api/v1/clients/{client.pk}/", {"phone": "555-0100"}, content_type="application/json"
    )
    assert edited.status_code == 200 and edited.json()["phone"] == "555-0100"
    changed = AuditEvent.objects.get(action=AuditAction.UPDATE, client=client)
    assert changed.details["fields"] == ["phone"] and changed.details["api_token_id"]


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ({**NEW, "date_of_birth": "2999-01-01"}, 400, "date_of_birth"),
        ({**NEW, "date_of_birth": 5}, 400, "date_of_birth"),
        ({"first_name": "Ada"}, 400, "last_name"),
        ({**NEW, "status": "nope"}, 400, "status"),
        ({**NEW, "email": "not-an-address"}, 400, "email"),
    ],
)
def test_bad_client_bodies_are_400_with_the_field_and_nothing_saved(
    clinic, staff, body, status, field
):
    http = bearer(staff[Role.FRONT_DESK], clinic)
    refused = post(http, "/api/v1/clients/", body)
    assert refused.status_code == status, refused.content
    assert field in refused.json()["error"]["fields"]
    assert not Client.objects.exists()


def test_clinicians_do_not_register_and_edit_only_their_teams_clients(clinic, staff, client_record):
    http = bearer(staff[Role.THERAPIST], clinic)
    assert post(http, "/api/v1/clients/", NEW).status_code == 403
    stranger = ClientFactory(clinic=clinic)
    path = f"/api/v1/clients/{stranger.pk}/"
    assert http.patch(path, {"phone": "1"}, content_type="application/json").status_code == 404
    readonly = bearer(staff[Role.FRONT_DESK], clinic, "user/Patient.rs")
    assert post(readonly, "/api/v1/clients/", NEW).status_code == 403
    assert not Client.objects.filter(first_name="Ada").exists()


def test_clinic_admin_changes_the_care_team_through_the_service(clinic, staff, client_record):
    admin = bearer(staff[Role.CLINIC_ADMIN], clinic)
    therapist = bearer(staff[Role.THERAPIST], clinic)
    body = {"client": client_record.pk, "user": staff[Role.NURSE].pk, "role": "therapist"}
    wrong_role = post(admin, "/api/v1/care-team-members/", body)
    assert wrong_role.status_code == 422 and "user" in wrong_role.json()["error"]["fields"]
    stranger = ClientFactory(clinic=clinic)
    body = {"client": stranger.pk, "user": staff[Role.NURSE].pk, "role": "nurse"}
    assert post(therapist, "/api/v1/care-team-members/", body).status_code == 404
    added = post(admin, "/api/v1/care-team-members/", body)
    assert added.status_code == 201, added.content
    member = CareTeamMember.objects.get(pk=added.json()["id"])
    assert therapist.delete(f"/api/v1/care-team-members/{member.pk}/").status_code == 404
    assert admin.delete(f"/api/v1/care-team-members/{member.pk}/").status_code == 204
    assert not CareTeamMember.objects.filter(pk=member.pk).exists()
    assert AuditEvent.objects.filter(action=AuditAction.DELETE, client=stranger).exists()


def test_ledger_is_for_the_roles_the_ledger_pages_admit(
    clinic, staff, client_record, django_assert_max_num_queries
):
    safe = Location.objects.create(clinic=clinic, name="Main safe", kind=LocationKind.SAFE)
    product = make_product(clinic)
    nurse = Actor.for_user(staff[Role.NURSE], clinic)
    receive(nurse, product, safe)
    admin = bearer(staff[Role.CLINIC_ADMIN], clinic, "user/LedgerEntry.rs")
    refused = bearer(staff[Role.THERAPIST], clinic, "user/LedgerEntry.rs").get(
        "/api/v1/ledger-entries/"
    )
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "permission_denied"
    with django_assert_max_num_queries(9):
        rows = admin.get("/api/v1/ledger-entries/").json()["results"]
    assert [r["kind"] for r in rows] == ["receipt"] and rows[0]["product"] == product.pk
    for n in range(10):
        receive(nurse, product, safe, lot_number=f"KX2{n:03}")
    with django_assert_max_num_queries(9):
        assert len(admin.get("/api/v1/ledger-entries/").json()["results"]) == 11
    assert admin.get(f"/api/v1/ledger-entries/?product={product.pk + 1}").json()["results"] == []
    assert (
        len(admin.get(f"/api/v1/ledger-entries/?location={safe.pk}&kind=receipt").json()["results"])
        == 11
    )
    assert admin.get("/api/v1/ledger-entries/?date_to=2000-01-01").json()["results"] == []
    assert admin.get("/api/v1/ledger-entries/?kind=bogus").status_code == 400
    assert AuditEvent.objects.filter(object_type="api.ledger_entry.list").exists()
