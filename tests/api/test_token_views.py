"""The clinic admin's API tokens page: list, issue (the secret shown once), revoke; only clinic
admins; another clinic's tokens are not there."""

import re

import pytest
from django.test import Client as DjangoClient
from django.urls import reverse

from kapcare.accounts.actor import Actor
from kapcare.accounts.api_tokens import issue_token
from kapcare.accounts.models import ApiToken, Role
from kapcare.audit.models import AuditAction, AuditEvent
from tests.api_helpers import Bearer, token_for
from tests.conftest import signed_in
from tests.factories import make_staff

pytestmark = pytest.mark.django_db

LIST, ISSUE = reverse("api_tokens:list"), reverse("api_tokens:issue")


@pytest.fixture
def as_admin(staff):
    return signed_in(staff[Role.CLINIC_ADMIN])


def _issue_data(user, **changes):
    return {
        "label": "Registry",
        "user": user.pk,
        "scopes": "user/*.rs",
        "expires_days": 30,
    } | changes


def _secret_in(body: str) -> str:
    return re.search(r'value="(kc_[^"]+)"', body)[1]


def test_anonymous_is_sent_to_sign_in_and_other_roles_get_403(clinic, staff):
    assert DjangoClient().get(LIST).status_code == 302
    for role in (Role.THERAPIST, Role.FRONT_DESK, Role.PRESCRIBER, Role.NURSE):
        http = signed_in(staff[role])
        assert http.get(LIST).status_code == 403
        assert http.post(ISSUE, _issue_data(staff[role])).status_code == 403
    assert not ApiToken.objects.exists()


def test_the_list_shows_the_clinics_tokens_only(as_admin, clinic, other_clinic, staff):
    token_for(staff[Role.THERAPIST], clinic, "user/Patient.rs", label="Measurement app")
    stranger = make_staff(other_clinic, Role.CLINIC_ADMIN)
    token_for(stranger, other_clinic, label="Their registry")
    response = as_admin.get(LIST)
    body = response.content.decode()
    assert response.status_code == 200
    assert "Measurement app" in body and "user/Patient.rs" in body
    assert staff[Role.THERAPIST].email in body
    assert "Their registry" not in body
    assert ApiToken.objects.get(label="Measurement app").prefix in body
    # the issue form offers the clinic's staff, never another clinic's
    assert f'value="{staff[Role.NURSE].pk}"' in body
    assert f'value="{stranger.pk}"' not in body
    assert "user/QuestionnaireResponse.c" in body and "system/*.rs" in body


def test_issuing_shows_the_secret_once_on_the_answer_itself(as_admin, clinic, staff, client_record):
    # given an admin on the tokens page, when they issue a token for the therapist
    response = as_admin.post(ISSUE, _issue_data(staff[Role.THERAPIST]))
    # then the answer is the page with the secret (201), not a redirect, and keeps no copy
    assert response.status_code == 201
    assert "no-store" in response["Cache-Control"]
    body = response.content.decode()
    raw = _secret_in(body)
    assert "not shown again" in body
    assert raw not in str(dict(as_admin.session))
    token = ApiToken.objects.get()
    assert (token.user, token.label, token.scopes, token.created_by) == (
        staff[Role.THERAPIST],
        "Registry",
        "user/*.rs",
        staff[Role.CLINIC_ADMIN],
    )
    assert (token.expires_at - token.created_at).days == 30
    assert raw not in as_admin.get(LIST).content.decode()
    # and the token works, as the therapist
    assert Bearer(raw).get("/fhir/Patient").json()["total"] == 1
    assert AuditEvent.objects.filter(
        object_type="api_token", action=AuditAction.CREATE, actor=staff[Role.CLINIC_ADMIN]
    ).exists()


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"scopes": "user/Patiant.rs"}, "kapcare has no resource type Patiant"),
        ({"scopes": "patient/*.rs"}, "portal"),
        ({"scopes": "system/*.rs"}, "only a clinic admin may hold them"),
        ({"expires_days": 0}, "greater than or equal to 1"),
        ({"expires_days": 400}, "less than or equal to 365"),
        ({"label": ""}, "This field is required"),
    ],
)
def test_a_refused_token_shows_why_at_the_form(as_admin, staff, changes, message):
    response = as_admin.post(ISSUE, _issue_data(staff[Role.THERAPIST], **changes))
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not ApiToken.objects.exists()


