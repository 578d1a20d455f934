"""Who can open which client page: each client-data URL, for each staff role and relation.

The expected outcomes are written out by hand below, from the product rules in DESIGN.md, and are
deliberately NOT derived from kapcare.clients.permissions.POLICY: a test that reads the policy
table to predict the policy table's answers would pass whatever the table said.
"""

import pytest
from django.urls import reverse

from kapcare.accounts.middleware import ACTIVE_CLINIC_KEY
from kapcare.accounts.models import Membership, Role
from kapcare.clients.models import CARE_TEAM_ROLES
from tests.factories import ClientFactory, make_staff, put_on_team

FIRST_NAME, LAST_NAME = "Quillon", "Marchetti"

# Outcomes. For the list page: whether the client appears in it. For the client's own pages:
# the HTTP status. 404 = the client is not visible at all (no hint that it exists); 403 = the
# client is visible but this page is not allowed for the role.
LISTED, NOT_LISTED = "listed", "not listed"

URLS = ("clients:list", "clients:detail", "clients:edit", "clients:care_team", "clients:access_log")

# Relations of the signed-in user to the client whose pages are requested:
#   on_team       the client is at the user's clinic and the user is on the client's care team
#   off_team      the client is at the user's clinic; the care team is other clinicians
#   other_clinic  the client belongs to another clinic. To make this the hardest case, the user
#                 works there too, in the same role, and is on that client's care team there;
#                 but the session's active clinic is the home clinic, and nothing crosses over.
# fmt: off
EXPECTED = {
    #  role            relation          list        detail edit care_team access_log
    ("front_desk",   "on_team"):      (LISTED,     200,   200, 403,      403),
    ("front_desk",   "off_team"):     (LISTED,     200,   200, 403,      403),
    ("front_desk",   "other_clinic"): (NOT_LISTED, 404,   404, 404,      404),
    ("therapist",    "on_team"):      (LISTED,     200,   200, 403,      403),
    ("therapist",    "off_team"):     (NOT_LISTED, 404,   404, 404,      404),
    ("therapist",    "other_clinic"): (NOT_LISTED, 404,   404, 404,      404),
    ("prescriber",   "on_team"):      (LISTED,     200,   200, 403,      403),
    ("prescriber",   "off_team"):     (NOT_LISTED, 404,   404, 404,      404),
    ("prescriber",   "other_clinic"): (NOT_LISTED, 404,   404, 404,      404),
    ("nurse",        "on_team"):      (LISTED,     200,   200, 403,      403),
    ("nurse",        "off_team"):     (NOT_LISTED, 404,   404, 404,      404),
    ("nurse",        "other_clinic"): (NOT_LISTED, 404,   404, 404,      404),
    ("clinic_admin", "on_team"):      (LISTED,     200,   200, 200,      200),
    ("clinic_admin", "off_team"):     (LISTED,     200,   200, 200,      200),
    ("clinic_admin", "other_clinic"): (NOT_LISTED, 404,   404, 404,      404),
}
# fmt: on

CASES = [
    pytest.param(url_name, role, relation, outcome, id=f"{role}-{relation}-{url_name}")
    for (role, relation), outcomes in EXPECTED.items()
    for url_name, outcome in zip(URLS, outcomes, strict=True)
]


def test_the_table_covers_every_role_and_relation():
    relations = {"on_team", "off_team", "other_clinic"}
    assert set(EXPECTED) == {(role, relation) for role in Role.values for relation in relations}


def _team_role_for(role: str) -> str:
    # Care teams hold therapists, prescribers and nurses. For the clinic-wide roles, "on the team"
    # is a row listing them as a therapist: such a row must neither add nor take away anything
    # that their own role decides.
    return role if role in CARE_TEAM_ROLES else Role.THERAPIST


def _client_related_by(relation: str, user, role: str, clinic, other_clinic):
    if relation == "other_clinic":
        foreign = ClientFactory(clinic=other_clinic, first_name=FIRST_NAME, last_name=LAST_NAME)
        Membership.objects.create(clinic=other_clinic, user=user, role=role)
        put_on_team(foreign, user, _team_role_for(role))
        return foreign
    client = ClientFactory(clinic=clinic, first_name=FIRST_NAME, last_name=LAST_NAME)
    if relation == "on_team":
        put_on_team(client, user, _team_role_for(role))
    else:
        put_on_team(client, make_staff(clinic, Role.THERAPIST), Role.THERAPIST)
    return client


@pytest.mark.parametrize(("url_name", "role", "relation", "expected"), CASES)
def test_client_pages_follow_role_and_care_team(
    url_name, role, relation, expected, clinic, other_clinic, login
):
    # Given a staff member in `role` at the clinic, a bystander client they may always ignore,
    # and a client related to them by `relation`
    user = make_staff(clinic, role)
    ClientFactory(clinic=clinic, first_name="Bystander", last_name="Client")
    client = _client_related_by(relation, user, role, clinic, other_clinic)
    http = login(user)
    session = http.session
    session[ACTIVE_CLINIC_KEY] = clinic.pk
    session.save()

    # When they open the page
    if url_name == "clients:list":
        response = http.get(reverse(url_name))
    else:
        response = http.get(reverse(url_name, args=[client.pk]))
    body = response.content.decode()

    # Then they see the client exactly when the table says so
    if url_name == "clients:list":
        assert response.status_code == 200
        assert (LAST_NAME in body) is (expected == LISTED)
    elif expected == 200:
        assert response.status_code == 200
        assert f"{FIRST_NAME} {LAST_NAME}" in body
    else:
        assert response.status_code == expected
        assert LAST_NAME not in body
        assert FIRST_NAME not in body
