"""API tokens: the scope grammar, issuing and revoking, expiry, last use, and who a token stops
working for (kapcare.accounts.scopes, kapcare.accounts.api_tokens)."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from kapcare.accounts.actor import Actor
from kapcare.accounts.api_tokens import (
    LAST_USED_RESOLUTION,
    TokenRejected,
    access_for,
    issue_token,
    revoke_token,
)
from kapcare.accounts.models import ApiToken, Membership, Role
from kapcare.accounts.scopes import INTEGRATION_READ, ScopeError, ScopeSet
from kapcare.audit.models import AuditAction, AuditEvent
from tests.api_helpers import Bearer, token_for
from tests.factories import ClientFactory, make_staff

# --- The scope grammar ------------------------------------------------------------------------


def test_v2_letters_grant_exactly_their_permissions():
    scopes = ScopeSet.parse("user/Patient.rs user/QuestionnaireResponse.c")
    assert scopes.allows("Patient", "r") and scopes.allows("Patient", "s")
    assert not scopes.allows("Patient", "c")
    assert scopes.allows("QuestionnaireResponse", "c")
    assert not scopes.allows("QuestionnaireResponse", "r")
    assert not scopes.allows("Flag", "s")
    assert str(scopes) == "user/Patient.rs user/QuestionnaireResponse.c"


def test_wildcard_resource_covers_every_type():
    scopes = ScopeSet.parse("user/*.cruds")
    for letter in "cruds":
        assert scopes.allows("Patient", letter)
        assert scopes.allows("LedgerEntry", letter)


@pytest.mark.parametrize("text", ["user/Patient.sr", "user/Patient.rr", "user/Patient.x"])
def test_v2_letters_out_of_order_or_unknown_are_refused(text):
    with pytest.raises(ScopeError, match="c r u d s in that order"):
        ScopeSet.parse(text)


@pytest.mark.parametrize(
    ("v1", "v2"),
    [("user/*.read", "user/*.rs"), ("user/*.write", "user/*.cud"), ("user/*.*", "user/*.cruds")],
)
def test_v1_spellings_mean_their_v2_letters(v1, v2):
    assert str(ScopeSet.parse(v1)) == v2


def test_unknown_resource_is_refused_by_name():
    with pytest.raises(ScopeError, match="no resource type Patiant"):
        ScopeSet.parse("user/Patient.rs user/Patiant.rs")


def test_rest_only_resource_is_known():
    # LedgerEntry has no FHIR type: the REST API registers it (kapcare.api.scopes).
    assert ScopeSet.parse("user/LedgerEntry.rs").allows("LedgerEntry", "s")


def test_patient_context_is_refused_with_the_reason():
    with pytest.raises(ScopeError, match="portal"):
        ScopeSet.parse("patient/Patient.rs")


@pytest.mark.parametrize(
    "text", ["launch/Patient.rs", "User/Patient.rs", "user/patient.rs", "rs", "user/*."]
)
def test_malformed_scopes_are_refused(text):
    with pytest.raises(ScopeError):
        ScopeSet.parse(text)


def test_granular_search_parameters_are_refused():
    with pytest.raises(ScopeError, match="search parameters"):
        ScopeSet.parse("user/Observation.rs?category=survey")


@pytest.mark.parametrize("text", ["system/*.cruds", "system/Patient.c", "system/*.write"])
def test_system_scopes_read_and_search_only(text):
    with pytest.raises(ScopeError, match="read and search only"):
        ScopeSet.parse(text)


def test_system_read_scopes_parse():
    for text in ("system/*.rs", "system/Patient.r", "system/*.read"):
        assert ScopeSet.parse(text).is_system


def test_no_scope_is_refused_and_repeats_count_once():
    with pytest.raises(ScopeError, match="at least one"):
        ScopeSet.parse("   ")
    assert str(ScopeSet.parse("user/*.read user/*.rs")) == "user/*.rs"


# --- Issuing ----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_issued_token_is_kept_only_as_a_hash_and_audited(clinic, staff):
    admin = Actor.for_user(staff[Role.CLINIC_ADMIN], clinic)
    token, raw = issue_token(
        actor=admin, user=staff[Role.THERAPIST], scopes="user/*.read", label=" Registry "
    )
    assert raw.startswith("kc_") and len(raw) > 40
    stored = ApiToken.objects.get(pk=token.pk)
    assert raw not in {stored.key_hash, stored.prefix, stored.label, stored.scopes}
    assert raw.startswith(stored.prefix)
    assert stored.scopes == "user/*.rs"
    assert stored.label == "Registry"
    assert stored.created_by == staff[Role.CLINIC_ADMIN]
    assert stored.expires_at - stored.created_at == dt.timedelta(days=90)
    event = AuditEvent.objects.get(object_type="api_token", action=AuditAction.CREATE)
    assert event.actor == staff[Role.CLINIC_ADMIN]
    assert event.object_id == str(token.pk)
    assert event.details["scopes"] == "user/*.rs"
    assert event.details["user_id"] == staff[Role.THERAPIST].pk
    assert raw not in str(event.details) + event.summary


@pytest.mark.django_db
def test_only_a_clinic_admin_issues_tokens(clinic, staff):
    for role in (Role.THERAPIST, Role.FRONT_DESK, Role.PRESCRIBER, Role.NURSE):
        with pytest.raises(PermissionDenied):
            issue_token(
                actor=Actor.for_user(staff[role], clinic), user=staff[role], scopes="user/*.rs"
            )
    assert not ApiToken.objects.exists()


@pytest.mark.django_db
def test_system_scopes_only_for_a_clinic_admin(clinic, staff):
    system = Actor.system(clinic)
    with pytest.raises(ValidationError) as refused:
        issue_token(actor=system, user=staff[Role.THERAPIST], scopes="system/*.rs")
    assert "only a clinic admin" in refused.value.message_dict["scopes"][0]
    issue_token(actor=system, user=staff[Role.CLINIC_ADMIN], scopes="system/*.rs")
    assert ApiToken.objects.count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize("days", [0, -1, 366])
def test_expiry_must_be_one_to_365_days(clinic, staff, days):
    with pytest.raises(ValidationError) as refused:
        issue_token(
            actor=Actor.system(clinic),
            user=staff[Role.NURSE],
            scopes="user/*.rs",
            expires_days=days,
        )
    assert "expires_days" in refused.value.message_dict
    assert not ApiToken.objects.exists()


@pytest.mark.django_db
def test_a_token_only_for_staff_of_the_clinic(clinic, other_clinic, staff):
    outsider = make_staff(other_clinic, Role.THERAPIST)
    with pytest.raises(ValidationError) as refused:
        issue_token(actor=Actor.system(clinic), user=outsider, scopes="user/*.rs")
    assert "user" in refused.value.message_dict
    assert not ApiToken.objects.exists()


@pytest.mark.django_db
def test_bad_scopes_refused_with_the_scope_error_text(clinic, staff):
    with pytest.raises(ValidationError) as refused:
        issue_token(actor=Actor.system(clinic), user=staff[Role.NURSE], scopes="user/Nope.rs")
    assert refused.value.message_dict["scopes"] == [
        "user/Nope.rs: kapcare has no resource type Nope."
    ]


# --- Using, expiring, revoking ----------------------------------------------------------------


@pytest.mark.django_db
def test_last_used_is_written_at_most_once_a_minute(clinic, staff, django_assert_num_queries):
    raw = token_for(staff[Role.THERAPIST], clinic)
    token = ApiToken.objects.get()
    assert token.last_used_at is None
    access_for(raw)
    first = ApiToken.objects.get().last_used_at
    assert first is not None
    recent = timezone.now() - LAST_USED_RESOLUTION / 2
    ApiToken.objects.update(last_used_at=recent)
    with django_assert_num_queries(2):  # the token and the roles; no write
        access_for(raw)
    assert ApiToken.objects.get().last_used_at == recent
    stale = timezone.now() - LAST_USED_RESOLUTION - dt.timedelta(seconds=1)
    ApiToken.objects.update(last_used_at=stale)
    access_for(raw)
    assert ApiToken.objects.get().last_used_at > stale


@pytest.mark.django_db
def test_system_token_of_a_clinic_admin_reads_the_clinic(clinic, staff, client_record):
    raw = token_for(staff[Role.CLINIC_ADMIN], clinic, "system/*.rs")
    assert INTEGRATION_READ in access_for(raw).actor.roles
    ClientFactory(clinic=clinic)
    assert Bearer(raw).get("/fhir/Patient").json()["total"] == 2
    user_token = token_for(staff[Role.CLINIC_ADMIN], clinic, "user/*.rs")
    assert INTEGRATION_READ not in access_for(user_token).actor.roles


ENDPOINTS = ("/fhir/Patient", "/api/v1/clients/")


def _rejected_everywhere(raw: str, reason: str) -> None:
    with pytest.raises(TokenRejected, match=reason):
        access_for(raw)
    for path in ENDPOINTS:
        response = Bearer(raw).get(path)
        assert response.status_code == 401, path
        assert "Bearer" in response["WWW-Authenticate"]


@pytest.mark.django_db
def test_a_revoked_token_stops_working_and_the_revocation_is_audited(clinic, staff, client_record):
    raw = token_for(staff[Role.THERAPIST], clinic)
    for path in ENDPOINTS:
        assert Bearer(raw).get(path).status_code == 200
    admin = Actor.for_user(staff[Role.CLINIC_ADMIN], clinic)
    token = revoke_token(actor=admin, token=ApiToken.objects.get())
    assert token.revoked_by == staff[Role.CLINIC_ADMIN]
    _rejected_everywhere(raw, "revoked")
    event = AuditEvent.objects.get(object_type="api_token", action=AuditAction.UPDATE)
    assert event.actor == staff[Role.CLINIC_ADMIN]
    assert event.object_id == str(token.pk)
    # revoking again changes nothing and writes nothing
    revoke_token(actor=admin, token=token)
    assert AuditEvent.objects.filter(object_type="api_token").count() == 2


@pytest.mark.django_db
def test_an_expired_token_stops_working(clinic, staff, client_record):
    raw = token_for(staff[Role.THERAPIST], clinic, expires_days=1)
    ApiToken.objects.update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    _rejected_everywhere(raw, "expired")


@pytest.mark.django_db
def test_a_token_stops_working_when_its_user_leaves_the_clinic(clinic, staff, client_record):
    raw = token_for(staff[Role.THERAPIST], clinic)
    Membership.objects.filter(user=staff[Role.THERAPIST], clinic=clinic).delete()
    _rejected_everywhere(raw, "no longer works")


@pytest.mark.django_db
def test_a_token_stops_working_when_its_user_is_deactivated(clinic, staff, client_record):
    raw = token_for(staff[Role.NURSE], clinic)
    staff[Role.NURSE].is_active = False
    staff[Role.NURSE].save(update_fields=["is_active"])
    _rejected_everywhere(raw, "no longer works")


@pytest.mark.django_db
def test_an_unknown_token_is_401(clinic):
    _rejected_everywhere("kc_not-a-token", "not valid")


@pytest.mark.django_db
def test_only_the_tokens_clinic_revokes_it(clinic, other_clinic, staff):
    raw = token_for(staff[Role.THERAPIST], clinic)
    elsewhere = Actor.system(other_clinic)
    with pytest.raises(PermissionDenied):
        revoke_token(actor=elsewhere, token=ApiToken.objects.get())
    with pytest.raises(PermissionDenied):
        revoke_token(
            actor=Actor.for_user(staff[Role.THERAPIST], clinic), token=ApiToken.objects.get()
        )
    assert access_for(raw).token.revoked_at is None