def test_another_clinics_staff_cannot_be_chosen(as_admin, other_clinic):
    stranger = make_staff(other_clinic, Role.THERAPIST)
    response = as_admin.post(ISSUE, _issue_data(stranger))
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    assert not ApiToken.objects.exists()


def test_a_system_token_for_a_clinic_admin(as_admin, staff):
    response = as_admin.post(ISSUE, _issue_data(staff[Role.CLINIC_ADMIN], scopes="system/*.read"))
    assert response.status_code == 201
    assert ApiToken.objects.get().scopes == "system/*.rs"


def test_revoking_stops_the_token_and_a_get_leads_back(as_admin, clinic, staff, client_record):
    raw = token_for(staff[Role.THERAPIST], clinic)
    token = ApiToken.objects.get()
    url = reverse("api_tokens:revoke", args=[token.pk])
    assert as_admin.get(url)["Location"] == LIST
    assert Bearer(raw).get("/api/v1/clients/").status_code == 200
    response = as_admin.post(url)
    assert response.status_code == 302 and response["Location"] == LIST
    token.refresh_from_db()
    assert token.revoked_by == staff[Role.CLINIC_ADMIN]
    assert Bearer(raw).get("/api/v1/clients/").status_code == 401
    page = as_admin.get(LIST).content.decode()
    assert "Revoked" in page and url not in page
    assert as_admin.post(url).status_code == 302  # again: nothing more happens
    assert (
        AuditEvent.objects.filter(object_type="api_token", action=AuditAction.UPDATE).count() == 1
    )


def test_another_clinics_token_is_404_and_others_may_not_revoke(
    as_admin, clinic, other_clinic, staff
):
    stranger = make_staff(other_clinic, Role.CLINIC_ADMIN)
    token_for(stranger, other_clinic)
    theirs = ApiToken.objects.get()
    assert as_admin.post(reverse("api_tokens:revoke", args=[theirs.pk])).status_code == 404
    token_for(staff[Role.NURSE], clinic)
    ours = ApiToken.objects.get(clinic=clinic)
    therapist = signed_in(staff[Role.THERAPIST])
    assert therapist.post(reverse("api_tokens:revoke", args=[ours.pk])).status_code == 403
    assert not ApiToken.objects.filter(revoked_at__isnull=False).exists()


def _tokens(clinic, user, count):
    for index in range(count):
        issue_token(actor=Actor.system(clinic), user=user, scopes="user/*.rs", label=f"T{index}")


def test_the_list_is_paged_and_its_queries_do_not_grow(
    as_admin, clinic, staff, django_assert_max_num_queries
):
    _tokens(clinic, staff[Role.THERAPIST], 2)
    with django_assert_max_num_queries(14) as few:
        assert as_admin.get(LIST).status_code == 200
    _tokens(clinic, staff[Role.NURSE], 60)
    with django_assert_max_num_queries(len(few)):
        body = as_admin.get(LIST).content.decode()
    assert body.count("/revoke/") == 50
    assert "Page 1 of 2" in body
    assert "Page 2 of 2" in as_admin.get(LIST, {"page": 2}).content.decode()


def test_the_staff_page_names_the_tokens_acting_as_the_member(as_admin, clinic, staff):
    token_for(staff[Role.THERAPIST], clinic, label="Outcomes export")
    page = as_admin.get(reverse("staff:detail", args=[staff[Role.THERAPIST].pk])).content.decode()
    assert "Outcomes export" in page and LIST in page
    other = as_admin.get(reverse("staff:detail", args=[staff[Role.NURSE].pk])).content.decode()
    assert "Outcomes export" not in other
    assert "More on the API tokens page" not in page
    _tokens(clinic, staff[Role.THERAPIST], 10)
    page = as_admin.get(reverse("staff:detail", args=[staff[Role.THERAPIST].pk])).content.decode()
    assert "More on the API tokens page" in page
    assert "Outcomes export" not in page  # the oldest, past the first ten


def test_the_clinic_menu_links_the_page_for_admins_only(as_admin, staff):
    assert f'href="{LIST}"' in as_admin.get(reverse("home:home")).content.decode()
    nurse = signed_in(staff[Role.NURSE]).get(reverse("home:home")).content.decode()
    assert f'href="{LIST}"' not in nurse
