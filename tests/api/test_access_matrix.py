"""Issue 13, acceptance 4: a clinician's token cannot read anything outside that clinician's care
teams — the UI's access matrix (tests/clients/test_access_matrix.py), through the API.

Two parts:
- The UI's own table of roles × relations (on the team, off it, another clinic's client where
  the user also works): through /fhir/Patient (search and read) and /api/v1/clients/ (list and
  detail) a `user/*.cruds` token sees a client exactly when the UI lists it, and its visible set
  is exactly clients_visible_to(actor), the UI's rule.
- Every registered FHIR type (kapcare.fhir.registry, which other parts of issue 13 extend), in
  the demo clinic, for a token of each demo role and of a therapist on no care team: every row a
  search returns is about a client the user may see (ResourceType.client_id) and names no other
  Patient; every row about a client they may not see is 404 (or 403) when read by id; and a
  type the API creates refuses a resource about a client they may not see, saving nothing.
"""

import re

import pytest

from kapcare.accounts.actor import Actor
from kapcare.accounts.api_tokens import access_for
from kapcare.accounts.models import Membership, Role
from kapcare.clients.permissions import clients_visible_to
from kapcare.fhir import registry
from kapcare.home.demo import load_demo
from tests.api_helpers import Bearer, token_for
from tests.clients.test_access_matrix import EXPECTED, LISTED, _client_related_by
from tests.factories import ClientFactory, make_staff, put_on_team

pytestmark = pytest.mark.django_db

PATIENT_REFERENCE = re.compile(r"^Patient/(\d+)$")
HIDDEN_READS_PER_TYPE = 5  # enough to see the rule; every type is read, not every row


def _fhir_search(http: Bearer, type_name: str) -> tuple[int, list[dict]]:
    """Every resource a search of `type_name` returns (following `next`), or the refusal."""
    url, resources = f"/fhir/{type_name}?_count=100", []
    for _page in range(50):
        response = http.get(url)
        if response.status_code != 200:
            return response.status_code, []
        bundle = response.json()
        resources += [
            e["resource"] for e in bundle.get("entry", []) if e["search"]["mode"] == "match"
        ]
        following = [link["url"] for link in bundle["link"] if link["relation"] == "next"]
        if not following:
            return 200, resources
        url = following[0].removeprefix("http://testserver")
    raise AssertionError(f"{type_name}: more than 50 pages")


def _rest_ids(http: Bearer, path: str) -> list[int]:
    ids, url = [], path
    while url:
        body = http.get(url).json()
        ids += [row["id"] for row in body["results"]]
        url = (body.get("next") or "").removeprefix("http://testserver")
    return ids


def _patient_references(value) -> set[int]:
    """Every Patient/<id> a resource refers to, wherever it sits."""
    found: set[int] = set()
    if isinstance(value, dict):
        for key, inner in value.items():
            if key == "reference" and isinstance(inner, str):
                match = PATIENT_REFERENCE.match(inner)
                if match:
                    found.add(int(match[1]))
            else:
                found |= _patient_references(inner)
    elif isinstance(value, list):
        for inner in value:
            found |= _patient_references(inner)
    return found


# --- The UI's matrix, through the API ----------------------------------------------------------


@pytest.mark.parametrize(("role", "relation"), sorted(EXPECTED))
def test_a_token_sees_the_clients_its_user_sees_in_the_ui(role, relation, clinic, other_clinic):
    # given a staff member in `role`, a bystander client, and a client related to them by
    # `relation` (another clinic's client: they work there too and are on its care team)
    user = make_staff(clinic, role)
    bystander = ClientFactory(clinic=clinic, first_name="Bystander", last_name="Client")
    put_on_team(bystander, make_staff(clinic, Role.THERAPIST), Role.THERAPIST)
    client = _client_related_by(relation, user, role, clinic, other_clinic)
    listed = EXPECTED[(role, relation)][0] == LISTED
    ui_visible = set(clients_visible_to(Actor.for_user(user, clinic)).values_list("pk", flat=True))
    assert (client.pk in ui_visible) is listed  # the UI's rule agrees with the UI's table
    # when their token with every scope searches and reads, over FHIR and REST
    http = Bearer(token_for(user, clinic, "user/*.cruds"))
    status, patients = _fhir_search(http, "Patient")
    fhir_read = http.get(f"/fhir/Patient/{client.pk}")
    rest_ids = _rest_ids(http, "/api/v1/clients/?page_size=200")
    rest_detail = http.get(f"/api/v1/clients/{client.pk}/")
    # then they see exactly what the UI shows them: the client when the table lists it
    assert status == 200
    assert {int(p["id"]) for p in patients} == ui_visible
    assert set(rest_ids) == ui_visible and len(rest_ids) == len(ui_visible)
    assert fhir_read.status_code == (200 if listed else 404)
    assert rest_detail.status_code == (200 if listed else 404)
    if not listed:
        assert fhir_read.json()["resourceType"] == "OperationOutcome"
        assert client.last_name not in fhir_read.content.decode()
        assert client.last_name not in rest_detail.content.decode()


def test_another_clinics_client_is_never_visible_even_to_a_system_token(clinic, other_clinic):
    # given a clinic admin of both clinics with a system/ token for the first
    admin = make_staff(clinic, Role.CLINIC_ADMIN)
    Membership.objects.create(clinic=other_clinic, user=admin, role=Role.CLINIC_ADMIN)
    ours, theirs = ClientFactory(clinic=clinic), ClientFactory(clinic=other_clinic)
    http = Bearer(token_for(admin, clinic, "system/*.rs"))
    # when it searches and reads, then only the first clinic's client is there
    assert [int(p["id"]) for p in _fhir_search(http, "Patient")[1]] == [ours.pk]
    assert http.get(f"/fhir/Patient/{theirs.pk}").status_code == 404
    assert _rest_ids(http, "/api/v1/clients/") == [ours.pk]
    assert http.get(f"/api/v1/clients/{theirs.pk}/").status_code == 404


