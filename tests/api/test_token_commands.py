"""`manage.py issue_api_token` and `revoke_api_token`: the operator's way to issue and revoke."""

import shlex
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from kapcare.accounts.models import ApiToken, Membership, Role
from kapcare.audit.models import AuditAction, AuditEvent
from tests.api_helpers import Bearer, token_for

pytestmark = pytest.mark.django_db


def issue(*args) -> str:
    out = StringIO()
    call_command("issue_api_token", *args, stdout=out)
    return out.getvalue()


def revoke(*args) -> str:
    out = StringIO()
    call_command("revoke_api_token", *args, stdout=out)
    return out.getvalue()


def last_word(output: str) -> str:
    """What `| awk '{print $NF}' | tail -1` takes from the output."""
    return output.strip().splitlines()[-1].split()[-1]


def test_the_last_word_of_the_output_is_a_working_token(clinic, staff, client_record):
    output = issue(
        "--user",
        staff[Role.THERAPIST].email.upper(),
        "--scopes",
        "user/Patient.rs",
        "--label",
        "App",
    )
    raw = last_word(output)
    assert raw.startswith("kc_")
    assert output.count(raw) == 1
    token = ApiToken.objects.get()
    assert (token.user, token.clinic, token.label, token.scopes) == (
        staff[Role.THERAPIST],
        clinic,
        "App",
        "user/Patient.rs",
    )
    assert token.prefix in output and "user/Patient.rs" in output
    fhir = Bearer(raw).get("/fhir/Patient").json()
    assert [e["resource"]["id"] for e in fhir["entry"]] == [str(client_record.pk)]
    rest = Bearer(raw).get("/api/v1/clients/").json()
    assert [c["id"] for c in rest["results"]] == [client_record.pk]
    event = AuditEvent.objects.get(object_type="api_token", action=AuditAction.CREATE)
    assert event.actor is None  # the operator, through the system actor


def test_expiry_days_are_taken(clinic, staff):
    issue("--user", staff[Role.NURSE].email, "--scopes", "user/*.rs", "--expires-days", "7")
    token = ApiToken.objects.get()
    assert (token.expires_at - token.created_at).days == 7


def test_unknown_user_is_refused(clinic):
    with pytest.raises(CommandError, match=r"No user with the e-mail address nobody@example\.org"):
        issue("--user", "nobody@example.org", "--scopes", "user/*.rs")


def test_bad_scopes_are_refused_with_the_reason(clinic, staff):
    with pytest.raises(CommandError, match="kapcare has no resource type Patiant"):
        issue("--user", staff[Role.NURSE].email, "--scopes", "user/Patiant.rs")
    with pytest.raises(CommandError, match="only a clinic admin"):
        issue("--user", staff[Role.NURSE].email, "--scopes", "system/*.rs")
    assert not ApiToken.objects.exists()


@pytest.mark.parametrize(
    ("days", "reason"), [("0", "1 to 365 days"), ("400", "1 to 365 days"), ("soon", "invalid int")]
)
def test_bad_days_are_refused(clinic, staff, days, reason):
    with pytest.raises(CommandError, match=reason):
        issue("--user", staff[Role.NURSE].email, "--scopes", "user/*.rs", "--expires-days", days)
    assert not ApiToken.objects.exists()


def test_a_user_at_several_clinics_must_choose(clinic, other_clinic, staff):
    therapist = staff[Role.THERAPIST]
    Membership.objects.create(clinic=other_clinic, user=therapist, role=Role.THERAPIST)
    with pytest.raises(CommandError, match="several clinics") as refused:
        issue("--user", therapist.email, "--scopes", "user/*.rs")
    assert f"{clinic.pk} ({clinic.name})" in str(refused.value)
    assert f"{other_clinic.pk} ({other_clinic.name})" in str(refused.value)
    issue("--user", therapist.email, "--scopes", "user/*.rs", "--clinic", str(other_clinic.pk))
    assert ApiToken.objects.get().clinic == other_clinic


def test_a_clinic_the_user_does_not_work_at_is_refused(clinic, other_clinic, staff):
    with pytest.raises(CommandError, match="holds no role at clinic"):
        issue(
            "--user",
            staff[Role.NURSE].email,
            "--scopes",
            "user/*.rs",
            "--clinic",
            str(other_clinic.pk),
        )


@pytest.mark.parametrize("how", ["token", "prefix", "id", "--id"])
def test_revoke_by_token_prefix_or_id(clinic, staff, client_record, how):
    raw = token_for(staff[Role.THERAPIST], clinic)
    token = ApiToken.objects.get()
    args = {
        "token": [raw],
        "prefix": [token.prefix + "…"],
        "id": [str(token.pk)],
        "--id": ["--id", str(token.pk)],
    }[how]
    assert "is revoked" in revoke(*args)
    assert Bearer(raw).get("/fhir/Patient").status_code == 401
    assert "already revoked" in revoke(*args)
    assert (
        AuditEvent.objects.filter(object_type="api_token", action=AuditAction.UPDATE).count() == 1
    )


@pytest.mark.parametrize(
    ("args", "reason"),
    [
        (["kc_nothing-like-this"], "No API token has that secret or prefix"),
        (["hello"], "not an API token"),
        (["--id", "999999"], "No API token with id 999999"),
        ([], "Give the token"),
    ],
)
def test_revoke_an_unknown_token_is_refused(clinic, args, reason):
    with pytest.raises(CommandError, match=reason):
        revoke(*args)


def test_the_demo_loader_prints_a_command_that_issues_a_working_token(settings):
    settings.DEBUG = True
    out = StringIO()
    call_command("load_demo", stdout=out)
    line = next(line for line in out.getvalue().splitlines() if "issue_api_token" in line)
    raw = last_word(issue(*shlex.split(line.split("manage.py issue_api_token", 1)[1])))
    assert Bearer(raw).get("/fhir/Patient?family=Collins").json()["total"] == 1
