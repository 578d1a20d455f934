"""Intake: the client-scoped pages, the staff form, single-use links and the client's own form."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.test import Client as DjangoClient
from django.urls import reverse
from django.utils import timezone

from kapcare.accounts.actor import Actor
from kapcare.accounts.models import Role
from kapcare.audit.models import AuditAction, AuditEvent
from kapcare.clients.intake_catalogue import CONDITIONS
from kapcare.clients.models import ClientLink, Intake, LinkPurpose, PregnancyStatus, SuicideRisk
from kapcare.clients.models.links import hash_token
from kapcare.clients.services import pathway
from kapcare.clients.services.links import create_link
from tests.clients.test_inquiries import assert_csp_clean
from tests.factories import ClientFactory, make_staff

VALID_INTAKE = {
    "conditions": ["hypertension", "sleep_apnoea"],
    "medical_history_notes": "Appendix removed, 2010.",
    "psychiatric_history_notes": "",
    "current_medications": "sertraline 100 mg\n\nlisinopril 10 mg\n",
    "allergies": "penicillin",
    "substance_use": "",
    "pregnancy_status": PregnancyStatus.NOT_APPLICABLE,
    "suicide_risk": SuicideRisk.LOW,
    "baseline_systolic": "128",
    "baseline_diastolic": "82",
    "baseline_heart_rate": "72",
    "weight_kg": "70.5",
    "emergency_contact_name": "Sam Ashby",
    "emergency_contact_relationship": "partner",
    "emergency_contact_phone": "(503) 555-0101",
}
CLIENT_INTAKE = {k: v for k, v in VALID_INTAKE.items() if k != "suicide_risk"}

# (changes, the field the error must be shown at)
BAD_INPUT = [
    ({"baseline_systolic": "300"}, "baseline_systolic"),
    ({"baseline_systolic": ""}, "baseline_systolic"),
    ({"baseline_diastolic": "20"}, "baseline_diastolic"),
    ({"baseline_diastolic": "128"}, "baseline_diastolic"),  # not below systolic
    ({"baseline_heart_rate": "10"}, "baseline_heart_rate"),
    ({"baseline_heart_rate": "fast"}, "baseline_heart_rate"),
    ({"weight_kg": "seventy"}, "weight_kg"),
    ({"weight_kg": "70.25"}, "weight_kg"),
    ({"weight_kg": "400"}, "weight_kg"),
    ({"pregnancy_status": ""}, "pregnancy_status"),
    ({"pregnancy_status": "maybe"}, "pregnancy_status"),
    ({"conditions": ["hypertension", "made_up"]}, "conditions"),
    ({"emergency_contact_phone": "5" * 41}, "emergency_contact_phone"),
    ({"emergency_contact_name": "x" * 201}, "emergency_contact_name"),
]


def _intake_url(name: str, client) -> str:
    return reverse(f"intake:{name}", args=[client.pk])


def _save_intake(client, user, **changes) -> Intake:
    data = {
        **{k: v for k, v in VALID_INTAKE.items() if not k.startswith("emergency")},
        "baseline_systolic": 128,
        "baseline_diastolic": 82,
        "baseline_heart_rate": 72,
        "weight_kg": Decimal("70.5"),
        **changes,
    }
    return pathway.save_intake(actor=Actor.for_user(user, client.clinic), client=client, data=data)


def _make_link(client, user, purpose=LinkPurpose.INTAKE) -> str:
    _link, token = create_link(
        actor=Actor.for_user(user, client.clinic), client=client, purpose=purpose
    )
    return token


def _link_url(token: str) -> str:
    return reverse("public:intake_link", args=[token])


@pytest.fixture
def front_desk(staff, login):
    return login(staff[Role.FRONT_DESK])


# --- Tab and detail ----------------------------------------------------------------------------


def test_client_pages_show_the_intake_tab_to_those_who_may_do_intake(client_record, staff, login):
    url = _intake_url("detail", client_record)
    overview = reverse("clients:detail", args=[client_record.pk])

    assert url in login(staff[Role.FRONT_DESK]).get(overview).content.decode()
    assert url in login(staff[Role.THERAPIST]).get(overview).content.decode()
    assert url not in login(staff[Role.CLINIC_ADMIN]).get(overview).content.decode()


def test_intake_pages_need_sign_in(client_record):
    http = DjangoClient()
    for name in ("detail", "edit"):
        response = http.get(_intake_url(name, client_record))
        assert response.status_code == 302
        assert response.url.startswith(reverse("accounts:login"))
    assert http.post(_intake_url("link", client_record)).status_code == 302
    assert not ClientLink.objects.exists()


@pytest.mark.parametrize("name", ["detail", "edit"])
def test_intake_pages_are_refused_to_a_clinic_admin(name, client_record, staff, login):
    # A clinic admin sees the client (demographics) but not their intake.
    assert login(staff[Role.CLINIC_ADMIN]).get(_intake_url(name, client_record)).status_code == 403


def test_link_is_refused_to_a_clinic_admin(client_record, staff, login):
    response = login(staff[Role.CLINIC_ADMIN]).post(_intake_url("link", client_record))
    assert response.status_code == 403
    assert not ClientLink.objects.exists()


@pytest.mark.parametrize("name", ["detail", "edit", "link"])
def test_another_clinics_client_or_one_off_the_team_is_not_found(
    name, clinic, other_clinic, staff, login
):
    theirs = ClientFactory(clinic=other_clinic)
    not_on_team = ClientFactory(clinic=clinic)
    front_desk = login(staff[Role.FRONT_DESK])
    therapist = login(staff[Role.THERAPIST])
    method = "post" if name == "link" else "get"

    assert getattr(front_desk, method)(_intake_url(name, theirs)).status_code == 404
    assert getattr(therapist, method)(_intake_url(name, not_on_team)).status_code == 404
    assert not ClientLink.objects.exists()


def test_detail_without_intake_offers_to_fill_it_in_or_send_a_link(client_record, front_desk):
    response = front_desk.get(_intake_url("detail", client_record))

    assert response.status_code == 200
    html = response.content.decode()
    assert "Fill in intake" in html and "Send the client a link" in html
    # Once, in the empty state: not again as header buttons beside it.
    assert html.count("Fill in intake") == 1 and html.count("Send the client a link") == 1
    assert _intake_url("edit", client_record) in html
    assert _intake_url("link", client_record) in html
    assert response.context["active_tab"] == "intake"
    assert_csp_clean(response)


def test_detail_shows_the_intake_and_is_audited(
    client_record, staff, front_desk, django_assert_max_num_queries
):
    _save_intake(client_record, staff[Role.THERAPIST])
    front_desk.get(reverse("home:home"))

    with django_assert_max_num_queries(14):
        response = front_desk.get(_intake_url("detail", client_record))

    assert response.status_code == 200
    html = response.content.decode()
    assert "High blood pressure (diagnosed)" in html  # a ticked history item, by its label
    assert "Obstructive sleep apnoea" in html
    assert "Seizures or epilepsy" not in html  # not ticked
    assert "lisinopril 10 mg" in html and "128/82" in html
    assert "therapist user" in html  # who entered it
    event = AuditEvent.objects.filter(action=AuditAction.VIEW).latest("occurred_at")
    assert (event.client, event.object_type) == (client_record, "client.intake")
    assert_csp_clean(response)


# --- Staff form --------------------------------------------------------------------------------


def test_edit_form_groups_history_checkboxes_and_prefills_the_emergency_contact(
    client_record, front_desk, django_assert_max_num_queries
):
    client_record.emergency_contact_name = "Pat Ashby"
    client_record.save()
    front_desk.get(reverse("home:home"))

    with django_assert_max_num_queries(14):
        response = front_desk.get(_intake_url("edit", client_record))

    assert response.status_code == 200
    html = response.content.decode()
    groups = {str(group) for _key, _label, group in CONDITIONS}
    assert html.count('class="kc-check-group"') == len(groups)  # one fieldset per group
    assert '<legend class="h6">Heart and circulation</legend>' in html
    assert 'value="Pat Ashby"' in html
    assert_csp_clean(response)


@pytest.mark.parametrize("role", [Role.FRONT_DESK, Role.THERAPIST])
def test_staff_save_the_intake_and_emergency_contact_together(role, client_record, staff, login):
    http = login(staff[role])

    response = http.post(_intake_url("edit", client_record), VALID_INTAKE)

    assert response.status_code == 302
    assert response.url == _intake_url("detail", client_record)
    intake = Intake.objects.get(client=client_record)
    assert intake.conditions == ["hypertension", "sleep_apnoea"]
    assert intake.medication_list == ["sertraline 100 mg", "lisinopril 10 mg"]
    assert (intake.baseline_systolic, intake.baseline_diastolic, intake.weight_kg) == (
        128,
        82,
        Decimal("70.5"),
    )
    assert (intake.completed_by, intake.completed_by_client) == (staff[role], False)
    client_record.refresh_from_db()
    assert (client_record.emergency_contact_name, client_record.emergency_contact_phone) == (
        "Sam Ashby",
        "(503) 555-0101",
    )
    writes = AuditEvent.objects.filter(client=client_record, actor=staff[role]).exclude(
        action=AuditAction.VIEW
    )
    assert {(e.action, e.object_type) for e in writes} == {
        (AuditAction.CREATE, "intake"),
        (AuditAction.UPDATE, "client"),
    }


def test_saving_again_replaces_the_answers(client_record, front_desk):
    front_desk.post(_intake_url("edit", client_record), VALID_INTAKE)

    front_desk.post(
        _intake_url("edit", client_record), {**VALID_INTAKE, "conditions": [], "allergies": ""}
    )

    intake = Intake.objects.get(client=client_record)
    assert (intake.conditions, intake.allergies) == ([], "")
    assert AuditEvent.objects.filter(action=AuditAction.UPDATE, object_type="intake").count() == 1


@pytest.mark.parametrize(("changes", "field"), BAD_INPUT)
def test_staff_bad_input_is_shown_at_its_field_and_nothing_is_saved(
    changes, field, client_record, front_desk
):
    response = front_desk.post(_intake_url("edit", client_record), {**VALID_INTAKE, **changes})

    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert not Intake.objects.exists()
    client_record.refresh_from_db()
    assert client_record.emergency_contact_name == ""


def test_several_mistakes_are_all_shown_at_once(client_record, front_desk):
    response = front_desk.post(
        _intake_url("edit", client_record),
        {**VALID_INTAKE, "baseline_systolic": "300", "weight_kg": "x", "pregnancy_status": ""},
    )

    assert set(response.context["form"].errors) == {
        "baseline_systolic",
        "weight_kg",
        "pregnancy_status",
    }


def test_nothing_is_saved_half_way_when_the_client_update_fails(
    client_record, front_desk, monkeypatch
):
    # Given the intake saves but the emergency contact update is refused afterwards
    def refuse(**kwargs):
        raise ValidationError({"emergency_contact_phone": "That number cannot be used."})

    monkeypatch.setattr(pathway, "update_client", refuse)

    response = front_desk.post(_intake_url("edit", client_record), VALID_INTAKE)

    # Then the error is at its field and the intake was rolled back with it
    assert response.status_code == 200
    assert response.context["form"].errors["emergency_contact_phone"] == [
        "That number cannot be used."
    ]
    assert not Intake.objects.exists()
    assert not AuditEvent.objects.filter(object_type="intake").exists()


def test_only_a_clinician_records_the_suicide_risk_assessment(client_record, staff, login):
    _save_intake(client_record, staff[Role.THERAPIST], suicide_risk=SuicideRisk.MODERATE)
    front_desk = login(staff[Role.FRONT_DESK])

    form_page = front_desk.get(_intake_url("edit", client_record))
    assert form_page.context["form"].fields["suicide_risk"].disabled
    front_desk.post(
        _intake_url("edit", client_record), {**VALID_INTAKE, "suicide_risk": SuicideRisk.NONE}
    )
    assert Intake.objects.get().suicide_risk == SuicideRisk.MODERATE

    login(staff[Role.THERAPIST]).post(
        _intake_url("edit", client_record), {**VALID_INTAKE, "suicide_risk": SuicideRisk.HIGH}
    )
    assert Intake.objects.get().suicide_risk == SuicideRisk.HIGH


# --- Making a link -----------------------------------------------------------------------------


def test_a_link_is_made_once_shown_with_a_copy_button_and_expires_in_7_days(
    client_record, staff, front_desk, django_assert_max_num_queries
):
    front_desk.get(reverse("home:home"))

    # 16: the audit row appends to the clinic's hash chain (+2).
    with django_assert_max_num_queries(16):
        made = front_desk.post(_intake_url("link", client_record))
    assert made.status_code == 302  # post/redirect/get: the link's page shows it
    response = front_desk.get(made["Location"])

    assert response.status_code == 200
    link = ClientLink.objects.get()
    assert (link.client, link.purpose, link.created_by) == (
        client_record,
        LinkPurpose.INTAKE,
        staff[Role.FRONT_DESK],
    )
    assert abs(link.expires_at - (timezone.now() + dt.timedelta(days=7))) < dt.timedelta(minutes=1)
    url = response.context["link_url"]
    token = url.rstrip("/").rsplit("/", 1)[1]
    assert hash_token(token) == link.token_sha256
    html = response.content.decode()
    assert f'value="{url}"' in html and 'data-copy="#kc-link-url"' in html
    assert "no-store" in response["Cache-Control"]
    assert AuditEvent.objects.filter(action=AuditAction.CREATE, object_type="clientlink").exists()
    assert_csp_clean(response)


def test_making_a_link_needs_post(client_record, front_desk):
    # A GET with no link made leads to the intake page (no dead 405 page) and makes none.
    response = front_desk.get(_intake_url("link", client_record))
    assert response["Location"] == _intake_url("detail", client_record)
    assert not ClientLink.objects.exists()


def test_the_link_is_shown_again_until_it_is_used(client_record, staff, front_desk, login):
    # given a link made by this staff member
    made = front_desk.post(_intake_url("link", client_record))
    url = front_desk.get(made["Location"]).context["link_url"]
    # when the page is reloaded, the same link is shown; it makes no new one
    again = front_desk.get(_intake_url("link", client_record))
    assert again.status_code == 200 and again.context["link_url"] == url
    assert ClientLink.objects.count() == 1
    # and once the client has used it, the page leads back to make a new one
    ClientLink.objects.update(used_at=timezone.now())
    after = front_desk.get(_intake_url("link", client_record))
    assert after["Location"] == _intake_url("detail", client_record)
    # and another staff member never sees it
    other = login(make_staff(client_record.clinic, Role.FRONT_DESK))
    assert other.get(_intake_url("link", client_record)).status_code == 302


def test_detail_says_when_an_unused_link_is_out(client_record, staff, front_desk):
    _make_link(client_record, staff[Role.FRONT_DESK])

    response = front_desk.get(_intake_url("detail", client_record))

    assert b"has not been used yet" in response.content


# --- The client's link -------------------------------------------------------------------------


def test_the_link_opens_a_phone_friendly_form_without_the_clinicians_field(client_record, staff):
    token = _make_link(client_record, staff[Role.FRONT_DESK])

    response = DjangoClient().get(_link_url(token))

    assert response.status_code == 200
    html = response.content.decode()
    assert 'name="suicide_risk"' not in html
    assert 'name="conditions"' in html and 'name="emergency_contact_phone"' in html
    assert 'name="viewport"' in html
    assert reverse("clients:list") not in html  # no staff navigation
    assert response["X-Robots-Tag"] == "noindex, nofollow"
    assert "no-store" in response["Cache-Control"]
    event = AuditEvent.objects.get(action=AuditAction.VIEW, object_type="clientlink")
    assert (event.client, event.actor, event.actor_label) == (client_record, None, "kapcare")
    assert_csp_clean(response)


def test_the_client_completes_intake_and_the_link_is_spent(client_record, staff):
    _save_intake(client_record, staff[Role.THERAPIST], suicide_risk=SuicideRisk.MODERATE)
    token = _make_link(client_record, staff[Role.FRONT_DESK])
    http = DjangoClient()

    response = http.post(
        _link_url(token),
        {**CLIENT_INTAKE, "allergies": "latex"},
        REMOTE_ADDR="192.0.2.44",
        HTTP_USER_AGENT="PhoneBrowser/1.0",
    )

    assert response.status_code == 302
    assert response.url == reverse("public:intake_thanks")
    assert http.get(response.url).status_code == 200
    intake = Intake.objects.get(client=client_record)
    assert (intake.allergies, intake.completed_by_client, intake.completed_by) == (
        "latex",
        True,
        None,
    )
    assert intake.suicide_risk == SuicideRisk.MODERATE  # the clinician's assessment is kept
    assert ClientLink.objects.get().used_at is not None
    client_record.refresh_from_db()
    assert client_record.emergency_contact_name == "Sam Ashby"
    intake_event = AuditEvent.objects.get(action=AuditAction.UPDATE, object_type="intake")
    assert (intake_event.actor, intake_event.ip_address, intake_event.user_agent) == (
        None,
        "192.0.2.44",
        "PhoneBrowser/1.0",
    )
    assert AuditEvent.objects.filter(
        action=AuditAction.UPDATE, object_type="client", client=client_record
    ).exists()


def test_a_used_link_is_not_found_again(client_record, staff):
    token = _make_link(client_record, staff[Role.FRONT_DESK])
    DjangoClient().post(_link_url(token), CLIENT_INTAKE)

    again_get = DjangoClient().get(_link_url(token))
    again_post = DjangoClient().post(_link_url(token), {**CLIENT_INTAKE, "allergies": "changed"})

    assert again_get.status_code == 404 and again_post.status_code == 404
    assert b"This link cannot be used" in again_get.content
    assert Intake.objects.get().allergies == "penicillin"


def test_an_expired_link_is_not_found(client_record, staff):
    token = _make_link(client_record, staff[Role.FRONT_DESK])
    ClientLink.objects.update(expires_at=timezone.now() - dt.timedelta(seconds=1))

    assert DjangoClient().get(_link_url(token)).status_code == 404
    assert DjangoClient().post(_link_url(token), CLIENT_INTAKE).status_code == 404
    assert not Intake.objects.exists()


@pytest.mark.parametrize("forged", ["not-a-token", "A" * 43])
def test_a_forged_token_is_not_found(forged, client_record, staff):
    _make_link(client_record, staff[Role.FRONT_DESK])

    assert DjangoClient().get(_link_url(forged)).status_code == 404
    assert DjangoClient().post(_link_url(forged), CLIENT_INTAKE).status_code == 404
    assert not Intake.objects.exists()


def test_a_consent_link_does_not_open_the_intake_form(client_record, staff):
    token = _make_link(client_record, staff[Role.FRONT_DESK], purpose=LinkPurpose.CONSENT)

    assert DjangoClient().get(_link_url(token)).status_code == 404
    assert DjangoClient().post(_link_url(token), CLIENT_INTAKE).status_code == 404
    assert not Intake.objects.exists()


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        *[(c, f) for c, f in BAD_INPUT if f != "emergency_contact_name"],
        ({"emergency_contact_name": ""}, "emergency_contact_name"),
        ({"emergency_contact_phone": ""}, "emergency_contact_phone"),
    ],
)
def test_client_bad_input_is_shown_at_its_field_and_the_link_still_works(
    changes, field, client_record, staff
):
    token = _make_link(client_record, staff[Role.FRONT_DESK])

    response = DjangoClient().post(_link_url(token), {**CLIENT_INTAKE, **changes})

    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert not Intake.objects.exists()
    assert ClientLink.objects.get().used_at is None


def test_the_link_is_not_spent_when_saving_the_intake_fails(client_record, staff, monkeypatch):
    token = _make_link(client_record, staff[Role.FRONT_DESK])

    def refuse(**kwargs):
        raise ValidationError({"allergies": "Something went wrong."})

    monkeypatch.setattr(pathway, "save_intake", refuse)

    response = DjangoClient().post(_link_url(token), CLIENT_INTAKE)

    assert response.status_code == 200
    assert response.context["form"].errors["allergies"] == ["Something went wrong."]
    assert ClientLink.objects.get().used_at is None


def test_a_link_only_reaches_its_own_client(clinic, client_record, staff):
    other = ClientFactory(clinic=clinic)
    token = _make_link(client_record, staff[Role.FRONT_DESK])
    _make_link(other, staff[Role.FRONT_DESK])

    DjangoClient().post(_link_url(token), CLIENT_INTAKE)

    assert list(Intake.objects.values_list("client", flat=True)) == [client_record.pk]


def test_a_link_from_another_clinic_works_for_that_clinics_client(other_clinic):
    # Links are not tied to a "current" clinic: the token alone identifies client and clinic.
    user = make_staff(other_clinic, Role.FRONT_DESK)
    theirs = ClientFactory(clinic=other_clinic)
    token = _make_link(theirs, user)

    assert DjangoClient().post(_link_url(token), CLIENT_INTAKE).status_code == 302
    assert Intake.objects.get().clinic == other_clinic