# --- Every registered FHIR type, in the demo clinic --------------------------------------------


def test_the_registry_has_types_to_check():
    assert "Patient" in {t.name for t in registry.all_types()}


@pytest.fixture
def demo_world(other_clinic):
    """The demo clinic, a therapist on no care team, and another clinic where the demo
    therapist also works, on the care team of a client there."""
    clinic, staff = load_demo()
    staff = dict(staff, no_team=make_staff(clinic, Role.THERAPIST, full_name="New Therapist"))
    foreign = ClientFactory(clinic=other_clinic, last_name="Faraway")
    Membership.objects.create(clinic=other_clinic, user=staff["therapist"], role=Role.THERAPIST)
    put_on_team(foreign, staff["therapist"], Role.THERAPIST)
    admin = make_staff(clinic, Role.CLINIC_ADMIN)
    return clinic, staff, access_for(token_for(admin, clinic, "system/*.rs")), foreign


PERSONAS = ("therapist", "therapist2", "prescriber", "nurse", "frontdesk", "admin", "no_team")


def _leaks(rtype, http: Bearer, access, visible: set[int], clinic_wide) -> tuple[list[str], int]:
    """What a token shows of `rtype` beyond its user's clients, and how many rows were checked."""
    leaks, checked = [], 0
    # when the token searches the type
    status, resources = _fhir_search(http, rtype.name)
    # then it is refused outright (a type for other roles), or every row is the user's
    if status not in (200, 403):
        return [f"{rtype.name} search: {status}"], 0
    for resource in resources:
        row = rtype.read(access, resource["id"])
        about = rtype.client_id(row)
        named = _patient_references(resource) - visible
        if (about is not None and about not in visible) or named:
            leaks.append(f"{rtype.name}/{resource['id']} is about {about or named}")
        checked += 1
    # and a row about a client the user may not see is not found when read by id
    hidden = (
        row
        # export_rows streams every row of any type, multi-table ones too
        for row in rtype.export_rows(clinic_wide).iterator(chunk_size=200)
        if rtype.client_id(row) is not None and rtype.client_id(row) not in visible
    )
    for _index, row in zip(range(HIDDEN_READS_PER_TYPE), hidden, strict=False):
        ident = rtype.to_fhir(row)["id"]
        response = http.get(f"/fhir/{rtype.name}/{ident}")
        if response.status_code not in (403, 404):
            leaks.append(f"{rtype.name}/{ident} read: {response.status_code}")
        checked += 1
    return leaks, checked


def _with_patient(value, patient_id: int):
    """`value` with every Patient reference pointing at `patient_id` instead."""
    if isinstance(value, dict):
        return {
            key: f"Patient/{patient_id}"
            if key == "reference" and isinstance(inner, str) and PATIENT_REFERENCE.match(inner)
            else _with_patient(inner, patient_id)
            for key, inner in value.items()
        }
    if isinstance(value, list):
        return [_with_patient(inner, patient_id) for inner in value]
    return value


def _write_leaks(rtype, http: Bearer, clinic_wide, hidden: list[int]) -> tuple[list[str], int]:
    """A type the API creates: a resource shaped like one kapcare made, about a client the user
    may not see, is refused (4xx) and saves nothing."""
    if "create" not in rtype.writes:
        return [], 0
    model_rows = rtype.visible(clinic_wide)
    sample = model_rows.first()
    if sample is None:
        return [f"{rtype.name}: the demo has no row to shape a create from"], 0
    body = {k: v for k, v in rtype.to_fhir(sample).items() if k not in ("id", "meta")}
    leaks, checked = [], 0
    for patient_id in hidden:
        before = model_rows.model._default_manager.count()
        response = http.post(
            f"/fhir/{rtype.name}",
            _with_patient(body, patient_id),
            content_type="application/fhir+json",
        )
        if not 400 <= response.status_code < 500:
            leaks.append(f"{rtype.name} create about Patient/{patient_id}: {response.status_code}")
        if model_rows.model._default_manager.count() != before:
            leaks.append(f"{rtype.name} create about Patient/{patient_id} saved a row")
        checked += 1
    return leaks, checked


def test_every_fhir_type_shows_only_the_users_clients(demo_world):
    # given the demo clinic and a `user/*.cruds` token for each demo role and for a therapist
    # on no care team (one world for all of them: loading the demo is the slow part)
    clinic, staff, clinic_wide, foreign = demo_world
    leaks, checked = [], {}
    for who in PERSONAS:
        raw = token_for(staff[who], clinic, "user/*.cruds")
        access = access_for(raw)
        visible = set(clients_visible_to(access.actor).values_list("pk", flat=True))
        if who == "no_team":
            assert visible == set()
        unseen = clients_visible_to(clinic_wide.actor).exclude(pk__in=visible)
        hidden = [foreign.pk, *unseen.values_list("pk", flat=True)[:1]]
        # when each searches, reads and creates every registered type, then nothing leaks
        for rtype in registry.all_types():
            found, count = _leaks(rtype, Bearer(raw), access, visible, clinic_wide)
            written, tried = _write_leaks(rtype, Bearer(raw), clinic_wide, hidden)
            leaks += [f"{who}: {leak}" for leak in found + written]
            checked[who] = checked.get(who, 0) + count + tried
    assert not leaks, "\n".join(leaks)
    # and the check saw rows: everyone either sees clients or is refused some
    assert all(checked.values()), checked
